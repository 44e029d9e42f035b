import type { ServerResponse } from 'node:http';
import { context as otelContext } from '@opentelemetry/api';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { createClsBridge } from '../src/clsBridge';
import type { RequestContext } from '../src/context';
import { createDashboardSessions, type DashboardSessions } from '../src/dashboard/dashboardSessions';
import type { ErrorFormat } from '../src/errors';
import { isTraceSampled } from '../src/sampling';
import type { Telemetry } from '../src/telemetry';
import { assembleTelemetry, type TelemetryParts } from '../src/telemetryAssembly';
import type { TelemetryMetricsOptions, TelemetryOptions } from '../src/telemetryOptions';
import { randomSpanId, randomTraceId } from '../src/w3cTraceContext';
import { accessLogStep } from './accessLog';
import { adminGuard } from './adminGuard';
import { dashboardRoutes } from './dashboard/dashboardRoutes';
import { errorHandler, notFound } from './errorHandler';
import { healthRoutes } from './healthRoutes';
import { httpMetricsStep } from './httpMetrics';
import { metricsRoute } from './metricsRoute';
import { observeSse, streamObserver, type ObserveStream, type ObserveStreamOptions } from './observeSse';
import { opsRoutes } from './opsRoutes';
import { createPatchSet, type PatchSet } from './patches';
import { requestIdStep, type RequestIdOptions } from './requestId';
import { whenResponseEnds } from './responseEnd';
import { responseOutcomeRecorder } from './responseOutcomes';
import { opsSecurityHeaders } from './security';
import { spanIdentityStep } from './spanIdentity';
import { traceContextStep, type TraceContextOptions } from './traceContext';

/** Options of the access log that `obs.middleware()` writes: one JSON line per finished or aborted request. */
export interface ObservabilityAccessLogOptions {
  /** Path prefixes not logged. Default: `/health`, `/metrics`. */
  readonly excludePaths?: readonly string[];
}

/** Options of the HTTP metrics that `obs.middleware()` records, and of the instance's metric registry. */
export interface ObservabilityMetricsOptions extends TelemetryMetricsOptions {
  /** Path prefixes kept out of the HTTP metrics. Default: `/health`, `/metrics`, `/ops`. */
  readonly excludePaths?: readonly string[];
}

/** Options of stream observation (`obs.observeStream`, `obs.observeSse()`). */
export interface ObservabilityStreamOptions {
  /** Upstream names allowed as the `upstream` label of stream metrics; others are labelled `other`. */
  readonly upstreams?: readonly string[];
}

/** `createTelemetry`'s options, and those of the Express middlewares and routes. */
export interface ObservabilityOptions extends TelemetryOptions {
  /** `false`: inbound `X-Request-Id` is ignored and none is echoed (an id is still made for the logs). */
  readonly requestId?: RequestIdOptions | false;
  /** `false`: `traceparent` is neither read nor answered (a trace id is still made for the logs). */
  readonly traceContext?: TraceContextOptions | false;
  /** The access log in `obs.middleware()`; `false` writes no access lines (other logs are unaffected). */
  readonly accessLog?: ObservabilityAccessLogOptions | false;
  /** HTTP metrics in `obs.middleware()`; `false` leaves them out (the registry stays available). */
  readonly metrics?: ObservabilityMetricsOptions | false;
  /** How streamed responses are observed and labelled. */
  readonly streams?: ObservabilityStreamOptions;
  /** Mirror the request context into this cls-hooked namespace (opt-in, costly). */
  readonly clsNamespace?: string;
}

/** sightline for an Express service: the instance's telemetry, and the middlewares and routes that feed and serve it. */
export interface Observability extends Telemetry {
  /** requestId → traceContext → accessLog → httpMetrics, as one middleware. */
  middleware(): RequestHandler;
  /**
   * `GET /metrics` (admin token unless `OBS_METRICS_PUBLIC`) and `/ops/*` (admin token; 404 when
   * none is configured), with helmet's headers.
   */
  routes(): Router;
  /** Starts observing a streamed response (time to first event, gaps, events, outcome). */
  observeStream: ObserveStream;
  /** Middleware for an SSE route: observes the stream and sets SSE headers. */
  observeSse(options?: ObserveStreamOptions): RequestHandler;
  /** JSON error responses with the request id; mount after your routes. */
  errorHandler(options?: { readonly format?: ErrorFormat }): ErrorRequestHandler;
  /** JSON 404 for unmatched requests; mount after your routes, before `errorHandler()`. */
  notFound(options?: { readonly format?: ErrorFormat }): RequestHandler;
}

const DEFAULT_EXCLUDED_PATHS = ['/health', '/metrics'];
const ADMIN_TOKEN_MISSING = 'OBS_ADMIN_TOKEN is not set: /ops answers 404, and /metrics too unless OBS_METRICS_PUBLIC=true';

/**
 * sightline for an Express service: `createTelemetry()` (logger, metrics, tracing, events,
 * health, shutdown, timeline) plus `middleware()` and `routes()` to mount.
 */
export function createObservability(options: ObservabilityOptions = {}): Observability {
  const parts = assembleTelemetry(options);
  const { telemetry, redactor, errorRate } = parts;
  const { logger, metrics } = telemetry;
  const patches = createPatchSet();
  parts.onShutdown(patches.removeAll);
  const observeStream = streamObserver({ metrics, upstreams: options.streams?.upstreams, patches });
  const recordOutcome = responseOutcomeRecorder({ errorRate, recentErrors: parts.recentErrors, redactor });
  const dashboardSessions = createDashboardSessions();

  return {
    ...telemetry,
    middleware: () => observabilityMiddleware(parts, options, patches, recordOutcome),
    routes: () => observabilityRoutes(parts, options, dashboardSessions),
    observeStream,
    observeSse: (streamOptions) => observeSse(observeStream, streamOptions),
    errorHandler: (handlerOptions) => errorHandler({ logger, format: handlerOptions?.format }),
    notFound: (handlerOptions) => notFound(handlerOptions?.format),
  };
}

/**
 * `obs.middleware()`: its steps are made once, from the options; the middleware runs them for
 * each request, then the rest of the chain inside the request's context (and span, and cls namespace).
 */
function observabilityMiddleware(
  parts: TelemetryParts,
  options: ObservabilityOptions,
  patches: PatchSet,
  recordOutcome: (res: ServerResponse) => void,
): RequestHandler {
  const { requestId: requestIdOptions = {}, traceContext: traceOptions = {}, accessLog: accessOptions = {}, metrics: metricsOptions = {} } = options;
  const { telemetry, stats, tracing } = parts;
  const { config, logger, metrics, context, settings } = telemetry;
  if (!config.enabled) {
    return function sightlineDisabled(_req, _res, next) {
      next();
    };
  }
  const assignRequestId = requestIdStep(requestIdOptions === false ? { trustInbound: false, echo: false } : requestIdOptions, patches);
  const fromHeaders = traceOptions === false ? undefined : traceContextStep(traceOptions);
  const continueTrace =
    tracing.runtime === undefined
      ? fromHeaders
      : spanIdentityStep({
          tracer: tracing.tracer,
          untraced: fromHeaders ?? newTrace,
          answer: traceOptions !== false,
          patches,
        });
  const observe =
    accessOptions === false
      ? undefined
      : accessLogStep({ logger, stats, excludePaths: accessOptions.excludePaths ?? DEFAULT_EXCLUDED_PATHS, patches });
  const measure =
    metricsOptions === false || !config.metricsEnabled
      ? undefined
      : httpMetricsStep({ metrics, excludePaths: metricsOptions.excludePaths, patches });
  const bridge = options.clsNamespace === undefined ? undefined : createClsBridge(options.clsNamespace);

  return function sightline(req, res, next) {
    const requestContext = assignRequestId(req, res);
    const spanContext = continueTrace === undefined ? newTrace(req, res, requestContext) : continueTrace(req, res, requestContext);
    requestContext.sampled = isTraceSampled(requestContext.traceId, settings.logSamplingRateInfo);
    observe?.(req, res, requestContext);
    measure?.(req, res, requestContext);
    whenResponseEnds(res, recordOutcome);
    let proceed = next;
    if (bridge !== undefined) proceed = () => bridge.run(requestContext, [req, res], next);
    if (spanContext !== undefined) {
      const inner = proceed;
      proceed = () => otelContext.with(spanContext, inner);
    }
    context.run(requestContext, proceed);
  };
}

/** `obs.routes()`: the health paths, `/metrics`, the dashboard and `/ops`, each behind what guards it. */
function observabilityRoutes(parts: TelemetryParts, options: ObservabilityOptions, dashboardSessions: DashboardSessions): Router {
  const { telemetry, redactor, tracing, lifecycle, poolStats, errorRate } = parts;
  const { config, configErrors, logger, metrics, settings } = telemetry;
  const router = Router();
  router.use(
    healthRoutes({
      registry: parts.healthRegistry,
      lifecycle,
      config,
      configErrors,
      notes: config.adminToken === undefined ? [ADMIN_TOKEN_MISSING] : [],
      pools: poolStats.pools,
      errorRate: errorRate.rate,
      lag: parts.lag,
      maxEventLoopLagMs: options.health?.maxEventLoopLagMs,
      enabled: config.healthEnabled,
    }),
  );
  const security = opsSecurityHeaders();
  const guard = adminGuard({ token: config.adminToken, metrics, logger });
  // Switched off, /metrics is a plain 404 for everyone: there is nothing behind it to guard.
  const metricsGuard = config.metricsPublic || !config.metricsEnabled ? [] : [guard];
  router.get('/metrics', security, ...metricsGuard, metricsRoute({ metrics, enabled: config.metricsEnabled }));
  router.use(
    '/ops/dashboard',
    dashboardRoutes({
      token: config.adminToken,
      enabled: config.dashboardEnabled,
      service: config.service,
      feed: parts.dashboardFeed,
      sessions: dashboardSessions,
      logger,
      metrics,
    }),
  );
  router.use(
    '/ops',
    security,
    guard,
    opsRoutes({
      settings,
      jobs: parts.jobRegistry,
      tracer: tracing.tracer,
      tracingEnabled: tracing.runtime !== undefined,
      logger,
      redactor,
      recentEvents: parts.recentEvents,
      timeline: parts.requestTimeline === undefined ? undefined : telemetry.timeline,
    }),
  );
  return router;
}

function newTrace(_req: unknown, _res: unknown, requestContext: RequestContext): undefined {
  requestContext.traceId = randomTraceId();
  requestContext.spanId = randomSpanId();
  return undefined;
}
