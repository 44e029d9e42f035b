import express, { type Express } from 'express';
import {
  createObservability,
  openAiErrorFormat,
  type Observability,
  type ObservabilityLoggerOptions,
  type ObservabilityOptions,
} from '../middleware';
import { chatCompletionsRoute } from './chatCompletionsRoute';
import { createCircuitBreakers } from './circuitBreakers';
import { createCompetitors, type CompetitorPoolOptions } from './competitors';
import { loadGatewayConfig, type GatewayConfig, type GatewayConfigInput } from './config';
import { createGatewayMetrics, type GatewayMetrics } from './gatewayMetrics';
import { modelsRoute } from './modelsRoute';
import { registerReadiness, type ReadinessOptions } from './readiness';
import { uiRoutes } from './ui/uiRoutes';

export type GatewayAppOptions = GatewayConfigInput & {
  /** Variables to read settings from, the gateway's and sightline's. Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly logger?: ObservabilityLoggerOptions;
  /** More sightline options (`health`, `events`, `tracing`, …); service, environment, logger and stream upstreams are the gateway's. */
  readonly observability?: Omit<ObservabilityOptions, 'environment' | 'logger' | 'service' | 'streams'>;
  readonly pool?: CompetitorPoolOptions;
  readonly readiness?: Pick<ReadinessOptions, 'intervalMs' | 'timeoutMs' | 'probeOf'>;
  /** The circuit breakers' jitter source. Default `Math.random`. */
  readonly random?: () => number;
};

export interface GatewayApp {
  readonly app: Express;
  readonly obs: Observability;
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  /** Closes pooled connections and breaker timers, then flushes telemetry. Idempotent. */
  close(): Promise<void>;
}

/**
 * The reference gateway: an OpenAI-compatible front door routing `model` to competitor
 * services, measuring every stream with sightline. Everything lives in this call's closure:
 * two gateways in one process share nothing.
 */
export function createGatewayApp(options: GatewayAppOptions = {}): GatewayApp {
  const { environment = process.env, logger, observability, pool, readiness, random, ...input } = options;
  const config = loadGatewayConfig(environment, input);
  const competitors = createCompetitors(config.competitors, { maxSockets: config.upstreamMaxSockets, ...pool });
  const obs = createObservability({
    ...observability,
    // An empty OTEL_SERVICE_NAME means unset, as OpenTelemetry reads it.
    service: environment.OTEL_SERVICE_NAME || 'gateway',
    environment,
    logger,
    streams: { upstreams: competitors.ids },
  });
  const metrics = createGatewayMetrics(obs.metrics, competitors.ids);
  const circuits = createCircuitBreakers({
    competitors: competitors.ids,
    errorPercent: config.breakerErrorPercent,
    volumeThreshold: config.breakerVolumeThreshold,
    resetMs: config.breakerResetMs,
    jitter: config.breakerJitter,
    windowMs: config.breakerWindowMs,
    metrics,
    logger: obs.logger,
    events: obs.events,
    random,
  });
  const unregisterReadiness = registerReadiness({ health: obs.health, competitors, ...readiness });

  const app = express();
  app.disable('x-powered-by');
  app.use(obs.middleware());
  // The hot route first: a completion does not walk past every health, metrics and ops route.
  app.use(chatCompletionsRoute({ obs, config, metrics, competitors, circuits }));
  app.use(obs.routes());
  app.use(modelsRoute({ competitors, circuits }));
  app.use(uiRoutes());
  app.use(obs.notFound({ format: openAiErrorFormat }));
  app.use(obs.errorHandler({ format: openAiErrorFormat }));

  let closing: Promise<void> | undefined;
  return {
    app,
    obs,
    config,
    metrics,
    close() {
      closing ??= Promise.resolve().then(() => {
        unregisterReadiness();
        circuits.close();
        competitors.close();
        return obs.shutdown();
      });
      return closing;
    },
  };
}
