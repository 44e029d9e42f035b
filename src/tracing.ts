import { context, propagation, trace, type ProxyTracerProvider, type Tracer, type TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
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

/**
 * `owned`: sightline registered the tracer provider, context manager and propagator.
 * `joined`: the service registered a tracer provider first; sightline's spans and ids come
 * from it, and its exporter is the service's.
 */
export type TracingMode = 'owned' | 'joined';

export interface TracingRuntime {
  readonly mode: TracingMode;
  /** sightline's own provider; undefined when it joined the service's. */
  readonly provider: TracerProvider | undefined;
  tracer(name: string, version?: string): Tracer;
  /** Exports every finished span now (the service's provider too, when it has `forceFlush`). */
  forceFlush(): Promise<void>;
}

const UNNAMED_SERVICE = 'unknown_service';

/** One tracer provider per process: OpenTelemetry's API and its instrumentations have one global. */
const kRuntime = Symbol.for('sightline.tracingRuntime');
type RuntimeGlobal = typeof globalThis & { [kRuntime]?: TracingRuntime };

/**
 * Whether a tracer provider other than sightline's is registered with OpenTelemetry's API:
 * the service's own SDK, or a preload such as auto-instrumentations' `register`. Read
 * through the API's proxy, so it holds whichever copy (CommonJS or ES module) registered it.
 */
export function foreignTracerProviderRegistered(): boolean {
  if ((globalThis as RuntimeGlobal)[kRuntime] !== undefined) return false;
  const provider = trace.getTracerProvider() as Partial<ProxyTracerProvider>;
  if (typeof provider.getDelegateTracer !== 'function') return true;
  return provider.getDelegateTracer('sightline') !== undefined;
}

/**
 * Starts tracing for the process, once. With no tracer provider registered, sightline owns
 * tracing: it registers its provider (batch processor, OTLP over HTTP, sampler and resource
 * from the standard variables), an AsyncLocalStorage context manager and the W3C trace
 * context and baggage propagators. With the service's provider already registered, it joins
 * it and registers nothing. A second call in the same process returns the same runtime.
 */
export function startTracing(options: TracingOptions): TracingRuntime {
  const holder = globalThis as RuntimeGlobal;
  const existing = holder[kRuntime];
  if (existing !== undefined) return existing;
  const runtime = foreignTracerProviderRegistered() ? joinedRuntime() : ownedRuntime(options);
  holder[kRuntime] = runtime;
  return runtime;
}

export function tracingRuntime(): TracingRuntime | undefined {
  return (globalThis as RuntimeGlobal)[kRuntime];
}

function ownedRuntime(options: TracingOptions): TracingRuntime {
  const fromEnvironment = parseResourceAttributes(options.resourceAttributes);
  // OTEL_SERVICE_NAME (or the name given in code) wins; the SDK's placeholder does not.
  const service =
    options.identity.service === UNNAMED_SERVICE ? (fromEnvironment['service.name'] ?? UNNAMED_SERVICE) : options.identity.service;
  const processor =
    options.spanProcessor ?? new BatchSpanProcessor({ ...options.config.batch, exporter: options.exporter ?? otlpExporter(options.config) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...fromEnvironment,
      'service.name': service,
      'service.version': options.identity.version,
      'deployment.environment.name': options.identity.env,
    }),
    sampler: samplerOf(options.config),
    spanProcessors: [processor],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  return {
    mode: 'owned',
    provider,
    tracer: (name, version) => trace.getTracer(name, version),
    forceFlush: () => provider.forceFlush(),
  };
}

function joinedRuntime(): TracingRuntime {
  const registered = trace.getTracerProvider() as Partial<ProxyTracerProvider>;
  const delegate: ApiTracerProvider & { forceFlush?: () => Promise<void> } =
    typeof registered.getDelegate === 'function' ? registered.getDelegate() : (registered as ApiTracerProvider);
  return {
    mode: 'joined',
    provider: undefined,
    tracer: (name, version) => trace.getTracer(name, version),
    forceFlush: async () => {
      if (typeof delegate.forceFlush === 'function') await delegate.forceFlush();
    },
  };
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
