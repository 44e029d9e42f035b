/** What `npm run bench:streams` measures, from BENCH_STREAMS_* variables (defaults: the targets). */

export const UPSTREAM_NAMES = ['raw', 'competitor'] as const;
export type UpstreamName = (typeof UPSTREAM_NAMES)[number];

export const PATH_NAMES = ['direct', 'naive', 'gateway'] as const;
export type PathName = (typeof PATH_NAMES)[number];

export interface StreamsSettings {
  readonly rounds: number;
  readonly upstreams: readonly UpstreamName[];
  /** Concurrent streams per measurement. */
  readonly counts: readonly number[];
  /** Upstream event interval for the concurrency matrix. */
  readonly intervalMs: number;
  /** Events per stream at more than one stream (raw upstream; the competitor's answer length). */
  readonly events: number;
  /** Events per stream at one stream (raw upstream): shorter, so one stream gives more TTFB samples. */
  readonly singleStreamEvents: number;
  /** Slow streams through the gateway (0: skip). */
  readonly slowStreams: number;
  readonly slowHoldSeconds: number;
  /** Also run slow streams through one competitor id, beyond its connection cap (about 40 s more). */
  readonly capRun: boolean;
  /** Non-streaming measurement per path per round (0: skip). */
  readonly jsonSeconds: number;
  readonly jsonConnections: number;
  /** Profile the gateway at the largest concurrency with --cpu-prof. */
  readonly profile: boolean;
  /** Core of the relay under test (naive proxy or gateway); undefined when taskset is missing. */
  readonly relayCore: number | undefined;
  /** Core of the load generator and the runner. */
  readonly clientCore: number | undefined;
  /** Core of the upstream. */
  readonly upstreamCore: number | undefined;
}

export const SETTING_VARIABLES = [
  'BENCH_STREAMS_ROUNDS',
  'BENCH_STREAMS_UPSTREAMS',
  'BENCH_STREAMS_COUNTS',
  'BENCH_STREAMS_SLOW',
  'BENCH_STREAMS_SLOW_HOLD_SECONDS',
  'BENCH_STREAMS_CAP',
  'BENCH_STREAMS_JSON_SECONDS',
  'BENCH_STREAMS_PROFILE',
  'BENCH_STREAMS_UPSTREAM_CORE',
] as const;

export function readSettings(env: NodeJS.ProcessEnv = process.env): StreamsSettings {
  return {
    rounds: integer(env, 'BENCH_STREAMS_ROUNDS', 3, 1),
    upstreams: upstreamList(env.BENCH_STREAMS_UPSTREAMS),
    counts: countList(env.BENCH_STREAMS_COUNTS),
    intervalMs: 5,
    events: 400,
    singleStreamEvents: 100,
    slowStreams: integer(env, 'BENCH_STREAMS_SLOW', 10_000, 0),
    slowHoldSeconds: integer(env, 'BENCH_STREAMS_SLOW_HOLD_SECONDS', 15, 1),
    capRun: env.BENCH_STREAMS_CAP === '1',
    jsonSeconds: integer(env, 'BENCH_STREAMS_JSON_SECONDS', 3, 0),
    jsonConnections: 32,
    profile: (env.BENCH_STREAMS_PROFILE ?? '1') !== '0',
    relayCore: 0,
    clientCore: 1,
    upstreamCore: integer(env, 'BENCH_STREAMS_UPSTREAM_CORE', 1, 0),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${raw}`);
  return value;
}

function upstreamList(raw: string | undefined): readonly UpstreamName[] {
  if (raw === undefined || raw.trim() === '') return UPSTREAM_NAMES;
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(UPSTREAM_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_STREAMS_UPSTREAMS: unknown ${unknown.join(', ')}; known: ${UPSTREAM_NAMES.join(', ')}`);
  return UPSTREAM_NAMES.filter((name) => names.includes(name));
}

function countList(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw.trim() === '') return [1, 100, 1000];
  const counts = raw.split(',').map((part) => Number(part.trim()));
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_STREAMS_COUNTS must be whole numbers >= 1, got ${raw}`);
  return [...new Set(counts)].sort((a, b) => a - b);
}
