/** One environment variable as the README's table lists it. */
export interface EnvironmentVariable {
  readonly name: string;
  /** As the README shows it: a plain value is set in code, text with spaces or backticks is shown as is. */
  readonly default: string;
  readonly meaning: string;
}

/** Every variable sightline itself reads (OpenTelemetry's exporter reads its own `OTEL_*` as well). */
export const SIGHTLINE_ENVIRONMENT: readonly EnvironmentVariable[] = [
  { name: 'OBS_ENABLED', default: 'true', meaning: '`false` makes `obs.middleware()` a pass-through (no ids, context or access log)' },
  { name: 'LOG_LEVEL', default: 'info', meaning: '`fatal`, `error`, `warn`, `info`, `http`, `verbose`, `debug`, `silly`' },
  { name: 'LOG_SAMPLING_RATE_INFO', default: '1', meaning: 'share of requests (0..1) whose info-and-below lines are kept' },
  { name: 'OBS_METRICS_PUBLIC', default: 'false', meaning: 'serve `/metrics` without the admin token' },
  { name: 'OBS_ADMIN_TOKEN', default: 'unset', meaning: 'bearer token for `/ops/*` and `/metrics` (at least 16 characters); unset, they answer 404' },
  { name: 'OBS_HEALTH_ENABLED', default: 'true', meaning: '`false`: every `/health` endpoint answers 404' },
  { name: 'ADMIN_SECRET', default: 'unset', meaning: 'alias of `OBS_ADMIN_TOKEN`; `OBS_ADMIN_TOKEN` wins when both are set' },
  { name: 'OBS_METRICS_ENABLED', default: 'true', meaning: '`false`: no HTTP or process metrics, `/metrics` answers 404' },
  { name: 'OBS_METRICS_PREFIX', default: 'empty', meaning: 'prefix of every metric sightline registers (`[a-zA-Z_:][a-zA-Z0-9_:]*`)' },
  { name: 'OBS_TRACING_ENABLED', default: 'false', meaning: 'OpenTelemetry tracing (see [Tracing](#tracing))' },
  { name: 'OBS_DASHBOARD_ENABLED', default: 'true', meaning: '`false`: `/ops/dashboard` answers 404 (see [Dashboard](#dashboard))' },
  { name: 'OBS_SHUTDOWN_DRAIN_DELAY_MS', default: '5000', meaning: 'after SIGTERM, readiness answers 503 this long before the server stops accepting (`obs.handleSignals`)' },
  { name: 'OBS_SHUTDOWN_GRACE_PERIOD_MS', default: '20000', meaning: 'then in-flight requests and streams get this long before they are closed' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', meaning: 'OTLP/HTTP collector; `/v1/traces` is appended' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: 'unset', meaning: 'full traces URL, used as is (wins over the above)' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/protobuf', meaning: 'or `http/json` (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` wins); grpc is not supported' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: 'unset', meaning: 'the same for traces only; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`' },
  { name: 'OTEL_TRACES_SAMPLER', default: 'parentbased_always_on', meaning: '`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`' },
  { name: 'OTEL_TRACES_SAMPLER_ARG', default: '1', meaning: 'ratio (0..1) of the `traceidratio` samplers' },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', default: 'unset', meaning: 'extra resource attributes, `key=value,key2=value2`' },
  { name: 'OTEL_SERVICE_NAME', default: 'unknown_service', meaning: '`service` on every line (`options.service` wins)' },
  { name: 'SERVICE_VERSION', default: '0.0.0', meaning: '`version` on every line (`options.version` wins)' },
  { name: 'APP_ENV', default: '`NODE_ENV`, else `development`', meaning: '`env` on every line' },
  { name: 'NODE_ENV', default: 'unset', meaning: 'fallback for `APP_ENV`' },
  { name: 'GIT_COMMIT', default: 'unset', meaning: 'the deployed commit' },
];
