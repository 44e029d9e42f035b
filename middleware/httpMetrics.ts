import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import promBundle from 'express-prom-bundle';
import type { Histogram } from 'prom-client';
import type { RequestContext } from '../src/context';
import { METRIC_CATALOGUE } from '../src/metricCatalogue';
import type { SightlineMetrics } from '../src/metrics';
import { countBytes } from './byteCounter';
import type { PatchSet } from './patches';
import { pathMatcher } from '../src/pathMatcher';
import { whenResponseEnds } from './responseEnd';
import { captureRouteTemplate, routeTemplateOf, UNMATCHED_ROUTE } from './routeTemplate';

export interface HttpMetricsOptions {
  /** The instance's metrics (`obs.metrics`), whose registry receives the HTTP metrics. */
  readonly metrics: SightlineMetrics;
  /** Path prefixes not measured (whole segments). Default: `/health`, `/metrics`, `/ops`. */
  readonly excludePaths?: readonly string[];
  /** The instance's patches (byte counting, route templates). */
  readonly patches: PatchSet;
}

export type HttpMetricsStep = (req: IncomingMessage, res: ServerResponse, context: RequestContext) => void;

export const DEFAULT_METRICS_EXCLUDED_PATHS: readonly string[] = ['/health', '/metrics', '/ops'];

type HttpLabels = Record<'status_code' | 'method' | 'route', string | number>;

const OBSERVED = ['httpRequests', 'httpRequestDuration', 'httpResponseSize'] as const;

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
  const latency = latencyHistogramOf(metrics);
  const inFlight = metrics.catalogued('httpRequestsInFlight');
  const requests = metrics.catalogued('httpRequests');
  const responseSize = metrics.catalogued('httpResponseSize');
  const failures = metrics.catalogued('httpObservationFailures');
  for (const metric of OBSERVED) failures.inc({ metric: metrics.nameOf(metric) }, 0);

  /** Telemetry never breaks the request it measures: a refused observation is counted, by metric. */
  function record(labels: HttpLabels, seconds: number | undefined, bytesOut: number): void {
    let metric: (typeof OBSERVED)[number] = 'httpRequests';
    try {
      requests.inc(labels);
      if (seconds === undefined) return;
      metric = 'httpRequestDuration';
      latency.observe(labels, seconds);
      metric = 'httpResponseSize';
      responseSize.observe(labels, bytesOut);
    } catch {
      failures.inc({ metric: metrics.nameOf(metric) });
    }
  }

  return function measureRequest(req, res, context) {
    if (isExcluded(req.url ?? '/')) return;
    const counts = countBytes(options.patches, req, res, context);
    captureRouteTemplate(options.patches, req);
    inFlight.inc();
    whenResponseEnds(res, () => {
      inFlight.dec();
      const labels = { status_code: res.statusCode, method: req.method ?? 'GET', route: routeTemplateOf(context) };
      const seconds = isStream(res, context) ? undefined : (performance.now() - context.startedAt) / 1000;
      record(labels, seconds, counts.bytesOut);
    });
  };
}

const histograms = new WeakMap<SightlineMetrics, Histogram<'status_code' | 'method' | 'route'>>();

/**
 * express-prom-bundle defines the latency histogram (its name, buckets and labels, as every
 * prom-bundle dashboard expects them), once per registry. Its own per-request middleware is
 * not used: it attaches on-finished listeners to the response and the socket, a second set
 * next to the one sightline already has, and measured it was half the cost of the HTTP metrics.
 */
function latencyHistogramOf(metrics: SightlineMetrics): Histogram<'status_code' | 'method' | 'route'> {
  const existing = histograms.get(metrics);
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
  }) as promBundle.Middleware & { metrics: Record<string, Histogram<'status_code' | 'method' | 'route'>> };
  const histogram = bundle.metrics[name];
  if (histogram === undefined) throw new Error(`express-prom-bundle did not define ${name}`);
  (histogram as unknown as { help: string }).help = METRIC_CATALOGUE.httpRequestDuration.help;
  histograms.set(metrics, histogram);
  return histogram;
}

function isStream(res: ServerResponse, context: RequestContext): boolean {
  if (context.stream !== undefined) return true;
  const type = res.getHeader('content-type');
  return typeof type === 'string' && STREAM_CONTENT_TYPES.test(type);
}
