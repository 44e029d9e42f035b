import { createClientErrorResponder } from './clientErrorResponder';
import { CONFIG_DEFAULTS, distinctConfigErrors, loadConfig, type ConfigOverrides, type SightlineConfig } from './config';
import { createContextStore, type ContextStore } from './context';
import { createDashboardFeed, type DashboardFeed } from './dashboard/dashboardFeed';
import { createDashboardSampler } from './dashboard/dashboardSampler';
import { createRecentErrors, type RecentErrors } from './dashboard/recentErrors';
import { createErrorRateMonitor, type ErrorRateMonitor } from './errorRateMonitor';
import { createEventBus } from './eventBus';
import type { EventBus } from './eventBusTypes';
import { createEventLogConsumer } from './eventLogConsumer';
import { createEventLoopLag, type EventLoopLag } from './eventLoopLag';
import { createEventMetricsConsumer } from './eventMetricsConsumer';
import { handleSignals } from './gracefulShutdown';
import { createHealthRegistry, type HealthRegistry } from './healthRegistry';
import { createJobRegistry, type JobRegistry } from './jobRegistry';
import { createLifecycle, type Lifecycle } from './lifecycle';
import { createLogger, type SightlineLogger } from './logger';
import { startLogExport, type LogExport } from './logExport';
import { createLogStats, type LogStats } from './logStats';
import { mergePools } from './mergePools';
import { createMetrics, type SightlineMetrics } from './metrics';
import { outgoingContext } from './outgoingHeaders';
import { createPoolStats, type PoolStatsTracker } from './poolStatsConsumer';
import { createRecentEvents, type RecentEvents } from './recentEvents';
import { createRedactor, type Redactor } from './redaction';
import { createRequestTimeline, type RequestTimeline } from './requestTimeline';
import { createRuntimeSettings } from './runtimeSettings';
import type { Telemetry } from './telemetry';
import type { TelemetryOptions } from './telemetryOptions';
import { setUpTracing, type TracingSetup } from './tracingSetup';

/** What the Express adapter builds on beside the public telemetry: nothing here is part of the API. */
export interface TelemetryParts {
  readonly telemetry: Telemetry;
  readonly stats: LogStats;
  readonly redactor: Redactor;
  readonly tracing: TracingSetup;
  readonly lifecycle: Lifecycle;
  readonly healthRegistry: HealthRegistry;
  readonly poolStats: PoolStatsTracker;
  readonly errorRate: ErrorRateMonitor;
  readonly recentErrors: RecentErrors;
  readonly recentEvents: RecentEvents;
  readonly jobRegistry: JobRegistry;
  readonly lag: EventLoopLag;
  readonly dashboardFeed: DashboardFeed;
  /** The request timeline itself; undefined with `timeline: false`. */
  readonly requestTimeline: RequestTimeline | undefined;
  /** Runs `hook` once `shutdown()` has flushed everything (a failing hook is logged, the others still run). */
  onShutdown(hook: () => void): void;
}

/** Builds one instance's telemetry and keeps its parts at hand for the adapter. */
export function assembleTelemetry(options: TelemetryOptions): TelemetryParts {
  const { environment = process.env, metrics: metricsOptions = {} } = options;
  const { config, errors: baseErrors } = loadConfig(environment, pickOverrides(options));
  const logging = assembleLogging(options, config, environment);
  const { context, stats, redactor, logger } = logging;
  const metrics = createMetrics({
    prefix: config.metricsPrefix,
    processMetrics: config.metricsEnabled && metricsOptions !== false && metricsOptions.processMetrics !== false,
    buckets: metricsOptions === false ? undefined : metricsOptions.buckets,
    logStats: () => stats,
  });
  const tracing = setUpTracing(config, environment, logger, options.tracing);
  const configErrors = Object.freeze(distinctConfigErrors([...baseErrors, ...tracing.errors, ...logging.logExport.errors]));
  for (const { variable, message } of configErrors) {
    logger.warn('configuration value rejected, default used', { target: 'sightline', variable, reason: message });
  }

  const lifecycle = createLifecycle();
  const { events, recentEvents, poolStats } = assembleEvents(options, { metrics, redactor, context, logger });
  const errorRate = createErrorRateMonitor({
    ...options.health?.errorRate,
    onExceeded: (details) => events.emit('error_rate.exceeded', { ...details }),
  });
  const recentErrors = createRecentErrors();
  const healthRegistry = createHealthRegistry({ metrics, deadlineMs: options.health?.deadlineMs });
  const lag = createEventLoopLag();
  const settings = createRuntimeSettings({ logger, logSamplingRateInfo: config.logSamplingRateInfo, events });
  const jobRegistry = createJobRegistry({ metrics });
  const dashboardFeed = assembleDashboardFeed({ config, metrics, logger, healthRegistry, lifecycle, poolStats, recentErrors, recentEvents, lag });
  const clientErrors = createClientErrorResponder({ logger, metrics });
  const shutdown = shutdownSequence({ lifecycle, dashboardFeed, events, lag, tracing, logger, flush: logging.flush, logExport: logging.logExport });
  const telemetry: Telemetry = {
    config,
    configErrors,
    logger,
    tracer: tracing.tracer,
    metrics,
    context,
    settings,
    events,
    health: healthOf(healthRegistry, lifecycle),
    jobs: { register: jobRegistry.register },
    logStats: () => ({ ...stats }),
    timeline: timelineReader(logging),
    handleSignals: (server, signalOptions) =>
      handleSignals(
        server,
        { lifecycle, logger, flush: shutdown.run },
        { drainDelayMs: config.shutdownDrainDelayMs, gracePeriodMs: config.shutdownGracePeriodMs, ...signalOptions },
      ),
    attachServer: clientErrors.attach,
    ...outgoingContext(context, tracing.runtime !== undefined),
    shutdown: shutdown.run,
  };
  return {
    telemetry,
    stats,
    redactor,
    tracing,
    lifecycle,
    healthRegistry,
    poolStats,
    errorRate,
    recentErrors,
    recentEvents,
    jobRegistry,
    lag,
    dashboardFeed,
    requestTimeline: logging.requestTimeline,
    onShutdown: shutdown.onShutdown,
  };
}

interface Logging {
  readonly context: ContextStore;
  readonly stats: LogStats;
  readonly redactor: Redactor;
  readonly requestTimeline: RequestTimeline | undefined;
  readonly logExport: LogExport;
  readonly logger: SightlineLogger;
  /** Writes the logger's buffered lines. */
  readonly flush: () => void;
}

/** The request context, the logger and what feeds on its lines: stats, log export, the request timeline. */
function assembleLogging(options: TelemetryOptions, config: SightlineConfig, environment: Readonly<Record<string, string | undefined>>): Logging {
  const { logger: loggerOptions = {} } = options;
  const context = createContextStore();
  const stats = createLogStats();
  const redactor = createRedactor(loggerOptions.redaction);
  const requestTimeline = options.timeline === false ? undefined : createRequestTimeline(options.timeline);
  const identity = { service: config.service, version: config.version, env: config.env };
  const logExport = startLogExport({ identity, environment, stats, exporter: loggerOptions.exporter });
  const { logger, flush } = createLogger({
    onRequestLine: requestTimeline?.record,
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
  return { context, stats, redactor, requestTimeline, logExport, logger, flush };
}

/** `telemetry.health`: the registry's checks and pools, and the lifecycle's startup tasks. */
function healthOf(healthRegistry: HealthRegistry, lifecycle: Lifecycle): Telemetry['health'] {
  return {
    register: healthRegistry.register,
    unregister: healthRegistry.unregister,
    registerPool: healthRegistry.registerPool,
    check: healthRegistry.check,
    startupTask: lifecycle.startupTask,
  };
}

/** `telemetry.timeline`: a request's lines reach its timeline when their batch is written, so it writes them before reading. */
function timelineReader({ requestTimeline, flush }: Pick<Logging, 'requestTimeline' | 'flush'>): Telemetry['timeline'] {
  return {
    get(requestId) {
      if (requestTimeline === undefined) return undefined;
      flush();
      return requestTimeline.get(requestId);
    },
  };
}

interface EventWiring {
  readonly events: EventBus;
  readonly recentEvents: RecentEvents;
  readonly poolStats: PoolStatsTracker;
}

/** The event bus and its consumers: the log, the metrics, the recent events and the pool statistics. */
function assembleEvents(
  options: TelemetryOptions,
  { metrics, redactor, context, logger }: { metrics: SightlineMetrics; redactor: Redactor; context: ContextStore; logger: SightlineLogger },
): EventWiring {
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
  return { events, recentEvents, poolStats };
}

interface DashboardSources {
  readonly config: SightlineConfig;
  readonly metrics: SightlineMetrics;
  readonly logger: SightlineLogger;
  readonly healthRegistry: HealthRegistry;
  readonly lifecycle: Lifecycle;
  readonly poolStats: PoolStatsTracker;
  readonly recentErrors: RecentErrors;
  readonly recentEvents: RecentEvents;
  readonly lag: EventLoopLag;
}

/** The dashboard's feed of snapshots, sampled from the metrics, health, pools, recent errors and events. */
function assembleDashboardFeed(sources: DashboardSources): DashboardFeed {
  const { config, metrics, logger, healthRegistry, lifecycle, poolStats, recentEvents, lag } = sources;
  return createDashboardFeed({
    sample: createDashboardSampler({
      service: config.service,
      version: config.version,
      metrics,
      health: healthRegistry.check,
      draining: () => lifecycle.phase() === 'draining',
      pools: () => mergePools(healthRegistry.pools(), poolStats.pools()),
      errors: sources.recentErrors,
      events: (limit) => recentEvents.list({ limit }),
      eventLoopLagMs: lag.lagMs,
    }).sample,
    onError: (error) => logger.warn('dashboard snapshot failed', { target: 'sightline', error }),
  });
}

interface ShutdownSteps {
  readonly lifecycle: Lifecycle;
  readonly dashboardFeed: DashboardFeed;
  readonly events: EventBus;
  readonly lag: EventLoopLag;
  readonly tracing: TracingSetup;
  readonly logger: SightlineLogger;
  readonly flush: () => void;
  readonly logExport: LogExport;
}

interface ShutdownSequence {
  /** Drains, then flushes events, spans, log lines and exported records, then runs the hooks; once, however often called. */
  readonly run: () => Promise<void>;
  readonly onShutdown: (hook: () => void) => void;
}

/** `shutdown()`: draining begins, the dashboard closes, then everything pending is flushed in order and the hooks run. */
function shutdownSequence(steps: ShutdownSteps): ShutdownSequence {
  const { lifecycle, dashboardFeed, events, lag, tracing, logger, flush, logExport } = steps;
  let shutdownPromise: Promise<void> | undefined;
  const shutdownHooks: (() => void)[] = [];
  const runShutdownHooks = (): void => {
    for (const hook of shutdownHooks.splice(0)) {
      try {
        hook();
      } catch (error) {
        logger.warn('shutdown step failed', { target: 'sightline', error });
      }
    }
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
      .then(logExport.forceFlush)
      .then(runShutdownHooks);
    return shutdownPromise;
  }

  return { run: shutdown, onShutdown: (hook) => void shutdownHooks.push(hook) };
}

/** Only the config keys, and only those given: `undefined` must not mask the environment. */
function pickOverrides(options: ConfigOverrides): ConfigOverrides {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_DEFAULTS) as (keyof SightlineConfig)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as ConfigOverrides;
}
