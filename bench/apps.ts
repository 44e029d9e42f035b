import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import express, { type Express, type Request, type RequestHandler } from 'express';
import promBundle from 'express-prom-bundle';
import pinoHttp from 'pino-http';
import { Registry, type Histogram } from 'prom-client';
import { createObservability, type ObservabilityOptions } from '../middleware';
import { BEFORE_ENTRY_VARIABLE } from './beforeBuild';
import { baseOf, isBefore, type VariantName } from './variants';

export interface BenchApp {
  readonly app: Express;
  /** Lines a variant lost or contained; `undefined` when it has no such counters. */
  readonly logStats: () => Readonly<Record<string, number>> | undefined;
  /** Spans the exporter received; `undefined` when the variant does not trace. */
  readonly spans: () => number | undefined;
  /** Requests counted by the HTTP duration histogram; `undefined` when the variant has no registry. */
  readonly metricRequests: () => Promise<number | undefined>;
  readonly shutdown: () => Promise<void>;
}

type CreateObservability = typeof createObservability;

/** Loads Express: a traced variant's server must have called `instrumentProcess()` before requiring this module. */
export function createBenchApp(variant: VariantName): BenchApp {
  const create = isBefore(variant) ? createObservabilityBefore() : createObservability;
  switch (baseOf(variant)) {
    case 'bare':
      return withoutObservability([]);
    case 'pino-http':
      return withoutObservability([pinoHttp()]);
    case 'prom-bundle':
      return withPromBundle();
    case 'sightline-rate1':
      return withSightline(create, { logSamplingRateInfo: 1 });
    case 'sightline-rate0.1':
      return withSightline(create, { logSamplingRateInfo: 0.1 });
    case 'sightline-tracing':
      return withTracing(create);
    case 'sightline-disabled':
      return withSightline(create, { logSamplingRateInfo: 1, enabled: false });
    case 'sightline-ids':
      return withSightline(create, { logSamplingRateInfo: 1, accessLog: false, metrics: false });
    case 'sightline-nometrics':
      return withSightline(create, { logSamplingRateInfo: 1, metrics: false });
    case 'sightline-nologs':
      return withSightline(create, { logSamplingRateInfo: 1, accessLog: false });
    case 'sightline-cls':
      return withSightline(create, { logSamplingRateInfo: 1, clsNamespace: 'bench' });
    case 'opentelemetry':
      return withOpenTelemetryAlone();
  }
}

/**
 * The earlier commit's package entry, built by the runner (./beforeBuild). Its node_modules is a
 * link to this checkout's, so both builds share one Express, prom-client and OpenTelemetry; the
 * options every variant passes are ones the earlier entry takes as well.
 */
function createObservabilityBefore(): CreateObservability {
  const entry = process.env[BEFORE_ENTRY_VARIABLE];
  if (entry === undefined || entry === '') throw new Error(`${BEFORE_ENTRY_VARIABLE} is not set: no build to compare with`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(entry) as { createObservability?: unknown };
  if (typeof loaded.createObservability !== 'function') throw new Error(`${entry} exports no createObservability`);
  return loaded.createObservability as CreateObservability;
}

function withoutObservability(middlewares: readonly RequestHandler[]): BenchApp {
  return {
    app: itemsApp(middlewares),
    logStats: () => undefined,
    spans: () => undefined,
    metricRequests: () => Promise.resolve(undefined),
    shutdown: () => Promise.resolve(),
  };
}

/** The peer of sightline's HTTP metrics: express-prom-bundle alone, labelled by route template. */
function withPromBundle(): BenchApp {
  const registry = new Registry();
  const bundle = promBundle({
    promRegistry: registry,
    autoregister: false,
    includeMethod: true,
    includePath: true,
    normalizePath: routeTemplate,
  });
  return {
    app: itemsApp([bundle]),
    logStats: () => undefined,
    spans: () => undefined,
    metricRequests: () => histogramCount(registry, 'http_request_duration_seconds'),
    shutdown: () => Promise.resolve(),
  };
}

function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? req.baseUrl + route.path : 'unmatched';
}

/**
 * Every request sampled (no `OTEL_TRACES_SAMPLER`: parentbased_always_on), its spans through
 * the real batch processor to an exporter that only counts them (an in-memory exporter would
 * grow without bound under load).
 */
function withTracing(create: CreateObservability): BenchApp {
  const exporter = new CountingSpanExporter();
  const spanProcessor = new BatchSpanProcessor({ exporter });
  return {
    ...withSightline(create, { logSamplingRateInfo: 1, tracingEnabled: true, tracing: { spanProcessor } }),
    spans: () => exporter.spans,
  };
}

/**
 * The peer of sightline's tracing: OpenTelemetry alone, with the same instrumentations (the server
 * process ran `instrumentProcess()`), sampler, batch processor and counting exporter, and no sightline
 * middleware: what tracing costs before sightline adds anything.
 */
function withOpenTelemetryAlone(): BenchApp {
  const exporter = new CountingSpanExporter();
  // Registered as OpenTelemetry JS 3's migration guide shows, as sightline does when it owns tracing.
  const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return {
    app: itemsApp([]),
    logStats: () => undefined,
    spans: () => exporter.spans,
    metricRequests: () => Promise.resolve(undefined),
    shutdown: () => provider.shutdown(),
  };
}

class CountingSpanExporter implements SpanExporter {
  spans = 0;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.spans += spans.length;
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function withSightline(create: CreateObservability, extra: ObservabilityOptions): BenchApp {
  // `environment: {}`: nothing from the runner's environment (OBS_*, OTEL_*) changes a variant.
  const obs = create({ service: 'bench', version: '1.0.0', environment: {}, ...extra });
  return {
    app: itemsApp([obs.middleware()]),
    logStats: () => ({ ...obs.logStats() }),
    spans: () => undefined,
    metricRequests: () => histogramCount(obs.metrics.registry, obs.metrics.nameOf('httpRequestDuration')),
    shutdown: () => obs.shutdown(),
  };
}

/** Observations of a histogram over all its label sets; 0 when it was never registered. */
async function histogramCount(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name) as Histogram | undefined;
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((value) => value.metricName === `${name}_count`)
    .reduce((sum, value) => sum + value.value, 0);
}

function itemsApp(middlewares: readonly RequestHandler[]): Express {
  const app = express();
  for (const middleware of middlewares) app.use(middleware);
  app.get('/v1/items/:id', (req, res) => {
    res.json({ id: req.params.id, name: `item ${req.params.id}` });
  });
  return app;
}
