import { booleanValue, matching, oneOf, secretText, shareValue, textValue, wholeNumber } from './configValues';
import { LOG_LEVEL_NAMES, type LogLevel } from './logLevels';
import { DEFAULT_LOG_LIMITS, MAX_LOG_LIMIT, MIN_LOG_LINE_BYTES, MIN_LOG_STRING_LENGTH } from './logLimits';
import { defineSettings } from './settings';

/** sightline's settings as resolved: from code, else the environment, else the defaults. */
export interface SightlineConfig {
  /** `false`: `obs.middleware()` is a pass-through (no ids, context or access log). `OBS_ENABLED`, default true. */
  readonly enabled: boolean;
  /** `service` on every log line. `OTEL_SERVICE_NAME`, default `unknown_service`. */
  readonly service: string;
  /** `version` on every log line. `SERVICE_VERSION`, default `0.0.0`. */
  readonly version: string;
  /** `env` on every log line. `APP_ENV`, else `NODE_ENV`, default `development`. */
  readonly env: string;
  /** The deployed commit. `GIT_COMMIT`; unset by default. */
  readonly commit: string | undefined;
  /** The least severe level written. `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  /** Share of requests (0 to 1) whose `info` lines and below are kept. `LOG_SAMPLING_RATE_INFO`, default 1. */
  readonly logSamplingRateInfo: number;
  /** Characters a log string keeps (message, field values, keys); the rest is cut and marked. */
  readonly logMaxStringLength: number;
  /** UTF-8 bytes of a log line; fields that would not fit are left out and counted. */
  readonly logMaxLineBytes: number;
  /** `false`: no HTTP or process metrics, and `/metrics` answers 404. `OBS_METRICS_ENABLED`, default true. */
  readonly metricsEnabled: boolean;
  /** Prepended to every metric name sightline registers (`myapp_`). */
  readonly metricsPrefix: string;
  /** `true`: `/metrics` is served without the admin token. `OBS_METRICS_PUBLIC`, default false. */
  readonly metricsPublic: boolean;
  /** `false`: every `/health` endpoint answers 404. */
  readonly healthEnabled: boolean;
  /**
   * Bearer token for `/ops/*` and `/metrics`, at least `ADMIN_TOKEN_MIN_LENGTH` characters.
   * Unset (the default), they answer 404. `OBS_ADMIN_TOKEN`, else `ADMIN_SECRET`.
   */
  readonly adminToken: string | undefined;
  /** OpenTelemetry tracing. `OBS_TRACING_ENABLED`, default false. */
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
  /** The environment variable's name (`LOG_LEVEL`). */
  readonly variable: string;
  /** What was wrong with its value; the default was used instead. */
  readonly message: string;
}

/** The settings, and each environment value refused on the way (its default used instead). */
export interface LoadedConfig {
  readonly config: SightlineConfig;
  readonly errors: readonly ConfigError[];
}

/** Values given in code win over the environment. */
export type ConfigOverrides = Partial<SightlineConfig>;

/** Shorter admin tokens are refused: they could be guessed. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

/** https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels */
export const METRIC_NAME_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

const MAX_SHUTDOWN_MS = 3_600_000;

/** sightline's own settings; the OpenTelemetry variables are read by tracingConfig.ts and logExportConfig.ts. */
export const SIGHTLINE_SETTINGS = defineSettings<SightlineConfig>(
  {
    enabled: {
      name: 'OBS_ENABLED',
      ...booleanValue,
      default: true,
      meaning: '`false` makes `obs.middleware()` a pass-through (no ids, context or access log)',
    },
    logLevel: {
      name: 'LOG_LEVEL',
      ...oneOf(LOG_LEVEL_NAMES),
      default: 'info',
      meaning: LOG_LEVEL_NAMES.map((name) => `\`${name}\``).join(', '),
    },
    logSamplingRateInfo: {
      name: 'LOG_SAMPLING_RATE_INFO',
      ...shareValue,
      default: 1,
      meaning: 'share of requests (0..1) whose info-and-below lines are kept',
    },
    logMaxStringLength: {
      name: 'OBS_LOG_MAX_STRING_LENGTH',
      ...wholeNumber(MIN_LOG_STRING_LENGTH, MAX_LOG_LIMIT, 'characters'),
      default: DEFAULT_LOG_LIMITS.maxStringLength,
      meaning: `characters a log string keeps (message, field values at any depth, keys), from ${MIN_LOG_STRING_LENGTH}; the rest is cut before redaction and marked \`…[truncated: N more of M chars]\` (see [Logs](#logs))`,
    },
    logMaxLineBytes: {
      name: 'OBS_LOG_MAX_LINE_BYTES',
      ...wholeNumber(MIN_LOG_LINE_BYTES, MAX_LOG_LIMIT, 'bytes'),
      default: DEFAULT_LOG_LIMITS.maxLineBytes,
      meaning: `bytes of a log line, from ${MIN_LOG_LINE_BYTES}; fields that would not fit are left out and counted in \`_truncated\``,
    },
    metricsPublic: {
      name: 'OBS_METRICS_PUBLIC',
      ...booleanValue,
      default: false,
      meaning: 'serve `/metrics` without the admin token',
    },
    adminToken: {
      name: 'OBS_ADMIN_TOKEN',
      fallbacks: ['ADMIN_SECRET'],
      ...secretText(ADMIN_TOKEN_MIN_LENGTH),
      default: undefined,
      secret: true,
      meaning: `bearer token for \`/ops/*\` and \`/metrics\` (at least ${ADMIN_TOKEN_MIN_LENGTH} characters); unset, they answer 404`,
    },
    healthEnabled: {
      name: 'OBS_HEALTH_ENABLED',
      ...booleanValue,
      default: true,
      meaning: '`false`: every `/health` endpoint answers 404',
    },
    metricsEnabled: {
      name: 'OBS_METRICS_ENABLED',
      ...booleanValue,
      default: true,
      meaning: '`false`: no HTTP or process metrics, `/metrics` answers 404',
    },
    metricsPrefix: {
      name: 'OBS_METRICS_PREFIX',
      ...matching(METRIC_NAME_PREFIX, "letters, digits, '_' or ':' not starting with a digit"),
      default: '',
      meaning: 'prefix of every metric sightline registers (`[a-zA-Z_:][a-zA-Z0-9_:]*`)',
    },
    tracingEnabled: {
      name: 'OBS_TRACING_ENABLED',
      ...booleanValue,
      default: false,
      meaning: 'OpenTelemetry tracing (see [Tracing](#tracing))',
    },
    dashboardEnabled: {
      name: 'OBS_DASHBOARD_ENABLED',
      ...booleanValue,
      default: true,
      meaning: '`false`: `/ops/dashboard` answers 404 (see [Dashboard](#dashboard))',
    },
    shutdownDrainDelayMs: {
      name: 'OBS_SHUTDOWN_DRAIN_DELAY_MS',
      ...wholeNumber(0, MAX_SHUTDOWN_MS, 'milliseconds'),
      default: 5000,
      meaning: 'after SIGTERM, readiness answers 503 this long before the server stops accepting (`obs.handleSignals`)',
    },
    shutdownGracePeriodMs: {
      name: 'OBS_SHUTDOWN_GRACE_PERIOD_MS',
      ...wholeNumber(0, MAX_SHUTDOWN_MS, 'milliseconds'),
      default: 20_000,
      meaning: 'then in-flight requests and streams get this long before they are closed',
    },
    service: {
      name: 'OTEL_SERVICE_NAME',
      ...textValue,
      default: 'unknown_service',
      meaning: '`service` on every line (`options.service` wins)',
    },
    version: {
      name: 'SERVICE_VERSION',
      ...textValue,
      default: '0.0.0',
      meaning: '`version` on every line (`options.version` wins)',
    },
    env: {
      name: 'APP_ENV',
      fallbacks: ['NODE_ENV'],
      ...textValue,
      default: 'development',
      meaning: '`env` on every line',
    },
    commit: {
      name: 'GIT_COMMIT',
      ...textValue,
      default: undefined,
      meaning: 'the deployed commit',
    },
  },
  // A library must never take its host service down: a bad environment value is reported and the default kept.
  { subject: 'sightline', strict: false },
);

/** Every variable `loadConfig` reads. */
export const CONFIG_VARIABLE_NAMES: readonly string[] = Object.freeze(SIGHTLINE_SETTINGS.variables.map((variable) => variable.name));

/** Every setting's default. */
export const CONFIG_DEFAULTS: SightlineConfig = SIGHTLINE_SETTINGS.defaults;

/**
 * Reads sightline's settings from an environment, values given in code winning. An invalid
 * environment value is reported in `errors` (and the default is used in its place) so that a
 * health probe can name it; an invalid value given in code throws `SettingsError`.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: ConfigOverrides = {},
): LoadedConfig {
  const { config, problems } = SIGHTLINE_SETTINGS.load(env, overrides);
  return { config, errors: Object.freeze(problems.map(({ variable, message }) => ({ variable, message }))) };
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
