import autocannon from 'autocannon';
import type { WorkDone } from './protocol';
import { coreTimes, processCpuSeconds, startServer, type CoreTimes, type RunningServer } from './serverProcess';
import type { BenchSettings } from './settings';
import { ROUTE_PATH, type VariantName } from './variants';

export interface Sample {
  readonly variant: VariantName;
  readonly round: number;
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly durationSeconds: number;
  readonly latencyP99Ms: number;
  readonly latencyMeanMs: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly warmupFailures: number;
  /** Share of core 0 the server used while measured; well under 1 means it was not the bottleneck or was starved. */
  readonly serverCpuShare: number;
  readonly serverCpuMicrosPerRequest: number;
  /** Share of core 1 the load generator used; near 1 means it, not the server, set the pace. */
  readonly loadCpuShare: number;
  /** Share of core 0's time the hypervisor gave to other guests while measured. */
  readonly serverCoreStealShare: number;
  /** Responses the server gave in its life (warm-up included), the denominator of `spans`. */
  readonly servedRequests: number;
  readonly logStats: WorkDone['logStats'];
  /** Spans exported over the server's life (warm-up included); `undefined` when it does not trace. */
  readonly spans: WorkDone['spans'];
}

interface LoadResult {
  readonly result: autocannon.Result;
  readonly wallSeconds: number;
  readonly loadCpuSeconds: number;
}

interface Measurement {
  readonly variant: VariantName;
  readonly round: number;
  readonly warmup: LoadResult | undefined;
  readonly measured: LoadResult;
  readonly serverCpuSeconds: number;
  readonly stealShare: number;
  readonly work: WorkDone;
}

export async function measureVariant(variant: VariantName, round: number, settings: BenchSettings): Promise<Sample> {
  const server = await startServer(variant, { core: settings.serverCore, captureOutput: false });
  try {
    const warmup =
      settings.warmupSeconds > 0 ? await generateLoad(server, settings, settings.warmupSeconds) : undefined;
    const cpuBefore = processCpuSeconds(server.pid);
    const coreBefore = coreTimes(settings.serverCore);
    const measured = await generateLoad(server, settings, settings.seconds);
    const serverCpuSeconds = processCpuSeconds(server.pid) - cpuBefore;
    const stealShare = stealShareSince(coreBefore, settings.serverCore);
    const work = await server.stop();
    return toSample({ variant, round, warmup, measured, serverCpuSeconds, stealShare, work });
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

function stealShareSince(before: CoreTimes, core: number): number {
  const after = coreTimes(core);
  const total = after.total - before.total;
  return total === 0 ? 0 : (after.steal - before.steal) / total;
}

function toSample(m: Measurement): Sample {
  const { result, wallSeconds, loadCpuSeconds } = m.measured;
  const ok = result['2xx'];
  return {
    variant: m.variant,
    round: m.round,
    requestsPerSecond: ok / wallSeconds,
    requests: ok,
    durationSeconds: wallSeconds,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.mean,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    warmupFailures: m.warmup === undefined ? 0 : m.warmup.result.non2xx + m.warmup.result.errors,
    serverCpuShare: m.serverCpuSeconds / wallSeconds,
    serverCpuMicrosPerRequest: ok === 0 ? Number.NaN : (m.serverCpuSeconds * 1e6) / ok,
    loadCpuShare: loadCpuSeconds / wallSeconds,
    serverCoreStealShare: m.stealShare,
    servedRequests: answered(m.measured.result) + (m.warmup === undefined ? 0 : answered(m.warmup.result)),
    logStats: m.work.logStats,
    spans: m.work.spans,
  };
}

function answered(result: autocannon.Result): number {
  return result['2xx'] + result.non2xx;
}

async function generateLoad(server: RunningServer, settings: BenchSettings, seconds: number): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${ROUTE_PATH}`,
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: seconds,
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { result, wallSeconds, loadCpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
