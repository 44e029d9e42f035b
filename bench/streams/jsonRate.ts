import autocannon from 'autocannon';
import { processCpuSeconds } from './processes';
import { MODEL, pathTarget, type Group } from './services';
import type { PathName, StreamsSettings, UpstreamName } from './settings';

/** Non-streaming completions (`stream: false`) over one path in one round, measured with autocannon. */
export interface JsonSample {
  readonly upstream: UpstreamName;
  readonly path: PathName;
  readonly round: number;
  readonly requestsPerSecond: number;
  readonly latencyP99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly relayCores: number | undefined;
  readonly relayCpuMicrosPerRequest: number | undefined;
  readonly upstreamCores: number;
  /** The runner's own CPU (autocannon runs in it), in cores. */
  readonly loadCores: number;
}

const WARMUP_SECONDS = 1;

export const JSON_BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello.' }], stream: false });

function load(port: number, seconds: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON_BODY,
    connections,
    pipelining: 1,
    duration: seconds,
  });
}

export async function measureJson(group: Group, pathName: PathName, round: number, settings: StreamsSettings): Promise<JsonSample> {
  const { port, relay } = pathTarget(group, pathName);
  await load(port, WARMUP_SECONDS, settings.jsonConnections);
  const relayBefore = relay === undefined ? 0 : processCpuSeconds(relay.pid);
  const upstreamBefore = processCpuSeconds(group.upstream.pid);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await load(port, settings.jsonSeconds, settings.jsonConnections);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const relayCpu = relay === undefined ? undefined : processCpuSeconds(relay.pid) - relayBefore;
  const ok = result['2xx'];
  return {
    upstream: group.upstreamName,
    path: pathName,
    round,
    requestsPerSecond: ok / wallSeconds,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    relayCores: relayCpu === undefined ? undefined : relayCpu / wallSeconds,
    relayCpuMicrosPerRequest: relayCpu === undefined || ok === 0 ? undefined : (relayCpu * 1e6) / ok,
    upstreamCores: (processCpuSeconds(group.upstream.pid) - upstreamBefore) / wallSeconds,
    loadCores: (cpu.user + cpu.system) / 1e6 / wallSeconds,
  };
}
