import type { ConfigError } from './config';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** OpenTelemetry's standard variables, as sightline's tracing reads them. */
export interface TracingConfig {
  /** Where spans are sent (the full URL, `/v1/traces` included). */
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly sampler: SamplerName;
  /** Ratio of the `traceidratio` samplers, 0..1. */
  readonly samplerRatio: number;
  /** The batch span processor's `OTEL_BSP_*` settings; unset ones keep the SDK's defaults. */
  readonly batch: BatchSettings;
}

/** OpenTelemetry SDK 3's batch processor no longer reads `OTEL_BSP_*` itself: sightline does. */
export interface BatchSettings {
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
}

const BATCH_VARIABLES: ReadonlyArray<readonly [keyof BatchSettings, string]> = [
  ['scheduledDelayMillis', 'OTEL_BSP_SCHEDULE_DELAY'],
  ['exportTimeoutMillis', 'OTEL_BSP_EXPORT_TIMEOUT'],
  ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
  ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
];

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/**
 * Reads the OTLP exporter and sampler variables. As with every sightline setting, an
 * invalid value is reported by variable and replaced by the default, never guessed at.
 */
export function loadTracingConfig(env: Readonly<Record<string, string | undefined>>): {
  readonly config: TracingConfig;
  readonly errors: readonly ConfigError[];
} {
  const errors: ConfigError[] = [];
  const reject = (variable: string, message: string): undefined => {
    errors.push({ variable, message });
    return undefined;
  };

  const url =
    readUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', reject) ??
    appendTracesPath(readUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', reject) ?? DEFAULT_ENDPOINT);

  const protocolVariable =
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const rawProtocol = env[protocolVariable]?.trim();
  let protocol: OtlpProtocol = 'http/protobuf';
  if (rawProtocol === 'http/json' || rawProtocol === 'http/protobuf') protocol = rawProtocol;
  else if (rawProtocol !== undefined) {
    reject(protocolVariable, `expected http/protobuf or http/json (grpc is not supported), got ${JSON.stringify(rawProtocol)}`);
  }

  const rawSampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  let sampler: SamplerName = 'parentbased_always_on';
  if (rawSampler !== undefined) {
    if ((SAMPLERS as readonly string[]).includes(rawSampler)) sampler = rawSampler as SamplerName;
    else reject('OTEL_TRACES_SAMPLER', `expected one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(rawSampler)}`);
  }

  let samplerRatio = 1;
  const rawRatio = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (rawRatio !== undefined && sampler.endsWith('traceidratio')) {
    const ratio = Number(rawRatio);
    if (rawRatio !== '' && Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) samplerRatio = ratio;
    else reject('OTEL_TRACES_SAMPLER_ARG', `expected a number between 0 and 1, got ${JSON.stringify(rawRatio)}`);
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

  return {
    config: Object.freeze({ url, protocol, sampler, samplerRatio, batch: Object.freeze(batch) }),
    errors: Object.freeze(errors),
  };
}

function readUrl(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  reject: (variable: string, message: string) => undefined,
): string | undefined {
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

/** The generic endpoint names the collector; the signal path is ours to add (OTLP exporter spec). */
function appendTracesPath(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
