import { trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { TracingConfig } from './tracingConfig';

export interface TracingIdentity {
  readonly service: string;
  readonly version: string;
  readonly env: string;
}

export interface TracingOptions {
  readonly identity: TracingIdentity;
  readonly config: TracingConfig;
  /** `OTEL_RESOURCE_ATTRIBUTES`, `k=v,k2=v2` (percent-encoded values). */
  readonly resourceAttributes?: string;
  /** Replaces the OTLP exporter (tests, or a collector of your own). */
  readonly exporter?: SpanExporter;
  /** Replaces the batch span processor built around the exporter. */
  readonly spanProcessor?: SpanProcessor;
}

export interface TracingRuntime {
  readonly provider: NodeTracerProvider;
  tracer(name: string, version?: string): Tracer;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
}

const UNNAMED_SERVICE = 'unknown_service';

/** One tracer provider per process: OpenTelemetry's API and its instrumentations have one global. */
const kRuntime = Symbol.for('sightline.tracingRuntime');
type RuntimeGlobal = typeof globalThis & { [kRuntime]?: TracingRuntime };

/**
 * Starts the process's tracer provider (batch processor, OTLP over HTTP, sampler and resource
 * from the standard variables) and registers it as OpenTelemetry's global, or returns the
 * one already started: a second instance in the same process shares it rather than collide.
 */
export function startTracing(options: TracingOptions): TracingRuntime {
  const holder = globalThis as RuntimeGlobal;
  const existing = holder[kRuntime];
  if (existing !== undefined) return existing;
  const fromEnvironment = parseResourceAttributes(options.resourceAttributes);
  // OTEL_SERVICE_NAME (or the name given in code) wins; the SDK's placeholder does not.
  const service =
    options.identity.service === UNNAMED_SERVICE ? (fromEnvironment['service.name'] ?? UNNAMED_SERVICE) : options.identity.service;
  const processor = options.spanProcessor ?? new BatchSpanProcessor(options.exporter ?? otlpExporter(options.config));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...fromEnvironment,
      'service.name': service,
      'service.version': options.identity.version,
      'deployment.environment.name': options.identity.env,
    }),
    sampler: samplerOf(options.config),
    spanProcessors: [processor],
  });
  provider.register();
  const runtime: TracingRuntime = {
    provider,
    tracer: (name, version) => trace.getTracer(name, version),
    forceFlush: () => provider.forceFlush(),
  };
  holder[kRuntime] = runtime;
  return runtime;
}

export function tracingRuntime(): TracingRuntime | undefined {
  return (globalThis as RuntimeGlobal)[kRuntime];
}

function otlpExporter(config: TracingConfig): SpanExporter {
  // Loaded on demand: a service with tracing off never pays for the exporters.
  if (config.protocol === 'http/json') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter({ url: config.url });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url: config.url });
}

function samplerOf(config: TracingConfig): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** `OTEL_RESOURCE_ATTRIBUTES` as the SDK specification defines it; malformed pairs are skipped. */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (raw === undefined) return attributes;
  for (const pair of raw.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    try {
      attributes[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // not valid percent-encoding: skipped, as the specification asks
    }
  }
  return attributes;
}
