import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import promBundle from 'express-prom-bundle';
import type { RequestContext } from '../src/context';
import { METRIC_CATALOGUE } from '../src/metricCatalogue';
import type { SightlineMetrics } from '../src/metrics';
import { countBytes } from './byteCounter';
import { pathMatcher } from '../src/pathMatcher';
import { existingRequestContext, requestContextOf } from './requestState';
import { whenResponseEnds } from './responseEnd';
import { captureRouteTemplate, routeTemplateOf, UNMATCHED_ROUTE } from './routeTemplate';

export interface HttpMetricsOptions {
  /** The instance's metrics (`obs.metrics`), whose registry receives the HTTP metrics. */
  readonly metrics: SightlineMetrics;
  /** Path prefixes not measured (whole segments). Default: `/health`, `/metrics`, `/ops`. */
  readonly excludePaths?: readonly string[];
}

export type HttpMetricsStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void;

export const DEFAULT_METRICS_EXCLUDED_PATHS: readonly string[] = ['/health', '/metrics', '/ops'];

const STREAM_CONTENT_TYPES = /^\s*(text\/event-stream|application\/x-ndjson)/i;

/**
 * Request count, latency histogram (express-prom-bundle), in-flight gauge and response
 * sizes, labelled by method, route template and status. Requests that matched no route
 * share the label `unmatched`, so a scan of random paths adds no series. Streams are kept
 * out of the latency and size histograms (they are measured as streams instead).
 */
export function httpMetricsStep(options: HttpMetricsOptions): HttpMetricsStep {
  const { metrics } = options;
  const isExcluded = pathMatcher('httpMetrics', options.excludePaths ?? DEFAULT_METRICS_EXCLUDED_PATHS);
  const measureLatency = latencyBundleOf(metrics);
  const requests = metrics.catalogued('httpRequests');
  const inFlight = metrics.catalogued('httpRequestsInFlight');
  const responseSize = metrics.catalogued('httpResponseSize');

  return function measureRequest(req, res, context) {
    if (isExcluded(req.url ?? '/')) return;
    const counts = countBytes(req, res, context);
    captureRouteTemplate(req, context);
    inFlight.inc();
    measureLatency(req as Request, res as Response, noop);
    whenResponseEnds(res, () => {
      inFlight.dec();
      const labels = { method: req.method ?? 'GET', route: routeTemplateOf(context), status_code: String(res.statusCode) };
      requests.inc(labels);
      if (!isStream(req, res)) responseSize.observe(labels, counts.bytesOut);
    });
  };
}

export function httpMetrics(options: HttpMetricsOptions): RequestHandler {
  const step = httpMetricsStep(options);
  return function httpMetricsMiddleware(req, res, next) {
    step(req, res, requestContextOf(req));
    next();
  };
}

// One bundle per registry: express-prom-bundle registers its histogram when created.
const bundles = new WeakMap<SightlineMetrics, promBundle.Middleware>();

function latencyBundleOf(metrics: SightlineMetrics): promBundle.Middleware {
  const existing = bundles.get(metrics);
  if (existing !== undefined) return existing;
  const name = metrics.nameOf('httpRequestDuration');
  const bundle = promBundle({
    promRegistry: metrics.registry,
    autoregister: false,
    includeUp: false,
    includeMethod: true,
    includePath: false,
    includeStatusCode: true,
    customLabels: { route: UNMATCHED_ROUTE },
    httpDurationMetricName: name,
    buckets: [...metrics.bucketsOf('httpRequestDuration')],
    bypass: { onFinish: isStream },
    transformLabels(labels, req) {
      const context = existingRequestContext(req);
      labels.route = context === undefined ? UNMATCHED_ROUTE : routeTemplateOf(context);
    },
  });
  const histogram = metrics.registry.getSingleMetric(name) as { help: string } | undefined;
  if (histogram !== undefined) histogram.help = METRIC_CATALOGUE.httpRequestDuration.help;
  bundles.set(metrics, bundle);
  return bundle;
}

function isStream(req: IncomingMessage, res: ServerResponse): boolean {
  if (existingRequestContext(req)?.stream !== undefined) return true;
  const type = res.getHeader('content-type');
  return typeof type === 'string' && STREAM_CONTENT_TYPES.test(type);
}

function noop(): void {}
