import { trace, type Tracer } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ConfigError, SightlineConfig } from './config';
import { instrumentProcess, processInstrumentation, type ProcessInstrumentation } from './instrumentation';
import type { SightlineLogger } from './logger';
import { foreignTracerProviderRegistered, startTracing, tracingRuntime, type TracingRuntime } from './tracing';
import { loadTracingConfig } from './tracingConfig';

/**
 * What replaces the OTLP export of spans (the `tracing` option of `createTelemetry`). Used only
 * when tracing is on, and ignored when the service registered its own tracer provider, whose
 * exporter then applies.
 */
export interface ObservabilityTracingOptions {
  /** Replaces the OTLP exporter (for example an in-memory one in tests). */
  readonly exporter?: SpanExporter;
  /** Replaces the batch span processor. */
  readonly spanProcessor?: SpanProcessor;
}

export interface TracingSetup {
  readonly tracer: Tracer;
  readonly runtime: TracingRuntime | undefined;
  readonly errors: readonly ConfigError[];
}

/**
 * Starts tracing when the configuration says so: patches modules if `sightline/register`
 * did not already, and says once per process when Express was loaded before the patching.
 */
export function setUpTracing(
  config: SightlineConfig,
  environment: Readonly<Record<string, string | undefined>>,
  logger: SightlineLogger,
  options: ObservabilityTracingOptions = {},
): TracingSetup {
  if (!config.tracingEnabled) {
    return { tracer: trace.getTracer(config.service, config.version), runtime: undefined, errors: [] };
  }
  const { config: tracingConfig, errors } = loadTracingConfig(environment);
  if (tracingRuntime() === undefined && foreignTracerProviderRegistered()) {
    // The service owns tracing: its provider, exporter and instrumentations. sightline adds none.
    processInstrumentation()?.yieldToService();
    logger.info('tracing joins the tracer provider the service registered', { target: 'sightline' });
  } else {
    warnIfExpressLoadedFirst(processInstrumentation() ?? instrumentProcess(), logger);
  }
  const runtime = startTracing({
    identity: { service: config.service, version: config.version, env: config.env },
    config: tracingConfig,
    resourceAttributes: environment.OTEL_RESOURCE_ATTRIBUTES,
    exporter: options.exporter,
    spanProcessor: options.spanProcessor,
  });
  return { tracer: runtime.tracer(config.service, config.version), runtime, errors };
}

function warnIfExpressLoadedFirst(instrumentation: ProcessInstrumentation, logger: SightlineLogger): void {
  if (instrumentation.expressLoadedFirst && !instrumentation.warned) {
    instrumentation.warned = true;
    logger.warn('express was loaded before tracing started: its spans and http.route may be missing', {
      target: 'sightline',
      fix: 'start the process with `node -r sightline/register app.js`',
    });
  }
}
