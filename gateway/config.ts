import { z } from 'zod';
import { defineSettings, SettingsError, type DefineSettingsOptions, type EnvironmentVariable, type SettingsTable } from '../middleware';

/** One competitor: the `model` clients ask for, and the base URL of the service behind it. */
export interface CompetitorConfig {
  readonly id: string;
  /** Absolute http(s) URL without a trailing slash; `/v1/chat/completions` is appended. */
  readonly url: string;
}

/** The gateway's settings as resolved: from code, else the environment, else the defaults. */
export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly competitors: readonly CompetitorConfig[];
  readonly upstreamMaxSockets: number;
  readonly connectTimeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly maxBufferedBytes: number;
  readonly maxFrameBytes: number;
  readonly slowClientTimeoutMs: number;
  readonly contractTtftMs: number;
  readonly contractGapMs: number;
  readonly breakerErrorPercent: number;
  readonly breakerVolumeThreshold: number;
  readonly breakerResetMs: number;
  readonly breakerJitter: number;
  readonly breakerWindowMs: number;
}

/** Values given in code; they win over the environment. Competitors may be given as `id=url,…` too. */
export type GatewayConfigInput = {
  readonly [K in Exclude<keyof GatewayConfig, 'competitors'>]?: GatewayConfig[K];
} & {
  readonly competitors?: string | readonly { readonly id: string; readonly url: string | URL }[];
};

/** Thrown by `loadGatewayConfig` with every problem found, each naming its variable and value: the core's `SettingsError`. */
export const GatewayConfigError = SettingsError;
/** The error `loadGatewayConfig` throws. */
export type GatewayConfigError = SettingsError;

const COMPETITOR_ID = /^[a-z0-9_-]{1,32}$/;
/** sightline labels streams with no upstream `none` and unknown ones `other`. */
const RESERVED_IDS = new Set(['none', 'other']);
const MAX_MS = 86_400_000;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)$/;

const wholeMs = (min: number, max = MAX_MS) =>
  z
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** `id=url,…` text or a list; checks every entry, so one error names every problem of the list. */
const competitorList = z.preprocess(
  (value) => (typeof value === 'string' ? competitorEntries(value) : value),
  z
    .array(z.union([z.string(), z.object({ id: z.string(), url: z.union([z.string(), z.instanceof(URL)]) })]), {
      error: 'expected a list of { id, url }',
    })
    .transform((entries, ctx) => {
      const competitors: CompetitorConfig[] = [];
      const seen = new Set<string>();
      const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
      for (const entry of entries) {
        if (typeof entry === 'string') {
          problem(`entry ${JSON.stringify(entry)} is not id=url`);
          continue;
        }
        const { id } = entry;
        if (!COMPETITOR_ID.test(id)) problem(`id ${JSON.stringify(id)} must be 1-32 characters of a-z, 0-9, _ and -`);
        else if (RESERVED_IDS.has(id)) problem(`id ${JSON.stringify(id)} is reserved (stream metrics use it)`);
        else if (seen.has(id)) problem(`id ${JSON.stringify(id)} is listed twice`);
        seen.add(id);
        const url = competitorUrl(String(entry.url));
        if (typeof url !== 'string') problem(`${id}: ${url.problem}`);
        else competitors.push({ id, url });
      }
      if (entries.length === 0) problem('at least one competitor is needed');
      return competitors;
    }),
);

function competitorUrl(text: string): string | { readonly problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `url ${JSON.stringify(text)} is not an absolute URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: `url must use http or https, got ${JSON.stringify(url.protocol)}` };
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return { problem: 'url must not carry credentials, a query or a fragment' };
  }
  return url.href.replace(/\/+$/, '');
}

/** `id=url,id=url` into entries; a malformed entry stays text, for the error to quote. */
function competitorEntries(text: string): ({ id: string; url: string } | string)[] {
  const entries: ({ id: string; url: string } | string)[] = [];
  for (const part of text.split(',')) {
    const entry = part.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    entries.push(at <= 0 ? entry : { id: entry.slice(0, at).trim(), url: entry.slice(at + 1).trim() });
  }
  return entries;
}

const numberText = z
  .string()
  .trim()
  .regex(NUMBER_TEXT, { error: 'must be a number' })
  .transform(Number);

const SETTINGS: SettingsTable<GatewayConfig> = {
  port: {
    name: 'PORT',
    default: 8080,
    meaning: 'port the gateway listens on',
    schema: z.number().int({ error: 'must be a whole number' }).min(0, { error: 'must be 0-65535' }).max(65_535, { error: 'must be 0-65535' }),
    fromText: numberText,
  },
  host: {
    name: 'GATEWAY_HOST',
    default: '0.0.0.0',
    meaning: 'address the gateway listens on',
    schema: z.string().trim().min(1, { error: 'must not be empty' }),
  },
  competitors: {
    name: 'GATEWAY_COMPETITORS',
    default: [
      { id: 'baseline', url: 'http://127.0.0.1:8081' },
      { id: 'fast', url: 'http://127.0.0.1:8082' },
      { id: 'flaky', url: 'http://127.0.0.1:8083' },
    ],
    shownDefault: 'baseline=http://127.0.0.1:8081,fast=http://127.0.0.1:8082,flaky=http://127.0.0.1:8083',
    meaning: 'competitors as `id=url,…`: the `model` a client asks for, and the base URL it is routed to (ids `[a-z0-9_-]{1,32}`, unique)',
    schema: competitorList,
  },
  upstreamMaxSockets: {
    name: 'GATEWAY_UPSTREAM_MAX_SOCKETS',
    default: 4096,
    meaning: 'connections per competitor; a stream holds one for its whole life, and calls beyond wait for one within the connect timeout',
    schema: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(1_000_000, { error: 'must be at most 1000000' }),
    fromText: numberText,
  },
  connectTimeoutMs: {
    name: 'GATEWAY_CONNECT_TIMEOUT_MS',
    default: 2000,
    meaning: 'time to get a connection to a competitor: a free pooled one, or a new one opened (answered 504 `connect`)',
    schema: wholeMs(1),
    fromText: numberText,
  },
  firstTokenTimeoutMs: {
    name: 'GATEWAY_FIRST_TOKEN_TIMEOUT_MS',
    default: 30_000,
    meaning: 'time from the upstream request to its first content event (streams) or its response headers (non-streaming)',
    schema: wholeMs(1),
    fromText: numberText,
  },
  idleTimeoutMs: {
    name: 'GATEWAY_IDLE_TIMEOUT_MS',
    default: 15_000,
    meaning: 'longest the upstream may send no byte at all (keep-alive comments count as bytes)',
    schema: wholeMs(1),
    fromText: numberText,
  },
  totalTimeoutMs: {
    name: 'GATEWAY_TOTAL_TIMEOUT_MS',
    default: 300_000,
    meaning: 'longest one upstream call may last, stream included',
    schema: wholeMs(1),
    fromText: numberText,
  },
  keepaliveIntervalMs: {
    name: 'GATEWAY_KEEPALIVE_INTERVAL_MS',
    default: 1000,
    meaning: 'once a stream has started, the gateway writes `: ping` when nothing was written to the client for this long',
    schema: wholeMs(10),
    fromText: numberText,
  },
  maxBufferedBytes: {
    name: 'GATEWAY_MAX_BUFFERED_BYTES',
    default: 1024 * 1024,
    meaning: 'bytes a stream may hold for a client that does not read before it is cut',
    schema: z
      .number()
      .int({ error: 'must be a whole number of bytes' })
      .min(16 * 1024, { error: 'must be at least 16384' })
      .max(1024 * 1024 * 1024, { error: 'must be at most 1 GiB' }),
    fromText: numberText,
  },
  maxFrameBytes: {
    name: 'GATEWAY_MAX_FRAME_BYTES',
    default: 1024 * 1024,
    meaning: 'bytes one upstream event (a line, or a multi-line event) may reach before its blank line; over it the stream ends with an error event (`frame_too_large`)',
    schema: z
      .number()
      .int({ error: 'must be a whole number of bytes' })
      .min(1024, { error: 'must be at least 1024' })
      .max(64 * 1024 * 1024, { error: 'must be at most 64 MiB' }),
    fromText: numberText,
  },
  slowClientTimeoutMs: {
    name: 'GATEWAY_SLOW_CLIENT_TIMEOUT_MS',
    default: 10_000,
    meaning: 'longest a client may leave a full write buffer undrained before its stream is cut',
    schema: wholeMs(1),
    fromText: numberText,
  },
  contractTtftMs: {
    name: 'GATEWAY_CONTRACT_TTFT_MS',
    default: 2000,
    meaning: 'contract: time from the request to the first content event the client receives',
    schema: wholeMs(1),
    fromText: numberText,
  },
  contractGapMs: {
    name: 'GATEWAY_CONTRACT_GAP_MS',
    default: 2000,
    meaning: 'contract: longest silence between two frames the client receives (keep-alives count)',
    schema: wholeMs(1),
    fromText: numberText,
  },
  breakerErrorPercent: {
    name: 'GATEWAY_BREAKER_ERROR_PERCENT',
    default: 50,
    meaning: "a competitor's circuit opens when more than this share (%) of its calls in the window failed",
    schema: z.number().gt(0, { error: 'must be above 0' }).lt(100, { error: 'must be below 100' }),
    fromText: numberText,
  },
  breakerVolumeThreshold: {
    name: 'GATEWAY_BREAKER_VOLUME_THRESHOLD',
    default: 5,
    meaning: 'calls in the window before the circuit may open',
    schema: z.number().int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(100_000, { error: 'must be at most 100000' }),
    fromText: numberText,
  },
  breakerResetMs: {
    name: 'GATEWAY_BREAKER_RESET_MS',
    default: 10_000,
    meaning: 'time an open circuit waits before letting one probe call through (half-open)',
    schema: wholeMs(10),
    fromText: numberText,
  },
  breakerJitter: {
    name: 'GATEWAY_BREAKER_JITTER',
    default: 0.2,
    meaning: 'share (0 to below 1) by which each reset wait is varied at random, so gateways do not probe in step',
    schema: z.number().min(0, { error: 'must be 0 or more' }).lt(1, { error: 'must be below 1' }),
    fromText: numberText,
  },
  breakerWindowMs: {
    name: 'GATEWAY_BREAKER_WINDOW_MS',
    default: 10_000,
    meaning: 'rolling window over which the error share is counted',
    schema: wholeMs(100),
    fromText: numberText,
  },
};

/** Timeouts within one upstream call cannot outlast the call. */
const withinTotalTimeout: DefineSettingsOptions<GatewayConfig>['check'] = (config) =>
  (['connectTimeoutMs', 'firstTokenTimeoutMs', 'idleTimeoutMs'] as const)
    .filter((key) => config[key] > config.totalTimeoutMs)
    .map((key) => ({ key, message: `must not exceed ${SETTINGS.totalTimeoutMs.name} (${config.totalTimeoutMs})` }));

// An application: a bad value refuses to start, rather than run a gateway other than the one asked for.
const GATEWAY_SETTINGS = defineSettings(SETTINGS, { subject: 'gateway', strict: true, check: withinTotalTimeout });

/** The gateway's environment variables, in the order the docs list them. */
export const GATEWAY_ENV_VARIABLES: readonly EnvironmentVariable[] = GATEWAY_SETTINGS.variables;

/**
 * Reads the gateway's settings from `environment`, values given in code winning. Every
 * invalid value is reported at once, by variable and value, in the `GatewayConfigError`
 * thrown; nothing falls back silently.
 */
export function loadGatewayConfig(
  environment: Readonly<Record<string, string | undefined>> = process.env,
  input: GatewayConfigInput = {},
): GatewayConfig {
  const { config } = GATEWAY_SETTINGS.load(environment, input);
  return Object.freeze({ ...config, competitors: Object.freeze(config.competitors.map((c) => Object.freeze({ ...c }))) });
}
