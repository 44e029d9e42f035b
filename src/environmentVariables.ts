import { SIGHTLINE_SETTINGS } from './config';
import type { EnvironmentVariable } from './settingVariables';

export type { EnvironmentVariable } from './settingVariables';

/**
 * The OpenTelemetry variables sightline reads itself, in tracingConfig.ts and logExportConfig.ts
 * (OpenTelemetry's exporters read their own `OTEL_*` as well).
 */
const OPENTELEMETRY_VARIABLES: readonly EnvironmentVariable[] = [
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
];

/** Every variable sightline reads: its settings table's, then OpenTelemetry's. */
export const SIGHTLINE_ENVIRONMENT: readonly EnvironmentVariable[] = [...SIGHTLINE_SETTINGS.variables, ...OPENTELEMETRY_VARIABLES];
