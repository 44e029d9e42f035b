/**
 * The OTLP exporter and batch-processor variables that every signal reads the same way
 * (OpenTelemetry's SDK environment specification): a signal's own variable wins over the
 * generic one, and an invalid value is reported by variable and replaced by the default.
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The variables of one signal, written out so every name stays greppable. */
export interface OtlpSignalVariables {
  /** Added to the generic endpoint, e.g. `/v1/traces`. */
  readonly path: string;
  /** `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT`, used as is. */
  readonly endpoint: string;
  /** `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`. */
  readonly protocol: string;
  /** The batch processor's variables (`OTEL_BSP_*`, `OTEL_BLRP_*`). */
  readonly batch: Readonly<Record<keyof BatchSettings, string>>;
}

/** A batch processor's settings; unset ones keep the SDK's defaults. */
export interface BatchSettings {
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
}

export type Environment = Readonly<Record<string, string | undefined>>;
export type Reject = (variable: string, message: string) => undefined;

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

const BATCH_MINIMUMS: Readonly<Record<keyof BatchSettings, number>> = {
  scheduledDelayMillis: 0,
  exportTimeoutMillis: 0,
  maxQueueSize: 1,
  maxExportBatchSize: 1,
};

/** The signal's endpoint as is, else the generic endpoint with the signal's path added (OTLP exporter spec). */
export function readOtlpEndpoint(env: Environment, signal: OtlpSignalVariables, reject: Reject): string {
  const own = readUrl(env, signal.endpoint, reject);
  if (own !== undefined) return own;
  const generic = readUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', reject) ?? DEFAULT_OTLP_ENDPOINT;
  return `${generic.replace(/\/+$/, '')}${signal.path}`;
}

/** The signal's protocol, else `OTEL_EXPORTER_OTLP_PROTOCOL`; protobuf by default. */
export function readOtlpProtocol(env: Environment, signal: OtlpSignalVariables, reject: Reject): OtlpProtocol {
  const variable = env[signal.protocol] !== undefined ? signal.protocol : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = env[variable]?.trim();
  if (raw === 'http/json' || raw === 'http/protobuf') return raw;
  if (raw !== undefined) reject(variable, `expected http/protobuf or http/json (grpc is not supported), got ${JSON.stringify(raw)}`);
  return 'http/protobuf';
}

/** The signal's batch processor variables: OpenTelemetry JS 3's batch processors no longer read them themselves. */
export function readBatchSettings(env: Environment, signal: OtlpSignalVariables, reject: Reject): BatchSettings {
  const batch: { -readonly [K in keyof BatchSettings]: number } = {};
  for (const setting of Object.keys(BATCH_MINIMUMS) as (keyof BatchSettings)[]) {
    const variable = signal.batch[setting];
    const minimum = BATCH_MINIMUMS[setting];
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= minimum) batch[setting] = value;
    else reject(variable, `expected a whole number of at least ${minimum}, got ${JSON.stringify(raw)}`);
  }
  return Object.freeze(batch);
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
