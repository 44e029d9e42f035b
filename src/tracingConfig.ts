import type { ConfigError } from './config';
import {
  readBatchSettings,
  readOtlpEndpoint,
  readOtlpProtocol,
  type BatchSettings,
  type OtlpProtocol,
  type OtlpSignalVariables,
} from './otlpExporterConfig';

export type { BatchSettings, OtlpProtocol } from './otlpExporterConfig';

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

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

const TRACES: OtlpSignalVariables = {
  path: '/v1/traces',
  endpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  protocol: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  batch: {
    scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
    exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT',
    maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
    maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  },
};

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

  const url = readOtlpEndpoint(env, TRACES, reject);
  const protocol = readOtlpProtocol(env, TRACES, reject);

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

  const batch = readBatchSettings(env, TRACES, reject);

  return {
    config: Object.freeze({ url, protocol, sampler, samplerRatio, batch }),
    errors: Object.freeze(errors),
  };
}
