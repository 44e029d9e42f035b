import type { ConfigError } from './config';
import type { BatchSettings, OtlpProtocol } from './tracingConfig';

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

const DEFAULT_ENDPOINT = 'http://localhost:4318';
const LOGS_PATH = '/v1/logs';

/** OpenTelemetry SDK 3's batch processor reads no `OTEL_BLRP_*` itself: sightline does. */
const BATCH_VARIABLES: ReadonlyArray<readonly [keyof BatchSettings, string]> = [
  ['scheduledDelayMillis', 'OTEL_BLRP_SCHEDULE_DELAY'],
  ['exportTimeoutMillis', 'OTEL_BLRP_EXPORT_TIMEOUT'],
  ['maxQueueSize', 'OTEL_BLRP_MAX_QUEUE_SIZE'],
  ['maxExportBatchSize', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'],
];

const EXPORTERS: readonly string[] = ['otlp', 'none'];

type Environment = Readonly<Record<string, string | undefined>>;
type Reject = (variable: string, message: string) => undefined;

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
    const config = { exporter, url: DEFAULT_ENDPOINT + LOGS_PATH, protocol: 'http/protobuf' as const, batch: Object.freeze({}) };
    return { config: Object.freeze(config), errors: Object.freeze(errors) };
  }

  const url =
    readUrl(env, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', reject) ??
    `${(readUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', reject) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}${LOGS_PATH}`;

  const protocolVariable =
    env.OTEL_EXPORTER_OTLP_LOGS_PROTOCOL !== undefined ? 'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const rawProtocol = env[protocolVariable]?.trim();
  let protocol: OtlpProtocol = 'http/protobuf';
  if (rawProtocol === 'http/json' || rawProtocol === 'http/protobuf') protocol = rawProtocol;
  else if (rawProtocol !== undefined) {
    reject(protocolVariable, `expected http/protobuf or http/json (grpc is not supported), got ${JSON.stringify(rawProtocol)}`);
  }

  const batch: { -readonly [K in keyof BatchSettings]: number } = {};
  for (const [setting, variable] of BATCH_VARIABLES) {
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    const minimum = setting === 'scheduledDelayMillis' || setting === 'exportTimeoutMillis' ? 0 : 1;
    if (Number.isInteger(value) && value >= minimum) batch[setting] = value;
    else reject(variable, `expected a whole number of at least ${minimum}, got ${JSON.stringify(raw)}`);
  }

  return { config: Object.freeze({ exporter, url, protocol, batch: Object.freeze(batch) }), errors: Object.freeze(errors) };
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

function readUrl(env: Environment, variable: string, reject: Reject): string | undefined {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw;
  } catch {
    // reported below
  }
  return reject(variable, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
}
