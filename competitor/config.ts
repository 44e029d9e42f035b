import { z } from 'zod';
import { defineSettings, type DefineSettingsOptions, type EnvironmentVariable, type SettingsTable } from '../middleware';
import { PROFILE_NAMES, profileOverridesSchema, resolveProfile, type ModelProfile, type ProfileName } from './model/profiles';

/** The competitor's settings as resolved, its profile's overrides applied. */
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

/** The settings as the table reads them; `loadCompetitorConfig` shapes them into a `CompetitorConfig`. */
interface CompetitorSettings {
  readonly port: number;
  readonly host: string;
  readonly competitorId: string;
  readonly profileName: ProfileName;
  readonly ttftMs: number | undefined;
  readonly tokenIntervalMs: number | undefined;
  readonly jitterMs: number | undefined;
  readonly stallProbability: number | undefined;
  readonly stallMs: number | undefined;
  readonly failBeforeFirstTokenProbability: number | undefined;
  readonly failMidStreamProbability: number | undefined;
  readonly tokensPerAnswer: number | undefined;
  readonly backend: 'simulated' | 'openai';
  readonly upstreamUrl: string | undefined;
  readonly upstreamApiKey: string | undefined;
  readonly upstreamModel: string | undefined;
  readonly keepaliveIntervalMs: number;
  readonly sandboxSize: number;
  readonly sandboxQueueMax: number;
  readonly sandboxQueueTimeoutMs: number;
  readonly sandboxCallTimeoutMs: number;
  readonly sandboxCrashStormCount: number;
  readonly sandboxCrashStormWindowMs: number;
  readonly sessionTtlMs: number;
  readonly sessionCleanupIntervalMs: number;
}

const numberText = z
  .string()
  .trim()
  .regex(/^[+-]?(\d+\.?\d*|\.\d+)$/, { error: 'must be a number' })
  .transform(Number);

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

function wholeNumber(min: number, max: number) {
  return z
    .number()
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
}

/** A field of the model profile, with the profile's own limits; unset, the profile's value stands. */
function profileField(name: string, field: keyof typeof profileOverridesSchema.shape) {
  return {
    name,
    schema: profileOverridesSchema.shape[field],
    fromText: numberText,
    default: undefined,
    shownDefault: "the profile's",
    meaning: `Override the profile's \`${field}\`.`,
  };
}

const SETTINGS: SettingsTable<CompetitorSettings> = {
  port: { name: 'PORT', schema: wholeNumber(0, 65_535), fromText: numberText, default: 8081, meaning: 'Port to listen on (loopback unless `COMPETITOR_HOST` says otherwise).' },
  host: { name: 'COMPETITOR_HOST', schema: nonEmpty, default: '127.0.0.1', meaning: 'Address to listen on.' },
  competitorId: {
    name: 'COMPETITOR_ID',
    schema: z.string().regex(/^[a-z0-9_-]{1,32}$/, { error: 'must be 1-32 lowercase letters, digits, _ or -' }),
    default: 'baseline',
    meaning: "This competitor's name: its model id and the `service` of its log lines.",
  },
  profileName: {
    name: 'COMPETITOR_PROFILE',
    schema: z.enum(PROFILE_NAMES, { error: `must be one of ${PROFILE_NAMES.join(', ')}` }),
    default: 'baseline',
    meaning: `Simulated model profile: ${PROFILE_NAMES.join(', ')}.`,
  },
  ttftMs: profileField('COMPETITOR_TTFT_MS', 'ttftMs'),
  tokenIntervalMs: profileField('COMPETITOR_TOKEN_INTERVAL_MS', 'tokenIntervalMs'),
  jitterMs: profileField('COMPETITOR_JITTER_MS', 'jitterMs'),
  stallProbability: profileField('COMPETITOR_STALL_PROBABILITY', 'stallProbability'),
  stallMs: profileField('COMPETITOR_STALL_MS', 'stallMs'),
  failBeforeFirstTokenProbability: profileField('COMPETITOR_FAIL_BEFORE_FIRST_TOKEN_PROBABILITY', 'failBeforeFirstTokenProbability'),
  failMidStreamProbability: profileField('COMPETITOR_FAIL_MID_STREAM_PROBABILITY', 'failMidStreamProbability'),
  tokensPerAnswer: profileField('COMPETITOR_TOKENS_PER_ANSWER', 'tokensPerAnswer'),
  backend: {
    name: 'COMPETITOR_BACKEND',
    schema: z.enum(['simulated', 'openai'], { error: 'must be simulated or openai' }),
    default: 'simulated',
    meaning: '`simulated`, or `openai` to stream from `COMPETITOR_UPSTREAM_URL`.',
  },
  upstreamUrl: {
    name: 'COMPETITOR_UPSTREAM_URL',
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')),
    default: undefined,
    meaning: 'Base URL of an OpenAI-compatible API (`…/v1`); required with `COMPETITOR_BACKEND=openai`.',
  },
  upstreamApiKey: { name: 'CHUTES_API_KEY', schema: nonEmpty, default: undefined, secret: true, meaning: 'Bearer key sent to the upstream; never logged.' },
  upstreamModel: { name: 'COMPETITOR_UPSTREAM_MODEL', schema: nonEmpty, default: undefined, shownDefault: 'the requested model', meaning: 'Model name sent upstream.' },
  keepaliveIntervalMs: {
    name: 'COMPETITOR_KEEPALIVE_INTERVAL_MS',
    schema: wholeNumber(10, 60_000),
    fromText: numberText,
    default: 1000,
    meaning: '`: ping` after this long without output.',
  },
  sandboxSize: {
    name: 'SANDBOX_POOL_SIZE',
    fallbacks: ['WORKER_MAX_CONCURRENT'],
    schema: wholeNumber(1, 256),
    fromText: numberText,
    default: 4,
    meaning: 'Sandbox calls running at once.',
  },
  sandboxQueueMax: {
    name: 'SANDBOX_QUEUE_MAX',
    schema: wholeNumber(0, 100_000),
    fromText: numberText,
    default: 32,
    meaning: 'Calls waiting for a sandbox; beyond, 503 with `Retry-After`.',
  },
  sandboxQueueTimeoutMs: { name: 'SANDBOX_QUEUE_TIMEOUT_MS', schema: wholeNumber(1, 600_000), fromText: numberText, default: 5000, meaning: 'Longest wait in the queue.' },
  sandboxCallTimeoutMs: { name: 'SANDBOX_CALL_TIMEOUT_MS', schema: wholeNumber(1, 3_600_000), fromText: numberText, default: 30_000, meaning: 'A call running longer is killed.' },
  sandboxCrashStormCount: {
    name: 'SANDBOX_CRASH_STORM_COUNT',
    schema: wholeNumber(1, 10_000),
    fromText: numberText,
    default: 5,
    meaning: 'This many crashes within `SANDBOX_CRASH_STORM_WINDOW_MS` stop restarts until an operator resets the pool.',
  },
  sandboxCrashStormWindowMs: {
    name: 'SANDBOX_CRASH_STORM_WINDOW_MS',
    schema: wholeNumber(1, 86_400_000),
    fromText: numberText,
    default: 60_000,
    meaning: 'The window of `SANDBOX_CRASH_STORM_COUNT`.',
  },
  sessionTtlMs: { name: 'SESSION_TTL_MS', schema: wholeNumber(1, 2_592_000_000), fromText: numberText, default: 1_800_000, meaning: 'A session unused this long expires.' },
  sessionCleanupIntervalMs: {
    name: 'SESSION_CLEANUP_INTERVAL_MS',
    schema: wholeNumber(10, 86_400_000),
    fromText: numberText,
    default: 60_000,
    meaning: 'How often expired sessions are removed.',
  },
};

const upstreamForOpenAi: DefineSettingsOptions<CompetitorSettings>['check'] = (settings) =>
  settings.backend === 'openai' && settings.upstreamUrl === undefined
    ? [{ key: 'upstreamUrl', message: `is required when ${SETTINGS.backend.name}=openai` }]
    : [];

// An application: a competitor with the wrong profile or pool size would quietly measure the wrong thing.
const COMPETITOR_SETTINGS = defineSettings(SETTINGS, { subject: 'competitor', strict: true, check: upstreamForOpenAi });

/** Every variable the competitor reads, for the docs. */
export const COMPETITOR_ENVIRONMENT: readonly EnvironmentVariable[] = COMPETITOR_SETTINGS.variables;

/** Reads the competitor's settings; any bad value throws `SettingsError`, naming every problem by variable and value. */
export function loadCompetitorConfig(environment: Readonly<Record<string, string | undefined>>): CompetitorConfig {
  const { config: settings } = COMPETITOR_SETTINGS.load(environment);
  return Object.freeze({
    port: settings.port,
    host: settings.host,
    competitorId: settings.competitorId,
    profile: resolveProfile(settings.profileName, {
      ttftMs: settings.ttftMs,
      tokenIntervalMs: settings.tokenIntervalMs,
      jitterMs: settings.jitterMs,
      stallProbability: settings.stallProbability,
      stallMs: settings.stallMs,
      failBeforeFirstTokenProbability: settings.failBeforeFirstTokenProbability,
      failMidStreamProbability: settings.failMidStreamProbability,
      tokensPerAnswer: settings.tokensPerAnswer,
    }),
    backend: settings.backend,
    upstreamUrl: settings.upstreamUrl,
    upstreamApiKey: settings.upstreamApiKey,
    upstreamModel: settings.upstreamModel,
    keepaliveIntervalMs: settings.keepaliveIntervalMs,
    sandbox: Object.freeze({
      size: settings.sandboxSize,
      queueMax: settings.sandboxQueueMax,
      queueTimeoutMs: settings.sandboxQueueTimeoutMs,
      callTimeoutMs: settings.sandboxCallTimeoutMs,
      crashStormCount: settings.sandboxCrashStormCount,
      crashStormWindowMs: settings.sandboxCrashStormWindowMs,
    }),
    sessionTtlMs: settings.sessionTtlMs,
    sessionCleanupIntervalMs: settings.sessionCleanupIntervalMs,
  });
}
