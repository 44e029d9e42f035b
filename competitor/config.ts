import { z } from 'zod';
import type { EnvironmentVariable } from '../middleware';
import { PROFILE_NAMES, resolveProfile, type ModelProfile, type ProfileOverrides } from './model/profiles';

export interface CompetitorConfig {
  readonly port: number;
  readonly host: string;
  readonly competitorId: string;
  readonly profile: ModelProfile;
  readonly backend: 'simulated' | 'openai';
  readonly upstreamUrl: string | undefined;
  readonly upstreamApiKey: string | undefined;
  readonly upstreamModel: string | undefined;
  readonly keepaliveIntervalMs: number;
  readonly sandbox: {
    readonly size: number;
    readonly queueMax: number;
    readonly queueTimeoutMs: number;
    readonly callTimeoutMs: number;
    readonly crashStormCount: number;
    readonly crashStormWindowMs: number;
  };
  readonly sessionTtlMs: number;
  readonly sessionCleanupIntervalMs: number;
}

/** Every variable the competitor reads, for the README. */
export const COMPETITOR_ENVIRONMENT: readonly EnvironmentVariable[] = [
  { name: 'PORT', default: '8081', meaning: 'Port to listen on (loopback unless `COMPETITOR_HOST` says otherwise).' },
  { name: 'COMPETITOR_HOST', default: '127.0.0.1', meaning: 'Address to listen on.' },
  { name: 'COMPETITOR_ID', default: 'baseline', meaning: 'This competitor\'s name: its model id and the `service` of its log lines.' },
  { name: 'COMPETITOR_PROFILE', default: 'baseline', meaning: `Simulated model profile: ${PROFILE_NAMES.join(', ')}.` },
  { name: 'COMPETITOR_TTFT_MS, COMPETITOR_TOKEN_INTERVAL_MS, COMPETITOR_JITTER_MS, COMPETITOR_STALL_PROBABILITY, COMPETITOR_STALL_MS, COMPETITOR_FAIL_BEFORE_FIRST_TOKEN_PROBABILITY, COMPETITOR_FAIL_MID_STREAM_PROBABILITY, COMPETITOR_TOKENS_PER_ANSWER', default: 'the profile\'s', meaning: 'Override one field of the profile.' },
  { name: 'COMPETITOR_BACKEND', default: 'simulated', meaning: '`simulated`, or `openai` to stream from `COMPETITOR_UPSTREAM_URL`.' },
  { name: 'COMPETITOR_UPSTREAM_URL', default: '—', meaning: 'Base URL of an OpenAI-compatible API (`…/v1`); required with `COMPETITOR_BACKEND=openai`.' },
  { name: 'CHUTES_API_KEY', default: '—', meaning: 'Bearer key sent to the upstream; never logged.' },
  { name: 'COMPETITOR_UPSTREAM_MODEL', default: 'the requested model', meaning: 'Model name sent upstream.' },
  { name: 'COMPETITOR_KEEPALIVE_INTERVAL_MS', default: '1000', meaning: '`: ping` after this long without output.' },
  { name: 'SANDBOX_POOL_SIZE', default: '`WORKER_MAX_CONCURRENT`, else 4', meaning: 'Sandbox calls running at once.' },
  { name: 'WORKER_MAX_CONCURRENT', default: '—', meaning: 'Fallback for `SANDBOX_POOL_SIZE`.' },
  { name: 'SANDBOX_QUEUE_MAX', default: '32', meaning: 'Calls waiting for a sandbox; beyond, 503 with `Retry-After`.' },
  { name: 'SANDBOX_QUEUE_TIMEOUT_MS', default: '5000', meaning: 'Longest wait in the queue.' },
  { name: 'SANDBOX_CALL_TIMEOUT_MS', default: '30000', meaning: 'A call running longer is killed.' },
  { name: 'SANDBOX_CRASH_STORM_COUNT, SANDBOX_CRASH_STORM_WINDOW_MS', default: '5, 60000', meaning: 'This many crashes within the window stop restarts until an operator resets the pool.' },
  { name: 'SESSION_TTL_MS', default: '1800000', meaning: 'A session unused this long expires.' },
  { name: 'SESSION_CLEANUP_INTERVAL_MS', default: '60000', meaning: 'How often expired sessions are removed.' },
];

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const probability = z.coerce.number().min(0).max(1);

const schema = z.object({
  PORT: integer(0, 65535).default(8081),
  COMPETITOR_HOST: z.string().min(1).default('127.0.0.1'),
  COMPETITOR_ID: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'must be 1-32 lowercase letters, digits, _ or -').default('baseline'),
  COMPETITOR_PROFILE: z.enum(PROFILE_NAMES).default('baseline'),
  COMPETITOR_TTFT_MS: integer(0, 600_000).optional(),
  COMPETITOR_TOKEN_INTERVAL_MS: integer(0, 600_000).optional(),
  COMPETITOR_JITTER_MS: integer(0, 600_000).optional(),
  COMPETITOR_STALL_PROBABILITY: probability.optional(),
  COMPETITOR_STALL_MS: integer(0, 600_000).optional(),
  COMPETITOR_FAIL_BEFORE_FIRST_TOKEN_PROBABILITY: probability.optional(),
  COMPETITOR_FAIL_MID_STREAM_PROBABILITY: probability.optional(),
  COMPETITOR_TOKENS_PER_ANSWER: integer(1, 100_000).optional(),
  COMPETITOR_BACKEND: z.enum(['simulated', 'openai']).default('simulated'),
  COMPETITOR_UPSTREAM_URL: z.url({ protocol: /^https?$/ }).optional(),
  CHUTES_API_KEY: z.string().min(1).optional(),
  COMPETITOR_UPSTREAM_MODEL: z.string().min(1).optional(),
  COMPETITOR_KEEPALIVE_INTERVAL_MS: integer(10, 60_000).default(1000),
  WORKER_MAX_CONCURRENT: integer(1, 256).optional(),
  SANDBOX_POOL_SIZE: integer(1, 256).optional(),
  SANDBOX_QUEUE_MAX: integer(0, 100_000).default(32),
  SANDBOX_QUEUE_TIMEOUT_MS: integer(1, 600_000).default(5000),
  SANDBOX_CALL_TIMEOUT_MS: integer(1, 3_600_000).default(30_000),
  SANDBOX_CRASH_STORM_COUNT: integer(1, 10_000).default(5),
  SANDBOX_CRASH_STORM_WINDOW_MS: integer(1, 86_400_000).default(60_000),
  SESSION_TTL_MS: integer(1, 2_592_000_000).default(1_800_000),
  SESSION_CLEANUP_INTERVAL_MS: integer(10, 86_400_000).default(60_000),
});

/** The competitor's settings could not be read; the message names every bad variable. */
export class CompetitorConfigError extends Error {
  override readonly name = 'CompetitorConfigError';
}

/**
 * Reads the competitor's settings. Unlike sightline's own settings, which fall back to
 * defaults, a bad value here refuses to start: a competitor with the wrong profile or pool
 * size would quietly measure the wrong thing.
 */
export function loadCompetitorConfig(environment: Readonly<Record<string, string | undefined>>): CompetitorConfig {
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const shown = /KEY|TOKEN|SECRET/.test(name) ? '[redacted]' : JSON.stringify(present[name]);
      return `${issue.path.join('.')}: ${issue.message} (got ${shown})`;
    });
    throw new CompetitorConfigError(`invalid competitor configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  if (env.COMPETITOR_BACKEND === 'openai' && env.COMPETITOR_UPSTREAM_URL === undefined) {
    throw new CompetitorConfigError('invalid competitor configuration: COMPETITOR_UPSTREAM_URL is required when COMPETITOR_BACKEND=openai');
  }
  const overrides: ProfileOverrides = {
    ttftMs: env.COMPETITOR_TTFT_MS,
    tokenIntervalMs: env.COMPETITOR_TOKEN_INTERVAL_MS,
    jitterMs: env.COMPETITOR_JITTER_MS,
    stallProbability: env.COMPETITOR_STALL_PROBABILITY,
    stallMs: env.COMPETITOR_STALL_MS,
    failBeforeFirstTokenProbability: env.COMPETITOR_FAIL_BEFORE_FIRST_TOKEN_PROBABILITY,
    failMidStreamProbability: env.COMPETITOR_FAIL_MID_STREAM_PROBABILITY,
    tokensPerAnswer: env.COMPETITOR_TOKENS_PER_ANSWER,
  };
  return Object.freeze({
    port: env.PORT,
    host: env.COMPETITOR_HOST,
    competitorId: env.COMPETITOR_ID,
    profile: resolveProfile(env.COMPETITOR_PROFILE, overrides),
    backend: env.COMPETITOR_BACKEND,
    upstreamUrl: env.COMPETITOR_UPSTREAM_URL?.replace(/\/+$/, ''),
    upstreamApiKey: env.CHUTES_API_KEY,
    upstreamModel: env.COMPETITOR_UPSTREAM_MODEL,
    keepaliveIntervalMs: env.COMPETITOR_KEEPALIVE_INTERVAL_MS,
    sandbox: Object.freeze({
      size: env.SANDBOX_POOL_SIZE ?? env.WORKER_MAX_CONCURRENT ?? 4,
      queueMax: env.SANDBOX_QUEUE_MAX,
      queueTimeoutMs: env.SANDBOX_QUEUE_TIMEOUT_MS,
      callTimeoutMs: env.SANDBOX_CALL_TIMEOUT_MS,
      crashStormCount: env.SANDBOX_CRASH_STORM_COUNT,
      crashStormWindowMs: env.SANDBOX_CRASH_STORM_WINDOW_MS,
    }),
    sessionTtlMs: env.SESSION_TTL_MS,
    sessionCleanupIntervalMs: env.SESSION_CLEANUP_INTERVAL_MS,
  });
}
