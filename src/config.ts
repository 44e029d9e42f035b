import { z } from 'zod';
import { LOG_LEVEL_NAMES, type LogLevel } from './logLevels';
import { DEFAULT_LOG_LIMITS, MAX_LOG_LIMIT, MIN_LOG_LINE_BYTES, MIN_LOG_STRING_LENGTH } from './logLimits';

export interface SightlineConfig {
  readonly enabled: boolean;
  readonly service: string;
  readonly version: string;
  readonly env: string;
  readonly commit: string | undefined;
  readonly logLevel: LogLevel;
  readonly logSamplingRateInfo: number;
  /** Characters a log string keeps (message, field values, keys); the rest is cut and marked. */
  readonly logMaxStringLength: number;
  /** UTF-8 bytes of a log line; fields that would not fit are left out and counted. */
  readonly logMaxLineBytes: number;
  readonly metricsEnabled: boolean;
  /** Prepended to every metric name sightline registers (`myapp_`). */
  readonly metricsPrefix: string;
  readonly metricsPublic: boolean;
  /** `false`: every `/health` endpoint answers 404. */
  readonly healthEnabled: boolean;
  readonly adminToken: string | undefined;
  readonly tracingEnabled: boolean;
  /** `false`: `/ops/dashboard` answers 404. */
  readonly dashboardEnabled: boolean;
  /** After SIGTERM, readiness answers 503 this long before the server stops accepting. */
  readonly shutdownDrainDelayMs: number;
  /** Then in-flight requests and streams get this long to finish. */
  readonly shutdownGracePeriodMs: number;
}

/** One configuration problem, named by the environment variable that caused it. */
export interface ConfigError {
  readonly variable: string;
  readonly message: string;
}

export interface LoadedConfig {
  readonly config: SightlineConfig;
  readonly errors: readonly ConfigError[];
}

/** Values given in code win over the environment. */
export type ConfigOverrides = Partial<SightlineConfig>;

export const ADMIN_TOKEN_MIN_LENGTH = 16;

const booleanVar = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(
    z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
      error: (issue) => `expected true or false, got ${JSON.stringify(issue.input)}`,
    }),
  )
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

const milliseconds = z
  .string()
  .trim()
  .refine((v) => /^\d+$/.test(v) && Number(v) <= 3_600_000, {
    error: (issue) => `expected a whole number of milliseconds up to 3600000, got ${JSON.stringify(issue.input)}`,
  })
  .transform(Number);

function wholeNumberFrom(min: number, unit: string) {
  return z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= MAX_LOG_LIMIT, {
      error: (issue) => `expected a whole number of ${unit} from ${min} to ${MAX_LOG_LIMIT}, got ${JSON.stringify(issue.input)}`,
    })
    .transform(Number);
}

/** https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels */
export const METRIC_NAME_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

const VARIABLES = {
  OBS_ENABLED: booleanVar,
  OBS_METRICS_ENABLED: booleanVar,
  OBS_METRICS_PUBLIC: booleanVar,
  OBS_HEALTH_ENABLED: booleanVar,
  OBS_METRICS_PREFIX: z
    .string()
    .trim()
    .regex(METRIC_NAME_PREFIX, {
      error: (issue) => `expected letters, digits, '_' or ':' not starting with a digit, got ${JSON.stringify(issue.input)}`,
    }),
  OBS_TRACING_ENABLED: booleanVar,
  OBS_DASHBOARD_ENABLED: booleanVar,
  OBS_SHUTDOWN_DRAIN_DELAY_MS: milliseconds,
  OBS_SHUTDOWN_GRACE_PERIOD_MS: milliseconds,
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(
      z.enum(LOG_LEVEL_NAMES, {
        error: (issue) => `expected one of ${LOG_LEVEL_NAMES.join(', ')}, got ${JSON.stringify(issue.input)}`,
      }),
    ),
  LOG_SAMPLING_RATE_INFO: z
    .string()
    .trim()
    .refine((v) => v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1, {
      error: (issue) => `expected a number between 0 and 1, got ${JSON.stringify(issue.input)}`,
    })
    .transform(Number),
  OBS_LOG_MAX_STRING_LENGTH: wholeNumberFrom(MIN_LOG_STRING_LENGTH, 'characters'),
  OBS_LOG_MAX_LINE_BYTES: wholeNumberFrom(MIN_LOG_LINE_BYTES, 'bytes'),
  // The token's value is never echoed in an error.
  OBS_ADMIN_TOKEN: z.string().min(ADMIN_TOKEN_MIN_LENGTH, {
    error: `must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`,
  }),
  ADMIN_SECRET: z.string().min(ADMIN_TOKEN_MIN_LENGTH, {
    error: `must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`,
  }),
  OTEL_SERVICE_NAME: nonEmpty,
  SERVICE_VERSION: nonEmpty,
  APP_ENV: nonEmpty,
  NODE_ENV: nonEmpty,
  GIT_COMMIT: nonEmpty,
} as const;

type VariableName = keyof typeof VARIABLES;

/** Every variable `loadConfig` reads. */
export const CONFIG_VARIABLE_NAMES = Object.freeze(Object.keys(VARIABLES) as VariableName[]);
type Parsed = { [K in VariableName]?: z.output<(typeof VARIABLES)[K]> };

export const CONFIG_DEFAULTS: SightlineConfig = Object.freeze({
  enabled: true,
  service: 'unknown_service',
  version: '0.0.0',
  env: 'development',
  commit: undefined,
  logLevel: 'info',
  logSamplingRateInfo: 1,
  logMaxStringLength: DEFAULT_LOG_LIMITS.maxStringLength,
  logMaxLineBytes: DEFAULT_LOG_LIMITS.maxLineBytes,
  metricsEnabled: true,
  metricsPrefix: '',
  metricsPublic: false,
  healthEnabled: true,
  adminToken: undefined,
  tracingEnabled: false,
  dashboardEnabled: true,
  shutdownDrainDelayMs: 5000,
  shutdownGracePeriodMs: 20_000,
});

/**
 * Reads sightline's settings from an environment. An invalid value is reported in
 * `errors` (and the default is used in its place) so that a health probe can name it;
 * it is never silently accepted.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: ConfigOverrides = {},
): LoadedConfig {
  assertValidOverrides(overrides);
  const parsed: Parsed = {};
  const errors: ConfigError[] = [];
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const raw = env[name];
    if (raw === undefined) continue;
    const result = VARIABLES[name].safeParse(raw);
    if (result.success) {
      (parsed as Record<string, unknown>)[name] = result.data;
    } else {
      errors.push({ variable: name, message: result.error.issues.map((i) => i.message).join('; ') });
    }
  }

  const config: SightlineConfig = {
    enabled: overrides.enabled ?? parsed.OBS_ENABLED ?? CONFIG_DEFAULTS.enabled,
    service: overrides.service ?? parsed.OTEL_SERVICE_NAME ?? CONFIG_DEFAULTS.service,
    version: overrides.version ?? parsed.SERVICE_VERSION ?? CONFIG_DEFAULTS.version,
    env: overrides.env ?? parsed.APP_ENV ?? parsed.NODE_ENV ?? CONFIG_DEFAULTS.env,
    commit: overrides.commit ?? parsed.GIT_COMMIT ?? CONFIG_DEFAULTS.commit,
    logLevel: overrides.logLevel ?? parsed.LOG_LEVEL ?? CONFIG_DEFAULTS.logLevel,
    logSamplingRateInfo:
      overrides.logSamplingRateInfo ?? parsed.LOG_SAMPLING_RATE_INFO ?? CONFIG_DEFAULTS.logSamplingRateInfo,
    logMaxStringLength: overrides.logMaxStringLength ?? parsed.OBS_LOG_MAX_STRING_LENGTH ?? CONFIG_DEFAULTS.logMaxStringLength,
    logMaxLineBytes: overrides.logMaxLineBytes ?? parsed.OBS_LOG_MAX_LINE_BYTES ?? CONFIG_DEFAULTS.logMaxLineBytes,
    metricsEnabled: overrides.metricsEnabled ?? parsed.OBS_METRICS_ENABLED ?? CONFIG_DEFAULTS.metricsEnabled,
    metricsPrefix: overrides.metricsPrefix ?? parsed.OBS_METRICS_PREFIX ?? CONFIG_DEFAULTS.metricsPrefix,
    metricsPublic: overrides.metricsPublic ?? parsed.OBS_METRICS_PUBLIC ?? CONFIG_DEFAULTS.metricsPublic,
    healthEnabled: overrides.healthEnabled ?? parsed.OBS_HEALTH_ENABLED ?? CONFIG_DEFAULTS.healthEnabled,
    adminToken: overrides.adminToken ?? parsed.OBS_ADMIN_TOKEN ?? parsed.ADMIN_SECRET ?? CONFIG_DEFAULTS.adminToken,
    tracingEnabled: overrides.tracingEnabled ?? parsed.OBS_TRACING_ENABLED ?? CONFIG_DEFAULTS.tracingEnabled,
    dashboardEnabled: overrides.dashboardEnabled ?? parsed.OBS_DASHBOARD_ENABLED ?? CONFIG_DEFAULTS.dashboardEnabled,
    shutdownDrainDelayMs:
      overrides.shutdownDrainDelayMs ?? parsed.OBS_SHUTDOWN_DRAIN_DELAY_MS ?? CONFIG_DEFAULTS.shutdownDrainDelayMs,
    shutdownGracePeriodMs:
      overrides.shutdownGracePeriodMs ?? parsed.OBS_SHUTDOWN_GRACE_PERIOD_MS ?? CONFIG_DEFAULTS.shutdownGracePeriodMs,
  };
  return { config: Object.freeze(config), errors: Object.freeze(errors) };
}

/** Each problem once: tracing and log export read the same OTLP variables. */
export function distinctConfigErrors(errors: readonly ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter(({ variable, message }) => {
    const key = `${variable}\n${message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Values given in code are a programmer's choice: a bad one throws at construction. */
function assertValidOverrides(overrides: ConfigOverrides): void {
  const rate = overrides.logSamplingRateInfo;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
    throw new TypeError(`sightline: logSamplingRateInfo must be a number between 0 and 1, got ${rate}`);
  }
  for (const [name, value, min] of [
    ['logMaxStringLength', overrides.logMaxStringLength, MIN_LOG_STRING_LENGTH],
    ['logMaxLineBytes', overrides.logMaxLineBytes, MIN_LOG_LINE_BYTES],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= MAX_LOG_LIMIT)) {
      throw new TypeError(`sightline: ${name} must be a whole number from ${min} to ${MAX_LOG_LIMIT}, got ${String(value)}`);
    }
  }
  const prefix = overrides.metricsPrefix;
  if (prefix !== undefined && !METRIC_NAME_PREFIX.test(prefix)) {
    throw new TypeError(
      `sightline: metricsPrefix must be letters, digits, '_' or ':' not starting with a digit, got ${JSON.stringify(prefix)}`,
    );
  }
  const level = overrides.logLevel;
  if (level !== undefined && !LOG_LEVEL_NAMES.includes(level)) {
    throw new TypeError(
      `sightline: logLevel must be one of ${LOG_LEVEL_NAMES.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
}
