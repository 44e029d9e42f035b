import type { Server } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { AttachServerOptions } from './clientErrorResponder';
import type { ConfigError, SightlineConfig } from './config';
import type { ContextStore } from './context';
import type { EventBus } from './eventBus';
import type { SignalHandling, SignalHandlingOptions } from './gracefulShutdown';
import type { HealthRegistry } from './healthRegistry';
import type { Job, JobRegistrationOptions } from './jobRegistry';
import type { SightlineLogger } from './logger';
import type { LogStats } from './logStats';
import type { SightlineMetrics } from './metrics';
import type { OutgoingContext } from './outgoingHeaders';
import type { RequestTimeline } from './requestTimeline';
import type { RuntimeSettings } from './runtimeSettings';
import { assembleTelemetry } from './telemetryAssembly';
import type { TelemetryOptions } from './telemetryOptions';

/** `obs.health`: checks for `/health/ready`, pool statistics for `/health/detailed`, startup tasks for `/health/startup`. */
export interface ObservabilityHealth extends Pick<HealthRegistry, 'register' | 'unregister' | 'registerPool' | 'check'> {
  /** Work that must finish before `/health/startup` (and readiness) pass. */
  startupTask(name: string, task: Promise<unknown> | (() => Promise<unknown>)): void;
}

/**
 * sightline without a web framework: the logger, metrics, tracing, telemetry events, health,
 * shutdown and the request timeline of one service instance. `createObservability()` is this
 * plus the Express middlewares and routes.
 */
export interface Telemetry extends OutgoingContext {
  /** The configuration in effect: values given in code win over the environment (`LOG_LEVEL`, `OBS_*`, …), which wins over the defaults. */
  readonly config: SightlineConfig;
  /** Rejected configuration values, by variable; `/health/startup` reports them. */
  readonly configErrors: readonly ConfigError[];
  /**
   * The instance's logger, a winston logger with `fatal` above `error`: it writes JSON lines
   * carrying the service's identity and the current request's ids, redacted, from
   * `config.logLevel` up (changeable at run time through `settings`).
   */
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
  /** Readiness checks, pool statistics and startup tasks behind the `/health` endpoints. */
  readonly health: ObservabilityHealth;
  /** Jobs an operator may run with `POST /ops/jobs/:name`. */
  readonly jobs: { register(name: string, job: Job, options?: JobRegistrationOptions): void };
  /** A snapshot of what logging dropped or contained. */
  logStats(): Readonly<LogStats>;
  /** The log lines of recent requests, by request id (also `GET /ops/requests/:request_id`). */
  readonly timeline: Pick<RequestTimeline, 'get'>;
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
  /** Writes out buffered log lines and pending spans. Idempotent. */
  shutdown(): Promise<void>;
}

/** One instance's telemetry, configured from `options` and the environment; two instances never share state. */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  return assembleTelemetry(options).telemetry;
}
