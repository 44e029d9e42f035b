import { createClientErrorResponder } from './clientErrorResponder';
import { CONFIG_DEFAULTS, distinctConfigErrors, loadConfig, type ConfigOverrides, type SightlineConfig } from './config';
import { createContextStore } from './context';
import { createDashboardFeed, type DashboardFeed } from './dashboard/dashboardFeed';
import { createDashboardSampler } from './dashboard/dashboardSampler';
import { createRecentErrors, type RecentErrors } from './dashboard/recentErrors';
import { createErrorRateMonitor, type ErrorRateMonitor } from './errorRateMonitor';
import { createEventBus } from './eventBus';
import { createEventLogConsumer } from './eventLogConsumer';
import { createEventLoopLag, type EventLoopLag } from './eventLoopLag';
import { createEventMetricsConsumer } from './eventMetricsConsumer';
import { handleSignals } from './gracefulShutdown';
import { createHealthRegistry, type HealthRegistry } from './healthRegistry';
import { createJobRegistry, type JobRegistry } from './jobRegistry';
import { createLifecycle, type Lifecycle } from './lifecycle';
import { createLogger } from './logger';
import { startLogExport } from './logExport';
import { createLogStats, type LogStats } from './logStats';
import { mergePools } from './mergePools';
import { createMetrics } from './metrics';
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
  const { environment = process.env, logger: loggerOptions = {}, metrics: metricsOptions = {} } = options;
  const { config, errors: baseErrors } = loadConfig(environment, pickOverrides(options));

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
  const metrics = createMetrics({
    prefix: config.metricsPrefix,
    processMetrics: config.metricsEnabled && metricsOptions !== false && metricsOptions.processMetrics !== false,
    buckets: metricsOptions === false ? undefined : metricsOptions.buckets,
    logStats: () => stats,
  });
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
  const healthRegistry = createHealthRegistry({ metrics, deadlineMs: options.health?.deadlineMs });
  const lag = createEventLoopLag();
  const settings = createRuntimeSettings({ logger, logSamplingRateInfo: config.logSamplingRateInfo, events });
  const jobRegistry = createJobRegistry({ metrics });
  const dashboardFeed = createDashboardFeed({
    sample: createDashboardSampler({
      service: config.service,
      version: config.version,
      metrics,
      health: healthRegistry.check,
      draining: () => lifecycle.phase() === 'draining',
      pools: () => mergePools(healthRegistry.pools(), poolStats.pools()),
      errors: recentErrors,
      events: (limit) => recentEvents.list({ limit }),
      eventLoopLagMs: lag.lagMs,
    }).sample,
    onError: (error) => logger.warn('dashboard snapshot failed', { target: 'sightline', error }),
  });
  const clientErrors = createClientErrorResponder({ logger, metrics });
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

  const telemetry: Telemetry = {
    config,
    configErrors,
    logger,
    tracer: tracing.tracer,
    metrics,
    context,
    settings,
    events,
    health: {
      register: healthRegistry.register,
      unregister: healthRegistry.unregister,
      registerPool: healthRegistry.registerPool,
      check: healthRegistry.check,
      startupTask: lifecycle.startupTask,
    },
    jobs: { register: jobRegistry.register },
    logStats: () => ({ ...stats }),
    // A request's lines reach its timeline when their batch is written: write it before reading.
    timeline: {
      get(requestId) {
        if (requestTimeline === undefined) return undefined;
        flush();
        return requestTimeline.get(requestId);
      },
    },
    handleSignals: (server, signalOptions) =>
      handleSignals(
        server,
        { lifecycle, logger, flush: shutdown },
        { drainDelayMs: config.shutdownDrainDelayMs, gracePeriodMs: config.shutdownGracePeriodMs, ...signalOptions },
      ),
    attachServer: clientErrors.attach,
    ...outgoingContext(context, tracing.runtime !== undefined),
    shutdown,
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
    requestTimeline,
    onShutdown: (hook) => void shutdownHooks.push(hook),
  };
}

/** Only the config keys, and only those given: `undefined` must not mask the environment. */
function pickOverrides(options: ConfigOverrides): ConfigOverrides {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_DEFAULTS) as (keyof SightlineConfig)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as ConfigOverrides;
}
