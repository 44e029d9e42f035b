import { AsyncResource } from 'node:async_hooks';
import type { ContextStore } from './context';
import { createPatternTable, eventPattern, isEventName, type EventPattern } from './eventPattern';
import type { SightlineMetrics } from './metrics';
import { createRedactor, type Redactor } from './redaction';

/** One telemetry event as consumers receive it. Frozen at the top level: consumers share it. */
export interface TelemetryEvent {
  readonly name: string;
  /** When it was emitted, ISO 8601. */
  readonly time: string;
  readonly measurements: Readonly<Record<string, number>>;
  /** Redacted, JSON-safe. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Ids of the request being served when the event was emitted, if any. */
  readonly request_id?: string;
  readonly trace_id?: string;
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

export interface ConsumerFailure {
  readonly consumer: string;
  readonly kind: 'error' | 'timeout';
  /** What it threw or rejected with (for `error`). */
  readonly error?: unknown;
  /** The consumer's circuit after this failure. */
  readonly circuit: CircuitState;
}

export interface SubscribeOptions {
  /**
   * Consumer label in metrics and stats; must be unique on the bus. Default: the function's
   * name (else `consumer`), made unique with `_2`, `_3`…
   */
  readonly name?: string;
  /** Default: the bus's `consumerTimeoutMs`. */
  readonly timeoutMs?: number;
}

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

type EventBusConfig = Required<Pick<EventBusOptions, 'maxQueue' | 'consumerTimeoutMs' | 'failureThreshold' | 'coolDownMs' | 'maxInFlight' | 'now' | 'random'>>;

const DEFAULTS: Readonly<EventBusConfig> = {
  maxQueue: 10_000,
  consumerTimeoutMs: 1000,
  failureThreshold: 5,
  coolDownMs: 30_000,
  maxInFlight: 100,
  now: Date.now,
  random: Math.random,
};

export interface ConsumerStats {
  readonly pattern: string;
  readonly circuit: CircuitState;
  /** Events it handled successfully. */
  readonly delivered: number;
  readonly inFlight: number;
  readonly failures: Readonly<Record<ConsumerFailureKind, number>>;
}

export interface EventBusStats {
  /** Events accepted for delivery. */
  readonly emitted: number;
  /** Accepted events not yet handed to consumers. */
  readonly queued: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly consumerFailures: Readonly<Record<ConsumerFailureKind, number>>;
  readonly consumers: Readonly<Record<string, ConsumerStats>>;
}

export interface EventBus {
  /**
   * Queues an event for the consumers whose pattern matches `name`. Never throws and never
   * waits: an event it cannot take is counted as dropped.
   */
  emit(name: string, measurements?: Readonly<Record<string, number>>, metadata?: Readonly<Record<string, unknown>>): void;
  /** Returns the function that unsubscribes (idempotent). */
  subscribe(pattern: string, consumer: EventConsumer, options?: SubscribeOptions): () => void;
  setSamplingRate(pattern: string, rate: number): void;
  /** The configured rates by name or pattern; names not covered keep every event. */
  samplingRates(): Readonly<Record<string, number>>;
  stats(): EventBusStats;
  /**
   * Resolves once every queued event is delivered and every delivery has settled or timed
   * out. The timeout timers are unref()'d: they alone do not keep a process alive.
   */
  flush(): Promise<void>;
}

interface Subscription {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly consumer: EventConsumer;
  readonly timeoutMs: number;
  active: boolean;
  circuit: CircuitState;
  consecutiveFailures: number;
  openedAt: number;
  trialInFlight: boolean;
  inFlight: number;
  delivered: number;
  readonly failures: Record<ConsumerFailureKind, number>;
}

interface TokenBucket {
  readonly perSecond: number;
  readonly capacity: number;
  tokens: number;
  updatedAt: number;
}

/** How the bus treats one event name; resolved once per name. */
interface EventPolicy {
  readonly samplingRate: number;
  readonly bucket: TokenBucket | undefined;
  /** Increments `eventsEmitted` for this name without looking its labels up each time. */
  readonly countEmitted: (() => void) | undefined;
}

/** Label of events whose name is not valid (it cannot be a valid name itself). */
const INVALID_NAME = '(invalid)';
/** Per-name caches are cleared when they reach this size: an application may emit many distinct names. */
const NAME_CACHE_LIMIT = 1024;
const MAX_CONSUMER_NAME_LENGTH = 100;
const NO_FIELDS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * An in-process bus for telemetry events. emit() validates, samples, rate-limits and queues
 * in constant time; consumers get the events on a later turn of the event loop, each one
 * isolated from the others by a timeout and a small circuit breaker (closed → open for the
 * cool-down → half-open, where one trial event decides). Everything lives in the instance.
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const config: Readonly<EventBusConfig> = { ...DEFAULTS, ...definedOnly(options) };
  checkPositiveInteger('maxQueue', config.maxQueue);
  checkPositiveInteger('failureThreshold', config.failureThreshold);
  checkPositiveInteger('maxInFlight', config.maxInFlight);
  checkTimeout('consumerTimeoutMs', config.consumerTimeoutMs);
  if (!(Number.isFinite(config.coolDownMs) && config.coolDownMs >= 0)) {
    throw new TypeError(`eventBus: coolDownMs must be a non-negative number of milliseconds, got ${String(config.coolDownMs)}`);
  }
  const { maxQueue, consumerTimeoutMs, failureThreshold, coolDownMs, maxInFlight, now, random } = config;
  const { context, onConsumerFailure } = options;
  const redactor = options.redactor ?? createRedactor();

  const samplingTable = createPatternTable<number>();
  for (const [pattern, rate] of Object.entries(options.sampling ?? {})) {
    samplingTable.set(eventPattern('eventBus sampling', pattern), checkRate(pattern, rate));
  }
  const bucketTable = createPatternTable<TokenBucket>();
  for (const [pattern, perSecond] of Object.entries(options.rateLimits ?? {})) {
    if (typeof perSecond !== 'number' || !(Number.isFinite(perSecond) && perSecond > 0)) {
      throw new TypeError(`eventBus: rate limit of ${JSON.stringify(pattern)} must be a positive number of events per second, got ${String(perSecond)}`);
    }
    const capacity = Math.max(1, perSecond);
    bucketTable.set(eventPattern('eventBus rateLimits', pattern), { perSecond, capacity, tokens: capacity, updatedAt: now() });
  }

  const metrics = options.metrics === undefined ? undefined : {
    emitted: options.metrics.catalogued('eventsEmitted'),
    dropped: options.metrics.catalogued('eventsDropped'),
    failures: options.metrics.catalogued('eventConsumerFailures'),
    open: options.metrics.catalogued('eventConsumerOpen'),
  };

  const counts = {
    emitted: 0,
    dropped: { sampling: 0, rate_limit: 0, overflow: 0, invalid: 0 } satisfies Record<DropReason, number>,
    failures: zeroFailures(),
  };
  const subscriptions = new Map<string, Subscription>();
  const policies = new Map<string, EventPolicy>();
  const routes = new Map<string, readonly Subscription[]>();

  let pending: TelemetryEvent[] = [];
  let drainScheduled = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  // Consumers run in the async context the bus was created in, not in that of whichever
  // request happened to emit first: context.get() there must not name an unrelated request.
  const deliveryScope = new AsyncResource('sightline.eventBus');
  const drainInScope = (): void => deliveryScope.runInAsyncScope(drain);

  function policyOf(name: string): EventPolicy {
    let policy = policies.get(name);
    if (policy === undefined) {
      if (policies.size >= NAME_CACHE_LIMIT) policies.clear();
      const emitted = metrics?.emitted.labels({ event: name });
      policy = {
        samplingRate: samplingTable.resolve(name) ?? 1,
        bucket: bucketTable.resolve(name),
        countEmitted: emitted === undefined ? undefined : () => emitted.inc(),
      };
      policies.set(name, policy);
    }
    return policy;
  }

  function routeOf(name: string): readonly Subscription[] {
    let route = routes.get(name);
    if (route === undefined) {
      if (routes.size >= NAME_CACHE_LIMIT) routes.clear();
      route = [...subscriptions.values()].filter((subscription) => subscription.pattern.matches(name));
      routes.set(name, route);
    }
    return route;
  }

  function drop(name: string, reason: DropReason): void {
    counts.dropped[reason] += 1;
    metrics?.dropped.inc({ event: name, reason });
  }

  function takeToken(bucket: TokenBucket): boolean {
    const time = now();
    const elapsed = Math.max(0, time - bucket.updatedAt);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsed * bucket.perSecond) / 1000);
    bucket.updatedAt = time;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  function scheduleDrain(): void {
    if (drainScheduled) return;
    drainScheduled = true;
    // Not unref()'d: events queued just before the process would otherwise exit still go out.
    setImmediate(drainInScope);
  }

  function drain(): void {
    drainScheduled = false;
    // Events emitted by consumers wait for the next turn, so a consumer that emits what it
    // consumes cannot hold the event loop.
    const batch = pending;
    pending = [];
    for (const event of batch) {
      for (const subscription of routeOf(event.name)) {
        if (!subscription.active) continue;
        try {
          deliver(subscription, event);
        } catch {
          // Only the bus's own bookkeeping can get here; thrown from a setImmediate callback it would end the process.
        }
      }
    }
    if (pending.length > 0) scheduleDrain();
    else resolveIfIdle();
  }

  function deliver(subscription: Subscription, event: TelemetryEvent): void {
    if (subscription.circuit === 'open') {
      if (now() - subscription.openedAt < coolDownMs) {
        countFailure(subscription, 'circuit_open');
        return;
      }
      subscription.circuit = 'half_open';
    }
    if (subscription.circuit === 'half_open' && subscription.trialInFlight) {
      countFailure(subscription, 'circuit_open');
      return;
    }
    if (subscription.inFlight >= maxInFlight) {
      countFailure(subscription, 'overflow');
      return;
    }
    const trial = subscription.circuit === 'half_open';
    if (trial) subscription.trialInFlight = true;

    let result: unknown;
    try {
      result = subscription.consumer(event);
    } catch (error) {
      settle(subscription, trial, 'error', error);
      return;
    }
    if (!isThenable(result)) {
      settle(subscription, trial, undefined, undefined);
      return;
    }
    subscription.inFlight += 1;
    inFlight += 1;
    let finished = false;
    const finish = (failure: 'error' | 'timeout' | undefined, error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      subscription.inFlight -= 1;
      inFlight -= 1;
      try {
        settle(subscription, trial, failure, error);
      } catch {
        // Thrown here it would become an unhandled rejection, which ends the process.
      }
      resolveIfIdle();
    };
    const timer = setTimeout(() => finish('timeout'), subscription.timeoutMs);
    timer.unref();
    try {
      result.then(
        () => finish(undefined),
        (error: unknown) => finish('error', error),
      );
    } catch (error) {
      finish('error', error);
    }
  }

  function settle(subscription: Subscription, trial: boolean, failure: 'error' | 'timeout' | undefined, error: unknown): void {
    if (trial) subscription.trialInFlight = false;
    if (failure === undefined) {
      subscription.delivered += 1;
      subscription.consecutiveFailures = 0;
      // Only the trial closes the circuit: a delivery started before it opened proves little.
      if (trial) setCircuit(subscription, 'closed');
      return;
    }
    countFailure(subscription, failure);
    subscription.consecutiveFailures += 1;
    if (trial || (subscription.circuit === 'closed' && subscription.consecutiveFailures >= failureThreshold)) {
      subscription.openedAt = now();
      setCircuit(subscription, 'open');
    }
    if (onConsumerFailure !== undefined) {
      try {
        onConsumerFailure({ consumer: subscription.name, kind: failure, error, circuit: subscription.circuit });
      } catch {
        // A failing failure hook must not turn one consumer's problem into the bus's.
      }
    }
  }

  function countFailure(subscription: Subscription, kind: ConsumerFailureKind): void {
    subscription.failures[kind] += 1;
    counts.failures[kind] += 1;
    metrics?.failures.inc({ consumer: subscription.name, kind });
  }

  function setCircuit(subscription: Subscription, circuit: CircuitState): void {
    subscription.circuit = circuit;
    if (subscription.active) metrics?.open.set({ consumer: subscription.name }, circuit === 'closed' ? 0 : 1);
  }

  function resolveIfIdle(): void {
    if (pending.length > 0 || drainScheduled || inFlight > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function uniqueName(consumer: EventConsumer, requested: string | undefined): string {
    if (requested !== undefined) {
      if (typeof requested !== 'string' || requested.length === 0 || requested.length > MAX_CONSUMER_NAME_LENGTH) {
        throw new TypeError(`eventBus.subscribe: name must be a string of 1 to ${MAX_CONSUMER_NAME_LENGTH} characters, got ${JSON.stringify(requested)}`);
      }
      if (subscriptions.has(requested)) {
        throw new TypeError(`eventBus.subscribe: a consumer named ${JSON.stringify(requested)} is already subscribed; pass another name`);
      }
      return requested;
    }
    const base = (consumer.name || 'consumer').slice(0, MAX_CONSUMER_NAME_LENGTH - 8);
    let name = base;
    for (let n = 2; subscriptions.has(name); n += 1) name = `${base}_${n}`;
    return name;
  }

  return {
    emit(name, measurements = NO_FIELDS, metadata = NO_FIELDS) {
      try {
        // A name already in the policy cache was validated when it was added.
        if (!policies.has(name) && !isEventName(name)) {
          drop(INVALID_NAME, 'invalid');
          return;
        }
        const measured = copyMeasurements(measurements);
        if (measured === undefined || !isRecord(metadata)) {
          drop(name, 'invalid');
          return;
        }
        const policy = policyOf(name);
        if (policy.samplingRate < 1 && !(random() < policy.samplingRate)) {
          drop(name, 'sampling');
          return;
        }
        if (policy.bucket !== undefined && !takeToken(policy.bucket)) {
          drop(name, 'rate_limit');
          return;
        }
        if (pending.length >= maxQueue) {
          drop(name, 'overflow');
          return;
        }
        const request = context?.get();
        const event: TelemetryEvent = {
          name,
          time: new Date(now()).toISOString(),
          measurements: Object.freeze(measured),
          metadata: Object.freeze(redactor.fields(metadata)),
          ...(request === undefined ? undefined : idsOf(request.requestId, request.traceId, request.spanId)),
        };
        pending.push(Object.freeze(event));
        counts.emitted += 1;
        policy.countEmitted?.();
        scheduleDrain();
      } catch {
        drop(isEventName(name) ? name : INVALID_NAME, 'invalid');
      }
    },

    subscribe(patternSource, consumer, subscribeOptions = {}) {
      const pattern = eventPattern('eventBus.subscribe', patternSource);
      if (typeof consumer !== 'function') {
        throw new TypeError(`eventBus.subscribe: consumer must be a function, got ${typeof consumer}`);
      }
      const timeoutMs = subscribeOptions.timeoutMs ?? consumerTimeoutMs;
      checkTimeout('subscribe timeoutMs', timeoutMs);
      const subscription: Subscription = {
        name: uniqueName(consumer, subscribeOptions.name),
        pattern,
        consumer,
        timeoutMs,
        active: true,
        circuit: 'closed',
        consecutiveFailures: 0,
        openedAt: 0,
        trialInFlight: false,
        inFlight: 0,
        delivered: 0,
        failures: zeroFailures(),
      };
      subscriptions.set(subscription.name, subscription);
      routes.clear();
      metrics?.open.set({ consumer: subscription.name }, 0);
      return function unsubscribe() {
        if (!subscription.active) return;
        subscription.active = false;
        subscriptions.delete(subscription.name);
        routes.clear();
        metrics?.open.remove({ consumer: subscription.name });
      };
    },

    setSamplingRate(patternSource, rate) {
      const pattern = eventPattern('eventBus.setSamplingRate', patternSource);
      samplingTable.set(pattern, checkRate(patternSource, rate));
      policies.clear();
    },

    samplingRates() {
      return Object.fromEntries(samplingTable.entries());
    },

    stats() {
      const consumers: Record<string, ConsumerStats> = {};
      for (const subscription of subscriptions.values()) {
        consumers[subscription.name] = {
          pattern: subscription.pattern.source,
          circuit: subscription.circuit,
          delivered: subscription.delivered,
          inFlight: subscription.inFlight,
          failures: { ...subscription.failures },
        };
      }
      return {
        emitted: counts.emitted,
        queued: pending.length,
        dropped: { ...counts.dropped },
        consumerFailures: { ...counts.failures },
        consumers,
      };
    },

    flush() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        resolveIfIdle();
      });
    },
  };
}

function idsOf(requestId: string, traceId: string, spanId: string): Pick<TelemetryEvent, 'request_id' | 'trace_id' | 'span_id'> {
  const ids: { request_id?: string; trace_id?: string; span_id?: string } = { request_id: requestId };
  // Empty until a trace context is known; an empty id says nothing.
  if (traceId !== '') ids.trace_id = traceId;
  if (spanId !== '') ids.span_id = spanId;
  return ids;
}

/** A copy, or undefined when the input is not an object of finite numbers. */
function copyMeasurements(input: unknown): Record<string, number> | undefined {
  if (!isRecord(input)) return undefined;
  const copy: Record<string, number> = {};
  for (const key of Object.keys(input)) {
    const value = input[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
    else copy[key] = value;
  }
  return copy;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function zeroFailures(): Record<ConsumerFailureKind, number> {
  return { error: 0, timeout: 0, circuit_open: 0, overflow: 0 };
}

function checkRate(pattern: string, rate: unknown): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new TypeError(`eventBus: sampling rate of ${JSON.stringify(pattern)} must be a number from 0 to 1, got ${typeof rate === 'string' ? JSON.stringify(rate) : String(rate)}`);
  }
  return rate;
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`eventBus: ${name} must be a positive integer, got ${String(value)}`);
  }
}

function checkTimeout(name: string, value: unknown): void {
  // setTimeout treats more than 2^31-1 ms as 1 ms.
  if (typeof value !== 'number' || !(value >= 1 && value <= 2_147_483_647)) {
    throw new TypeError(`eventBus: ${name} must be a number of milliseconds from 1 to 2147483647, got ${String(value)}`);
  }
}

/** `{ ...DEFAULTS, ...options }` would let an explicit `undefined` erase a default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
