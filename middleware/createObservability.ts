import type { Server } from 'node:http';
import { context as otelContext, type Tracer } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type TransportStream from 'winston-transport';
import { createClsBridge } from '../src/clsBridge';
import { CONFIG_DEFAULTS, distinctConfigErrors, loadConfig, type ConfigError, type ConfigOverrides, type SightlineConfig } from '../src/config';
import { createContextStore, type ContextStore, type RequestContext } from '../src/context';
import { createLogger, type SightlineLogger } from '../src/logger';
import { startLogExport } from '../src/logExport';
import { createLogStats, type LogStats } from '../src/logStats';
import { createMetrics, type MetricsOptions, type SightlineMetrics } from '../src/metrics';
import { createClientErrorResponder, type AttachServerOptions } from '../src/clientErrorResponder';
import { createErrorRateMonitor } from '../src/errorRateMonitor';
import type { ErrorFormat } from '../src/errors';
import { createEventBus, type EventBus } from '../src/eventBus';
import { createEventLogConsumer } from '../src/eventLogConsumer';
import { createEventMetricsConsumer } from '../src/eventMetricsConsumer';
import { createEventLoopLag } from '../src/eventLoopLag';
import { createHealthRegistry, type HealthRegistry } from '../src/healthRegistry';
import { createPoolStats } from '../src/poolStatsConsumer';
import { createDashboardFeed } from '../src/dashboard/dashboardFeed';
import { createDashboardSampler } from '../src/dashboard/dashboardSampler';
import { createDashboardSessions } from '../src/dashboard/dashboardSessions';
import { createRecentErrors } from '../src/dashboard/recentErrors';
import { mergePools } from '../src/mergePools';
import { createRecentEvents } from '../src/recentEvents';
import { createRequestTimeline, type RequestTimeline, type RequestTimelineOptions } from '../src/requestTimeline';
import { handleSignals, type SignalHandling, type SignalHandlingOptions } from '../src/gracefulShutdown';
import { createJobRegistry, type Job, type JobRegistrationOptions } from '../src/jobRegistry';
import { createLifecycle } from '../src/lifecycle';
import { createRedactor, type RedactionOptions } from '../src/redaction';
import { createRuntimeSettings, type RuntimeSettings } from '../src/runtimeSettings';
import { isTraceSampled } from '../src/sampling';
import { randomSpanId, randomTraceId } from '../src/w3cTraceContext';
import { accessLogStep } from './accessLog';
import { whenResponseEnds } from './responseEnd';
import { adminGuard } from './adminGuard';
import { healthRoutes } from './healthRoutes';
import { errorHandler, notFound } from './errorHandler';
import { httpMetricsStep } from './httpMetrics';
import { metricsRoute } from './metricsRoute';
import { observeSse, streamObserver, type ObserveStream, type ObserveStreamOptions } from './observeSse';
import { dashboardRoutes } from './dashboard/dashboardRoutes';
import { opsRoutes } from './opsRoutes';
import { responseOutcomeRecorder } from './responseOutcomes';
import { opsSecurityHeaders } from './security';
import { requestIdStep, type RequestIdOptions } from './requestId';
import { activeSpanHeaders, spanIdentityStep } from './spanIdentity';
import { setUpTracing, type ObservabilityTracingOptions } from './tracingSetup';
import { outgoingTraceHeaders, traceContextStep, type TraceContextOptions } from './traceContext';

export interface ObservabilityLoggerOptions {
  /** Replace the default transport (batched JSON lines on `destination`). */
  readonly transports?: readonly TransportStream[];
  /** Where the default transport writes. Default `process.stdout`. */
  readonly destination?: NodeJS.WritableStream;
  readonly redaction?: RedactionOptions;
  /** `target` of lines that do not name one. Default `app`. */
  readonly target?: string;
  /** Replaces the OTLP exporter that `OTEL_LOGS_EXPORTER=otlp` sends log records to. */
  readonly exporter?: LogRecordExporter;
}

export interface ObservabilityAccessLogOptions {
  /** Path prefixes not logged. Default: `/health`, `/metrics`. */
  readonly excludePaths?: readonly string[];
}

export interface ObservabilityMetricsOptions {
  /** Buckets of sightline's histograms, by catalogue key (`httpRequestDuration`, `streamTimeToFirstEvent`, …). */
  readonly buckets?: MetricsOptions['buckets'];
  /** Path prefixes kept out of the HTTP metrics. Default: `/health`, `/metrics`, `/ops`. */
  readonly excludePaths?: readonly string[];
  /** prom-client's process metrics. Default true. */
  readonly processMetrics?: boolean;
}

export interface ObservabilityStreamOptions {
  /** Upstream names allowed as the `upstream` label of stream metrics; others are labelled `other`. */
  readonly upstreams?: readonly string[];
}

export interface ObservabilityEventOptions {
  /** Sampling rate by event name or pattern (`pool.*`); changeable at run time through `/ops/config`. */
  readonly sampling?: Readonly<Record<string, number>>;
  /** Events per second allowed by event name or pattern; the rest are counted and dropped. */
  readonly rateLimits?: Readonly<Record<string, number>>;
  /** Events kept for `/ops/events`. Default 200. */
  readonly recent?: number;
}

export interface ObservabilityHealthOptions {
  /** `/health/live` fails from this event-loop lag on. Default 1000. */
  readonly maxEventLoopLagMs?: number;
  /** Overall deadline of the readiness checks. Default 2000. */
  readonly deadlineMs?: number;
  /** Share of 5xx responses over `windowMs` that emits `error_rate.exceeded`. Default 0.05 over 60 s, from 20 requests. */
  readonly errorRate?: { readonly threshold?: number; readonly windowMs?: number; readonly minRequests?: number };
}

/** `obs.health`: checks for `/health/ready`, pool statistics for `/health/detailed`, startup tasks for `/health/startup`. */
export interface ObservabilityHealth extends Pick<HealthRegistry, 'register' | 'unregister' | 'registerPool' | 'check'> {
  /** Work that must finish before `/health/startup` (and readiness) pass. */
  startupTask(name: string, task: Promise<unknown> | (() => Promise<unknown>)): void;
}

export interface ObservabilityOptions extends ConfigOverrides {
  /** Variables to read settings from. Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly logger?: ObservabilityLoggerOptions;
  /** `false`: inbound `X-Request-Id` is ignored and none is echoed (an id is still made for the logs). */
  readonly requestId?: RequestIdOptions | false;
  /** `false`: `traceparent` is neither read nor answered (a trace id is still made for the logs). */
  readonly traceContext?: TraceContextOptions | false;
  readonly accessLog?: ObservabilityAccessLogOptions | false;
  /** HTTP metrics in `obs.middleware()`; `false` leaves them out (the registry stays available). */
  readonly metrics?: ObservabilityMetricsOptions | false;
  readonly streams?: ObservabilityStreamOptions;
  /** Tracing is switched on by `tracingEnabled` / `OBS_TRACING_ENABLED`; these replace its exporter. */
  readonly tracing?: ObservabilityTracingOptions;
  /** Mirror the request context into this cls-hooked namespace (opt-in, costly). */
  readonly clsNamespace?: string;
  readonly events?: ObservabilityEventOptions;
  readonly health?: ObservabilityHealthOptions;
  /** Log lines of recent requests for `GET /ops/requests/:request_id`; `false` keeps none. */
  readonly timeline?: RequestTimelineOptions | false;
}

export interface Observability {
  readonly config: SightlineConfig;
  /** Rejected configuration values, by variable; `/health/startup` reports them. */
  readonly configErrors: readonly ConfigError[];
  readonly logger: SightlineLogger;
  /** For manual spans; a no-op tracer when tracing is off. */
  readonly tracer: Tracer;
  /** This instance's registry and metric helpers. */
  readonly metrics: SightlineMetrics;
  /** The current request's context; `context.set(key, value)` adds a field to its later log lines. */
  readonly context: ContextStore;
  /** Settings an operator may change at run time (`GET`/`PUT /ops/config`). */
  readonly settings: RuntimeSettings;
  /** The telemetry event bus: `emit(name, measurements, metadata)`, `subscribe(pattern, consumer)`. */
  readonly events: EventBus;
  readonly health: ObservabilityHealth;
  /** Jobs an operator may run with `POST /ops/jobs/:name`. */
  readonly jobs: { register(name: string, job: Job, options?: JobRegistrationOptions): void };
  /** A snapshot of what logging dropped or contained. */
  logStats(): Readonly<LogStats>;
  /** The log lines of recent requests, by request id (also `GET /ops/requests/:request_id`). */
  readonly timeline: Pick<RequestTimeline, 'get'>;
  /** requestId → traceContext → accessLog → httpMetrics, as one middleware. */
  middleware(): RequestHandler;
  /**
   * `GET /metrics` (admin token unless `OBS_METRICS_PUBLIC`) and `/ops/*` (admin token; 404 when
   * none is configured), with helmet's headers.
   */
  routes(): Router;
  /**
   * SIGTERM/SIGINT: readiness 503 at once, a drain delay, the server stops accepting, in-flight
   * requests and streams get a grace period, then telemetry is flushed and the process exits 0.
   */
  handleSignals(server: Server, options?: SignalHandlingOptions): SignalHandling;
  /**
   * Requests Node's HTTP parser refuses (431 headers too large, 400 malformed, 408 too slow)
   * are answered in the JSON error shape, counted and logged. Idempotent; returns the detach.
   */
  attachServer(server: Server, options?: AttachServerOptions): () => void;
  /** Starts observing a streamed response (time to first event, gaps, events, outcome). */
  observeStream: ObserveStream;
  /** Middleware for an SSE route: observes the stream and sets SSE headers. */
  observeSse(options?: ObserveStreamOptions): RequestHandler;
  /** JSON error responses with the request id; mount after your routes. */
  errorHandler(options?: { readonly format?: ErrorFormat }): ErrorRequestHandler;
  /** JSON 404 for unmatched requests; mount after your routes, before `errorHandler()`. */
  notFound(options?: { readonly format?: ErrorFormat }): RequestHandler;
  /** `traceparent`, `tracestate` and `x-request-id` for a call onward; `{}` outside a request. */
  outgoingHeaders(): Record<string, string>;
  /** `TRACEPARENT` and `TRACESTATE` for a child process serving the current request. */
  childProcessEnv(): Record<string, string>;
  /** Writes out buffered log lines and pending spans. Idempotent. */
  shutdown(): Promise<void>;
}

const DEFAULT_EXCLUDED_PATHS = ['/health', '/metrics'];
const ADMIN_TOKEN_MISSING = 'OBS_ADMIN_TOKEN is not set: /ops answers 404, and /metrics too unless OBS_METRICS_PUBLIC=true';

export function createObservability(options: ObservabilityOptions = {}): Observability {
  const { environment = process.env, logger: loggerOptions = {}, clsNamespace, ...overrides } = options;
  const {
    requestId: requestIdOptions = {},
    traceContext: traceOptions = {},
    accessLog: accessOptions = {},
    metrics: metricsOptions = {},
  } = options;
  const { config, errors: baseErrors } = loadConfig(environment, pickOverrides(overrides));

  const context = createContextStore();
  const stats = createLogStats();
  const redactor = createRedactor(loggerOptions.redaction);
  const timeline = options.timeline === false ? undefined : createRequestTimeline(options.timeline);
  const identity = { service: config.service, version: config.version, env: config.env };
  const logExport = startLogExport({ identity, environment, stats, exporter: loggerOptions.exporter });
  const { logger, flush } = createLogger({
    onRequestLine: timeline?.record,
    identity: { ...identity, defaultTarget: loggerOptions.target ?? 'app' },
    level: config.logLevel,
    context,
    redactor,
    stats,
    transports: loggerOptions.transports,
    destination: loggerOptions.destination,
    extraTransports: logExport.transports,
    limits: { maxStringLength: config.logMaxStringLength, maxLineBytes: config.logMaxLineBytes },
    redactionLimits: loggerOptions.redaction,
  });
  const metrics = createMetrics({
    prefix: config.metricsPrefix,
    processMetrics: config.metricsEnabled && metricsOptions !== false && metricsOptions.processMetrics !== false,
    buckets: metricsOptions === false ? undefined : metricsOptions.buckets,
    logStats: () => stats,
  });
  const observeStream = streamObserver({ metrics, upstreams: options.streams?.upstreams });
  const tracing = setUpTracing(config, environment, logger, options.tracing);
  const configErrors = Object.freeze(distinctConfigErrors([...baseErrors, ...tracing.errors, ...logExport.errors]));
  for (const { variable, message } of configErrors) {
    logger.warn('configuration value rejected, default used', { target: 'sightline', variable, reason: message });
  }

  const lifecycle = createLifecycle();
  const events = createEventBus({
    metrics,
    redactor,
    context,
    sampling: options.events?.sampling,
    rateLimits: options.events?.rateLimits,
    onConsumerFailure: ({ consumer, kind, circuit, error }) => {
      logger.warn('event consumer failed', { target: 'sightline', consumer, kind, circuit, error });
    },
  });
  const recentEvents = createRecentEvents({ capacity: options.events?.recent });
  const poolStats = createPoolStats();
  events.subscribe('*', createEventLogConsumer({ logger }), { name: 'log' });
  events.subscribe('*', createEventMetricsConsumer(metrics), { name: 'metrics' });
  events.subscribe('*', recentEvents.consumer, { name: 'recent' });
  events.subscribe('*', poolStats.consumer, { name: 'pool_stats' });
  const errorRate = createErrorRateMonitor({
    ...options.health?.errorRate,
    onExceeded: (details) => events.emit('error_rate.exceeded', { ...details }),
  });
  const recentErrors = createRecentErrors();
  const recordOutcome = responseOutcomeRecorder({ errorRate, recentErrors, redactor });
  const health = createHealthRegistry({ metrics, deadlineMs: options.health?.deadlineMs });
  const lag = createEventLoopLag();
  const settings = createRuntimeSettings({ logger, logSamplingRateInfo: config.logSamplingRateInfo, events });
  const jobs = createJobRegistry({ metrics });
  const dashboardFeed = createDashboardFeed({
    sample: createDashboardSampler({
      service: config.service,
      version: config.version,
      metrics,
      health: health.check,
      draining: () => lifecycle.phase() === 'draining',
      pools: () => mergePools(health.pools(), poolStats.pools()),
      errors: recentErrors,
      events: (limit) => recentEvents.list({ limit }),
      eventLoopLagMs: lag.lagMs,
    }).sample,
    onError: (error) => logger.warn('dashboard snapshot failed', { target: 'sightline', error }),
  });
  const dashboardSessions = createDashboardSessions();
  const clientErrors = createClientErrorResponder({ logger, metrics });
  let shutdownPromise: Promise<void> | undefined;
  // A request's lines reach its timeline when their batch is written: write it before reading.
  const linesSoFar: Pick<RequestTimeline, 'get'> = {
    get(requestId) {
      if (timeline === undefined) return undefined;
      flush();
      return timeline.get(requestId);
    },
  };

  function outgoingHeaders(): Record<string, string> {
    const current = context.get();
    if (current === undefined || current.traceId === '') return {};
    if (tracing.runtime === undefined) return outgoingTraceHeaders(current);
    return { ...activeSpanHeaders(), 'x-request-id': current.requestId };
  }

  function middleware(): RequestHandler {
    if (!config.enabled) {
      return function sightlineDisabled(_req, _res, next) {
        next();
      };
    }
    const assignRequestId = requestIdStep(
      requestIdOptions === false ? { trustInbound: false, echo: false } : requestIdOptions,
    );
    const fromHeaders = traceOptions === false ? undefined : traceContextStep(traceOptions);
    const continueTrace =
      tracing.runtime === undefined
        ? fromHeaders
        : spanIdentityStep({
            tracer: tracing.tracer,
            untraced: fromHeaders ?? newTrace,
            answer: traceOptions !== false,
          });
    const observe =
      accessOptions === false
        ? undefined
        : accessLogStep({ logger, stats, excludePaths: accessOptions.excludePaths ?? DEFAULT_EXCLUDED_PATHS });
    const measure =
      metricsOptions === false || !config.metricsEnabled
        ? undefined
        : httpMetricsStep({ metrics, excludePaths: metricsOptions.excludePaths });
    const bridge = clsNamespace === undefined ? undefined : createClsBridge(clsNamespace);

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

  return {
    config,
    configErrors,
    logger,
    tracer: tracing.tracer,
    metrics,
    context,
    logStats: () => ({ ...stats }),
    timeline: linesSoFar,
    middleware,
    settings,
    events,
    health: {
      register: health.register,
      unregister: health.unregister,
      registerPool: health.registerPool,
      check: health.check,
      startupTask: lifecycle.startupTask,
    },
    jobs: { register: jobs.register },
    routes() {
      const router = Router();
      router.use(
        healthRoutes({
          registry: health,
          lifecycle,
          config,
          configErrors,
          notes: config.adminToken === undefined ? [ADMIN_TOKEN_MISSING] : [],
          pools: poolStats.pools,
          errorRate: errorRate.rate,
          lag,
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
          feed: dashboardFeed,
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
          jobs,
          tracer: tracing.tracer,
          tracingEnabled: tracing.runtime !== undefined,
          logger,
          redactor,
          recentEvents,
          timeline: timeline === undefined ? undefined : linesSoFar,
        }),
      );
      return router;
    },
    handleSignals: (server, signalOptions) =>
      handleSignals(
        server,
        { lifecycle, logger, flush: shutdown },
        { drainDelayMs: config.shutdownDrainDelayMs, gracePeriodMs: config.shutdownGracePeriodMs, ...signalOptions },
      ),
    attachServer: clientErrors.attach,
    observeStream,
    observeSse: (streamOptions) => observeSse(observeStream, streamOptions),
    errorHandler: (handlerOptions) => errorHandler({ logger, format: handlerOptions?.format }),
    notFound: (handlerOptions) => notFound(handlerOptions?.format),
    outgoingHeaders,
    childProcessEnv() {
      const { traceparent, tracestate } = outgoingHeaders();
      const env: Record<string, string> = {};
      if (traceparent !== undefined) env.TRACEPARENT = traceparent;
      if (tracestate !== undefined) env.TRACESTATE = tracestate;
      return env;
    },
    shutdown,
  };

  function shutdown(): Promise<void> {
    lifecycle.beginDraining();
    dashboardFeed.close();
    shutdownPromise ??= events
      .flush()
      .then(() => {
        lag.stop();
        return tracing.runtime?.forceFlush();
      })
      .catch((error: unknown) => {
        logger.warn('pending spans could not be exported', { target: 'sightline', error });
      })
      .then(flush)
      .then(logExport.forceFlush);
    return shutdownPromise;
  }
}

function newTrace(_req: unknown, _res: unknown, requestContext: RequestContext): undefined {
  requestContext.traceId = randomTraceId();
  requestContext.spanId = randomSpanId();
  return undefined;
}

/** Only the config keys, and only those given: `undefined` must not mask the environment. */
function pickOverrides(options: ConfigOverrides): ConfigOverrides {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_DEFAULTS) as (keyof SightlineConfig)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as ConfigOverrides;
}
