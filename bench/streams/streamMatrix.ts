import { processCpuSeconds, resetPeakRss, rssMb } from './processes';
import { RAW_SPEC_FIELD, type RawStreamSpec, type WaveResult } from './protocol';
import { MODEL, pathTarget, type Group, type LoadClient } from './services';
import type { PathName, StreamsSettings, UpstreamName } from './settings';
import { percentile } from './stats';

/** One measurement: N concurrent streams over one path, in one round. */
export interface StreamSample {
  readonly upstream: UpstreamName;
  readonly streams: number;
  readonly path: PathName;
  readonly round: number;
  /** Streams measured (completed ones), over all measured waves. */
  readonly samples: number;
  readonly ttfbP50Ms: number;
  readonly ttfbP99Ms: number;
  readonly gapP50Ms: number;
  readonly gapP99Ms: number;
  readonly durationP50Ms: number;
  readonly failed: number;
  readonly failures: Record<string, number>;
  readonly warmupFailed: number;
  /** SSE frames the load generator received per second, all streams together. */
  readonly framesPerSecond: number;
  readonly bytesPerFrame: number;
  readonly wallMs: number;
  /** CPU of the relay (naive proxy or gateway) in cores (1 = one core busy) over the measured waves. */
  readonly relayCores: number | undefined;
  readonly relayCpuMicrosPerFrame: number | undefined;
  /** Peak resident set of the relay during the measured waves (VmHWM, reset before them). */
  readonly relayPeakRssMb: number | undefined;
  readonly upstreamCores: number;
  readonly clientCores: number;
}

/** How a measurement at `streams` concurrent streams is shaped. */
export interface WavePlan {
  /** Events per measured stream (raw upstream; the competitor's answer length is its process's). */
  readonly events: number;
  /** Events per warm-up stream: warm-up waves open the connections the measured waves reuse. */
  readonly warmupEvents: number;
  readonly warmupWaves: number;
  readonly measuredWaves: number;
}

/**
 * One stream gives one TTFB sample per wave, so single-stream measurements run eight short
 * waves; 100 streams run two waves, 1000 one. The competitor's answer length is fixed per
 * process (`group.competitorTokens`), so its warm-up streams are full length.
 */
export function wavePlan(group: Pick<Group, 'upstreamName' | 'competitorTokens'>, streams: number, settings: StreamsSettings): WavePlan {
  const measuredWaves = streams === 1 ? 8 : streams <= 100 ? 2 : 1;
  const warmupWaves = streams === 1 ? 2 : 1;
  if (group.upstreamName === 'competitor') {
    const tokens = group.competitorTokens ?? settings.events;
    return { events: tokens, warmupEvents: tokens, warmupWaves, measuredWaves };
  }
  return { events: streams === 1 ? settings.singleStreamEvents : settings.events, warmupEvents: WARMUP_EVENTS, warmupWaves, measuredWaves };
}

const WARMUP_EVENTS = 20;

export function streamBody(upstream: UpstreamName, events: number, intervalMs: number, model = MODEL): string {
  const body: Record<string, unknown> = {
    model,
    messages: [{ role: 'user', content: 'Tell me how the stream gateway works.' }],
    stream: true,
  };
  if (upstream === 'raw') body[RAW_SPEC_FIELD] = { events, intervalMs } satisfies RawStreamSpec;
  return JSON.stringify(body);
}

const WAVE_TIMEOUT_MS = 180_000;

export async function measureStreams(
  group: Group,
  pathName: PathName,
  streams: number,
  round: number,
  client: LoadClient,
  settings: StreamsSettings,
): Promise<StreamSample> {
  const plan = wavePlan(group, streams, settings);
  const { port, relay } = pathTarget(group, pathName);
  const wave = { port, path: '/v1/chat/completions', streams, rampBatch: 0, rampIntervalMs: 0, expectDone: true };
  await client.reset();
  const warmupBody = streamBody(group.upstreamName, plan.warmupEvents, settings.intervalMs);
  const warmup = await client.waves({ ...wave, bodies: [warmupBody], waves: plan.warmupWaves }, WAVE_TIMEOUT_MS);
  if (relay !== undefined) resetPeakRss(relay.pid);
  const relayCpuBefore = relay === undefined ? 0 : processCpuSeconds(relay.pid);
  const upstreamCpuBefore = processCpuSeconds(group.upstream.pid);
  const body = streamBody(group.upstreamName, plan.events, settings.intervalMs);
  const measured = await client.waves({ ...wave, bodies: [body], waves: plan.measuredWaves }, WAVE_TIMEOUT_MS);
  const relayCpu = relay === undefined ? undefined : processCpuSeconds(relay.pid) - relayCpuBefore;
  const upstreamCpu = processCpuSeconds(group.upstream.pid) - upstreamCpuBefore;
  const relayPeakRssMb = relay === undefined ? undefined : rssMb(relay.pid).peak;
  return toSample(group.upstreamName, pathName, streams, round, warmup, measured, relayCpu, upstreamCpu, relayPeakRssMb);
}

function toSample(
  upstream: UpstreamName,
  pathName: PathName,
  streams: number,
  round: number,
  warmup: WaveResult,
  measured: WaveResult,
  relayCpuSeconds: number | undefined,
  upstreamCpuSeconds: number,
  relayPeakRssMb: number | undefined,
): StreamSample {
  const wallSeconds = measured.wallMs / 1000;
  return {
    upstream,
    streams,
    path: pathName,
    round,
    samples: measured.completed,
    ttfbP50Ms: percentile(measured.ttfbMs, 50),
    ttfbP99Ms: percentile(measured.ttfbMs, 99),
    gapP50Ms: percentile(measured.maxGapMs, 50),
    gapP99Ms: percentile(measured.maxGapMs, 99),
    durationP50Ms: percentile(measured.durationMs, 50),
    failed: measured.failed,
    failures: measured.failures,
    warmupFailed: warmup.failed,
    framesPerSecond: measured.frames / wallSeconds,
    bytesPerFrame: measured.frames === 0 ? Number.NaN : measured.bytes / measured.frames,
    wallMs: measured.wallMs,
    relayCores: relayCpuSeconds === undefined ? undefined : relayCpuSeconds / wallSeconds,
    relayCpuMicrosPerFrame: relayCpuSeconds === undefined || measured.frames === 0 ? undefined : (relayCpuSeconds * 1e6) / measured.frames,
    relayPeakRssMb,
    upstreamCores: upstreamCpuSeconds / wallSeconds,
    clientCores: measured.cpuMs / measured.wallMs,
  };
}
