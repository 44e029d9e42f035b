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
  { name: 'OBS_LOG_MAX_STRING_LENGTH', default: '8192', meaning: 'characters a log string keeps (message, field values at any depth, keys), from 64; the rest is cut before redaction and marked `…[truncated: N more of M chars]` (see [Logs](#logs))' },
  { name: 'OBS_LOG_MAX_LINE_BYTES', default: '65536', meaning: 'bytes of a log line, from 1024; fields that would not fit are left out and counted in `_truncated`' },
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
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', meaning: 'OTLP/HTTP collector; `/v1/traces` (spans) or `/v1/logs` (log records) is appended' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: 'unset', meaning: 'full traces URL, used as is (wins over the above)' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', default: 'http/protobuf', meaning: 'or `http/json` (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` and `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` win); grpc is not supported' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', default: 'unset', meaning: 'the same for traces only; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`' },
  { name: 'OTEL_LOGS_EXPORTER', default: 'none', meaning: '`otlp`: every log line also goes to the OTLP logs endpoint (see [Logs](#logs)); `none`; `console` is refused (stdout already carries the lines). The specification\'s default is `otlp`, sightline\'s is `none`' },
  { name: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', default: 'unset', meaning: 'full logs URL, used as is (wins over `OTEL_EXPORTER_OTLP_ENDPOINT`)' },
  { name: 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', default: 'unset', meaning: 'the same for logs only; wins over `OTEL_EXPORTER_OTLP_PROTOCOL`' },
  { name: 'OTEL_BLRP_SCHEDULE_DELAY', default: '1000', meaning: 'ms between log record batches (sightline reads it: OpenTelemetry JS 3 does not)' },
  { name: 'OTEL_BLRP_EXPORT_TIMEOUT', default: '30000', meaning: 'ms one log record batch export may take' },
  { name: 'OTEL_BLRP_MAX_QUEUE_SIZE', default: '2048', meaning: 'log records held waiting for export; beyond it new records are dropped (stdout still gets the lines)' },
  { name: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', default: '512', meaning: 'log records per export request (at most the queue size)' },
  { name: 'OTEL_TRACES_SAMPLER', default: 'parentbased_always_on', meaning: '`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`' },
  { name: 'OTEL_TRACES_SAMPLER_ARG', default: '1', meaning: 'ratio (0..1) of the `traceidratio` samplers' },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', default: '5000', meaning: 'ms between span batches (sightline reads it: OpenTelemetry JS 3 no longer does)' },
  { name: 'OTEL_BSP_EXPORT_TIMEOUT', default: '30000', meaning: 'ms one span batch export may take' },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', default: '2048', meaning: 'spans held waiting for export; beyond it new spans are dropped' },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', default: '512', meaning: 'spans per export request (at most the queue size)' },
  { name: 'OTEL_RESOURCE_ATTRIBUTES', default: 'unset', meaning: 'extra resource attributes of spans and log records, `key=value,key2=value2`' },
  { name: 'OTEL_SERVICE_NAME', default: 'unknown_service', meaning: '`service` on every line (`options.service` wins)' },
  { name: 'SERVICE_VERSION', default: '0.0.0', meaning: '`version` on every line (`options.version` wins)' },
  { name: 'APP_ENV', default: '`NODE_ENV`, else `development`', meaning: '`env` on every line' },
  { name: 'NODE_ENV', default: 'unset', meaning: 'fallback for `APP_ENV`' },
  { name: 'GIT_COMMIT', default: 'unset', meaning: 'the deployed commit' },
];
