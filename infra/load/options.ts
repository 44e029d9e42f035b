import { parseArgs } from 'node:util';
import { PROFILE_NAMES, type ProfileName } from '../../competitor/model/profiles';
import { LOG_LEVELS } from '../../src/logLevels';
import type { Thresholds } from './report';

export const SCENARIOS = ['chat_load', 'stream_load', 'health_load', 'soak'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** A command line the tool cannot run; `npm run load` exits 2 with the message. */
export class LoadUsageError extends Error {
  override readonly name = 'LoadUsageError';
}

/** Everything a run needs, defaults resolved. */
export interface LoadOptions {
  readonly scenario: ScenarioName;
  /** A running gateway; undefined starts the tool's own gateway and competitor. */
  readonly url: string | undefined;
  readonly model: string;
  /** Measured seconds (chat_load: the whole ramp, split evenly over the steps). */
  readonly durationSeconds: number;
  /** Seconds of load before measuring, not counted. */
  readonly warmupSeconds: number;
  /** chat_load: connections of each ramp step. */
  readonly steps: readonly number[];
  /** health_load: connections, split between /health/live and /health/ready. */
  readonly connections: number;
  /** stream_load: streams per second; soak: non-streaming completions per second. */
  readonly rate: number;
  /** soak: streams per second beside the completions. */
  readonly streamRate: number;
  /** The own competitor's simulated-model profile. */
  readonly profile: ProfileName;
  /** Where the own gateway's and competitor's log lines go. */
  readonly logFile: string | undefined;
  /** LOG_LEVEL for the own gateway and competitor; undefined keeps their default (info). */
  readonly logLevel: string | undefined;
  readonly timeoutSeconds: number;
  /** soak with --url: the gateway's pid, to read its RSS from /proc. */
  readonly gatewayPid: number | undefined;
  /** soak with --url: a file holding the admin token, to read RSS from /metrics. */
  readonly adminTokenFile: string | undefined;
  readonly thresholds: Thresholds;
  readonly help: boolean;
}

interface ScenarioDefaults {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly profile: ProfileName;
  readonly thresholds: Thresholds;
}

const NO_LIMITS = { p95Ms: undefined, p99Ms: undefined, minRatePct: undefined, maxRssGrowthPct: undefined } as const;

/** The README's table of scenarios is this object. */
export const SCENARIO_DEFAULTS: Readonly<Record<ScenarioName, ScenarioDefaults>> = {
  chat_load: { durationSeconds: 20, warmupSeconds: 3, profile: 'instant', thresholds: { ...NO_LIMITS, maxNon2xxPct: 1, p95Ms: 150 } },
  stream_load: { durationSeconds: 20, warmupSeconds: 3, profile: 'fast', thresholds: { ...NO_LIMITS, maxNon2xxPct: 1, p95Ms: 1000, minRatePct: 90 } },
  health_load: { durationSeconds: 10, warmupSeconds: 2, profile: 'instant', thresholds: { ...NO_LIMITS, maxNon2xxPct: 0.1, p95Ms: 50 } },
  soak: { durationSeconds: 300, warmupSeconds: 15, profile: 'fast', thresholds: { ...NO_LIMITS, maxNon2xxPct: 1, maxRssGrowthPct: 10 } },
};

export const DEFAULT_STEPS: readonly number[] = [10, 50, 100, 200, 300];
const DEFAULT_CONNECTIONS = 50;
const DEFAULT_RATE: Readonly<Record<'stream_load' | 'soak', number>> = { stream_load: 50, soak: 50 };
const DEFAULT_STREAM_RATE = 10;
const DEFAULT_TIMEOUT_SECONDS = 10;

/** Flags and the scenarios they apply to (undefined: all). */
const FLAGS = {
  url: { type: 'string' },
  model: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  steps: { type: 'string', only: ['chat_load'] },
  connections: { type: 'string', only: ['health_load'] },
  rate: { type: 'string', only: ['stream_load', 'soak'] },
  'stream-rate': { type: 'string', only: ['soak'] },
  profile: { type: 'string' },
  'log-file': { type: 'string' },
  'log-level': { type: 'string' },
  timeout: { type: 'string' },
  'gateway-pid': { type: 'string', only: ['soak'] },
  'admin-token-file': { type: 'string', only: ['soak'] },
  'max-non2xx-pct': { type: 'string' },
  'p95-ms': { type: 'string' },
  'p99-ms': { type: 'string' },
  'min-rate-pct': { type: 'string', only: ['stream_load'] },
  'max-rss-growth-pct': { type: 'string', only: ['soak'] },
  help: { type: 'boolean' },
} as const satisfies Record<string, { type: 'string' | 'boolean'; only?: readonly ScenarioName[] }>;

type FlagName = keyof typeof FLAGS;

export const USAGE = `usage: npm run load -- <${SCENARIOS.join('|')}> [flags]

  --url URL               a running gateway (e.g. http://127.0.0.1:8080); without it the
                          tool starts its own gateway and competitor on free ports
  --model ID              the model requests name (default baseline)
  --duration S            measured seconds (chat_load: the whole ramp; soak default 300)
  --warmup S              seconds of load before measuring, not counted
  --steps N,N,...         chat_load: connections per ramp step (default ${DEFAULT_STEPS.join(',')})
  --connections N         health_load: connections (default ${DEFAULT_CONNECTIONS})
  --rate N                stream_load: streams/s; soak: completions/s (default 50)
  --stream-rate N         soak: streams/s beside the completions (default ${DEFAULT_STREAM_RATE})
  --profile NAME          own competitor's profile: ${PROFILE_NAMES.join(', ')}
  --log-file PATH         where the own services' log lines go (default a file in the temp dir)
  --log-level LEVEL       LOG_LEVEL of the own services (default: theirs, info)
  --timeout S             a request with no answer for this long is an error (default ${DEFAULT_TIMEOUT_SECONDS})
  --gateway-pid PID       soak with --url: read the gateway's RSS from /proc/PID/status
  --admin-token-file PATH soak with --url: read it from /metrics (or set OBS_ADMIN_TOKEN)
  --max-non2xx-pct N      fail at or above this share of requests without a good 2xx
  --p95-ms N, --p99-ms N  fail at or above this latency
  --min-rate-pct N        stream_load: fail below this share of the target rate
  --max-rss-growth-pct N  soak: fail above this RSS growth after warm-up

exit codes: 0 every threshold met, 1 a threshold missed, 2 bad command line,
3 the run could not be made (services did not start, target unreachable)`;

export function parseLoadArguments(argv: readonly string[]): LoadOptions {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (error) {
    throw new LoadUsageError(withSuggestion(error instanceof Error ? error.message : String(error)));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { ...resolve('chat_load', {}), help: true };
  if (positionals.length !== 1) {
    throw new LoadUsageError(`expected one scenario (${SCENARIOS.join(', ')}), got ${positionals.length === 0 ? 'none' : JSON.stringify(positionals)}`);
  }
  const scenario = positionals[0]!;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new LoadUsageError(`unknown scenario ${JSON.stringify(scenario)}, expected one of ${SCENARIOS.join(', ')}`);
  }
  const name = scenario as ScenarioName;
  for (const flag of Object.keys(values) as FlagName[]) {
    const only: readonly ScenarioName[] | undefined = 'only' in FLAGS[flag] ? (FLAGS[flag] as { only: readonly ScenarioName[] }).only : undefined;
    if (only !== undefined && !only.includes(name)) throw new LoadUsageError(`--${flag} applies to ${only.join(', ')} only, not ${name}`);
  }
  return resolve(name, values);
}

function parseFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
}

type Values = Partial<Record<FlagName, string | boolean>>;

function resolve(scenario: ScenarioName, values: Values): LoadOptions {
  const defaults = SCENARIO_DEFAULTS[scenario];
  const text = (flag: FlagName): string | undefined => {
    const value = values[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const number = (flag: FlagName, min: number, integer = false): number | undefined => {
    const raw = text(flag);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      throw new LoadUsageError(`--${flag} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const url = text('url') === undefined ? undefined : gatewayUrl(text('url')!);
  const model = text('model') ?? 'baseline';
  if (!/^[a-z0-9_-]{1,32}$/.test(model)) throw new LoadUsageError(`--model must be 1-32 characters of a-z, 0-9, _ and -, got ${JSON.stringify(model)}`);
  const profile = text('profile') ?? defaults.profile;
  if (!(PROFILE_NAMES as readonly string[]).includes(profile)) {
    throw new LoadUsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got ${JSON.stringify(profile)}`);
  }
  const logLevel = text('log-level');
  if (logLevel !== undefined && !(logLevel in LOG_LEVELS)) {
    throw new LoadUsageError(`--log-level must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got ${JSON.stringify(logLevel)}`);
  }
  if (url !== undefined) {
    for (const flag of ['profile', 'log-file', 'log-level'] as const) {
      if (text(flag) !== undefined) throw new LoadUsageError(`--${flag} sets up the tool's own services; it cannot be used with --url`);
    }
  } else {
    for (const flag of ['gateway-pid', 'admin-token-file'] as const) {
      if (text(flag) !== undefined) throw new LoadUsageError(`--${flag} is for a gateway given with --url; the tool knows its own gateway's pid`);
    }
  }
  const durationSeconds = number('duration', 1, true) ?? defaults.durationSeconds;
  const steps = text('steps') === undefined ? DEFAULT_STEPS : stepList(text('steps')!);
  if (scenario === 'chat_load' && Math.floor(durationSeconds / steps.length) < 1) {
    throw new LoadUsageError(`--duration ${durationSeconds} is too short for ${steps.length} ramp steps (each needs at least 1 s)`);
  }
  const given = defaults.thresholds;
  return {
    scenario,
    url,
    model,
    durationSeconds,
    warmupSeconds: number('warmup', 0, true) ?? defaults.warmupSeconds,
    steps,
    connections: number('connections', 2, true) ?? DEFAULT_CONNECTIONS,
    rate: number('rate', 1, true) ?? (scenario === 'stream_load' || scenario === 'soak' ? DEFAULT_RATE[scenario] : 0),
    streamRate: number('stream-rate', 0, true) ?? DEFAULT_STREAM_RATE,
    profile: profile as ProfileName,
    logFile: text('log-file'),
    logLevel,
    timeoutSeconds: number('timeout', 1, true) ?? DEFAULT_TIMEOUT_SECONDS,
    gatewayPid: number('gateway-pid', 1, true),
    adminTokenFile: text('admin-token-file'),
    thresholds: {
      maxNon2xxPct: number('max-non2xx-pct', 0) ?? given.maxNon2xxPct,
      p95Ms: number('p95-ms', 0) ?? given.p95Ms,
      p99Ms: number('p99-ms', 0) ?? given.p99Ms,
      minRatePct: number('min-rate-pct', 0) ?? given.minRatePct,
      maxRssGrowthPct: number('max-rss-growth-pct', 0) ?? given.maxRssGrowthPct,
    },
    help: false,
  };
}

function gatewayUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadUsageError(`--url must be an absolute http URL such as http://127.0.0.1:8080, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:') throw new LoadUsageError(`--url must use http (autocannon runs here without TLS settings), got ${JSON.stringify(text)}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new LoadUsageError(`--url must be the gateway's origin only, without a path, query or credentials, got ${JSON.stringify(text)}`);
  }
  return url.origin;
}

function stepList(text: string): number[] {
  const steps = text.split(',').map((part) => Number(part.trim()));
  if (steps.length === 0 || steps.some((step) => !Number.isInteger(step) || step < 1 || step > 10_000)) {
    throw new LoadUsageError(`--steps must be comma-separated connection counts of 1-10000, got ${JSON.stringify(text)}`);
  }
  return steps;
}

/** parseArgs says `Unknown option '--p95'`; add the closest flag. */
function withSuggestion(message: string): string {
  const unknown = /Unknown option '--([^']+)'/.exec(message)?.[1];
  if (unknown === undefined) return message;
  const closest = (Object.keys(FLAGS) as FlagName[])
    .map((flag) => ({ flag, distance: flag.startsWith(unknown) ? 0 : editDistance(unknown, flag) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const hint = closest !== undefined && closest.distance <= 3 ? `; did you mean --${closest.flag}?` : '';
  return `unknown flag --${unknown}${hint} (npm run load -- --help lists them)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
