import type { ConfigError } from './config';
import {
  DEFAULT_OTLP_ENDPOINT,
  readBatchSettings,
  readOtlpEndpoint,
  readOtlpProtocol,
  type BatchSettings,
  type Environment,
  type OtlpProtocol,
  type OtlpSignalVariables,
  type Reject,
} from './otlpExporterConfig';

/** `otlp`: every log line also goes to an OTLP logs endpoint. `none`: stdout (or your transports) only. */
export type LogsExporterName = 'otlp' | 'none';

/** OpenTelemetry's standard variables, as sightline's log export reads them. */
export interface LogExportConfig {
  /** sightline's default is `none`: log export is opt-in. */
  readonly exporter: LogsExporterName;
  /** Where records are sent (the full URL, `/v1/logs` included). */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  /** The batch log record processor's `OTEL_BLRP_*` settings; unset ones keep the SDK's defaults. */
  readonly batch: BatchSettings;
}

const LOGS: OtlpSignalVariables = {
  path: '/v1/logs',
  endpoint: 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL',
  batch: {
    scheduledDelayMillis: 'OTEL_BLRP_SCHEDULE_DELAY',
    exportTimeoutMillis: 'OTEL_BLRP_EXPORT_TIMEOUT',
    maxQueueSize: 'OTEL_BLRP_MAX_QUEUE_SIZE',
    maxExportBatchSize: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  },
};

const EXPORTERS: readonly string[] = ['otlp', 'none'];

/**
 * Reads `OTEL_LOGS_EXPORTER` and, when it asks for `otlp`, the OTLP logs endpoint, protocol
 * and batch settings. As with every sightline setting, an invalid value is reported by
 * variable and replaced by the default (an invalid exporter: `none`), never guessed at.
 */
export function loadLogExportConfig(env: Environment): { readonly config: LogExportConfig; readonly errors: readonly ConfigError[] } {
  const errors: ConfigError[] = [];
  const reject: Reject = (variable, message) => {
    errors.push({ variable, message });
    return undefined;
  };

  const exporter = readExporter(env, reject);
  if (exporter === 'none') {
    const config = { exporter, url: DEFAULT_OTLP_ENDPOINT + LOGS.path, protocol: 'http/protobuf' as const, batch: Object.freeze({}) };
    return { config: Object.freeze(config), errors: Object.freeze(errors) };
  }

  const url = readOtlpEndpoint(env, LOGS, reject);
  const protocol = readOtlpProtocol(env, LOGS, reject);
  const batch = readBatchSettings(env, LOGS, reject);

  return { config: Object.freeze({ exporter, url, protocol, batch }), errors: Object.freeze(errors) };
}

/** A comma-separated list as the specification allows; `console` is refused: stdout already carries the JSON lines. */
function readExporter(env: Environment, reject: Reject): LogsExporterName {
  const raw = env.OTEL_LOGS_EXPORTER?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'none';
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !EXPORTERS.includes(name));
  if (unknown.length > 0) {
    const consoleNote = unknown.includes('console') ? ' (console is not supported: stdout already carries the JSON lines)' : '';
    reject('OTEL_LOGS_EXPORTER', `expected otlp or none${consoleNote}, got ${JSON.stringify(raw)}; logs are not exported`);
    return 'none';
  }
  return names.includes('otlp') ? 'otlp' : 'none';
}
