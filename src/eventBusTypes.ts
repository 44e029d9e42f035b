import type { ContextStore } from './context';
import type { SightlineMetrics } from './metrics';
import type { Redactor } from './redaction';

/** One telemetry event as consumers receive it. Frozen at the top level: consumers share it. */
export interface TelemetryEvent {
  /** The name it was emitted with (`error_rate.exceeded`); consumers subscribe by name or pattern. */
  readonly name: string;
  /** When it was emitted, ISO 8601. */
  readonly time: string;
  /** Numbers by name (`{ rate: 0.12 }`); empty when none were given. */
  readonly measurements: Readonly<Record<string, number>>;
  /** Redacted, JSON-safe. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Ids of the request being served when the event was emitted, if any. */
  readonly request_id?: string;
  /** W3C trace id (32 hex digits) of the request being served, if any. */
  readonly trace_id?: string;
  /** W3C span id (16 hex digits) of the request being served, if any. */
  readonly span_id?: string;
}

/** Sync or async; a throw, a rejection or a promise that does not settle in time is a failure. */
export type EventConsumer = (event: TelemetryEvent) => void | PromiseLike<unknown>;

/**
 * Why an event was left out: `sampling` and `rate_limit` by configuration, `overflow` when
 * the delivery queue was full, `invalid` for a bad name, measurement or metadata.
 */
export type DropReason = 'sampling' | 'rate_limit' | 'overflow' | 'invalid';

/**
 * `error` (threw or rejected) and `timeout` count towards switching a consumer off;
 * `circuit_open` (skipped while switched off) and `overflow` (skipped because the consumer
 * already had `maxInFlight` deliveries unsettled) are their consequences.
 */
export type ConsumerFailureKind = 'error' | 'timeout' | 'circuit_open' | 'overflow';

/** `open`: switched off for the cool-down; `half_open`: the next event is a trial. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** What `onConsumerFailure` is told when a consumer throws, rejects or times out. */
export interface ConsumerFailure {
  readonly consumer: string;
  readonly kind: 'error' | 'timeout';
  /** What it threw or rejected with (for `error`). */
  readonly error?: unknown;
  /** The consumer's circuit after this failure. */
  readonly circuit: CircuitState;
}

/** How one consumer is subscribed. */
export interface SubscribeOptions {
  /**
   * Consumer label in metrics and stats; must be unique on the bus. Default: the function's
   * name (else `consumer`), made unique with `_2`, `_3`…
   */
  readonly name?: string;
  /** Default: the bus's `consumerTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** Everything optional; `createEventBus` fills in the defaults and refuses bad values. */
export interface EventBusOptions {
  /** Counts events and consumer failures in its catalogue metrics. */
  readonly metrics?: SightlineMetrics;
  /** Applied to every event's metadata. Default: `createRedactor()`. */
  readonly redactor?: Redactor;
  /** Where request, trace and span ids come from. */
  readonly context?: ContextStore;
  /** Share of events kept (0..1) by name or pattern; default 1. */
  readonly sampling?: Readonly<Record<string, number>>;
  /** Events per second by name or pattern; a pattern's limit is shared by all the names it matches. */
  readonly rateLimits?: Readonly<Record<string, number>>;
  /** Events waiting for delivery; more are dropped (`overflow`). Default 10 000. */
  readonly maxQueue?: number;
  /** Default 1000. */
  readonly consumerTimeoutMs?: number;
  /** Consecutive failures that switch a consumer off. Default 5. */
  readonly failureThreshold?: number;
  /** How long a consumer stays switched off. Default 30 000. */
  readonly coolDownMs?: number;
  /** Unsettled deliveries per consumer; more are skipped (`overflow`). Default 100. */
  readonly maxInFlight?: number;
  /** Told of every `error` and `timeout` (to log it); its own throw is ignored. */
  readonly onConsumerFailure?: (failure: ConsumerFailure) => void;
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Default `Math.random`. */
  readonly random?: () => number;
}

/** One consumer's part of `EventBusStats`. */
export interface ConsumerStats {
  /** The name or pattern it subscribed with. */
  readonly pattern: string;
  /** Whether it is switched off after failures. */
  readonly circuit: CircuitState;
  /** Events it handled successfully. */
  readonly delivered: number;
  /** Deliveries to it not yet settled or timed out. */
  readonly inFlight: number;
  /** Its failures by kind. */
  readonly failures: Readonly<Record<ConsumerFailureKind, number>>;
}

/** Counts since the bus was created, and its consumers by name. */
export interface EventBusStats {
  /** Events accepted for delivery. */
  readonly emitted: number;
  /** Accepted events not yet handed to consumers. */
  readonly queued: number;
  /** Events left out, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Failures of all consumers together, by kind. */
  readonly consumerFailures: Readonly<Record<ConsumerFailureKind, number>>;
  /** Each consumer's figures, by its name. */
  readonly consumers: Readonly<Record<string, ConsumerStats>>;
}

/** What `createEventBus` returns. */
export interface EventBus {
  /**
   * Queues an event for the consumers whose pattern matches `name`. Never throws and never
   * waits: an event it cannot take is counted as dropped.
   */
  emit(name: string, measurements?: Readonly<Record<string, number>>, metadata?: Readonly<Record<string, unknown>>): void;
  /** Returns the function that unsubscribes (idempotent). */
  subscribe(pattern: string, consumer: EventConsumer, options?: SubscribeOptions): () => void;
  /** Keeps this share (0 to 1) of the events matching `pattern` from now on, replacing its earlier rate; throws on a bad pattern or rate. */
  setSamplingRate(pattern: string, rate: number): void;
  /** The configured rates by name or pattern; names not covered keep every event. */
  samplingRates(): Readonly<Record<string, number>>;
  /** The bus's counts now, as a snapshot. */
  stats(): EventBusStats;
  /**
   * Resolves once every queued event is delivered and every delivery has settled or timed
   * out. The timeout timers are unref()'d: they alone do not keep a process alive.
   */
  flush(): Promise<void>;
}
