import { AsyncResource } from 'node:async_hooks';
import { checkTimeout, resolveEventBusConfig } from './eventBusConfig';
import { createEventBusCounters, zeroFailures } from './eventBusCounters';
import type {
  CircuitState,
  ConsumerFailureKind,
  ConsumerStats,
  EventBus,
  EventBusOptions,
  EventConsumer,
  TelemetryEvent,
} from './eventBusTypes';
import { eventPattern, isEventName, type EventPattern } from './eventPattern';
import { createEventPolicy } from './eventPolicy';
import { createRedactor } from './redaction';
import { copyMeasurements, createTelemetryEventMaker, isRecord } from './telemetryEventMaker';

export type {
  CircuitState,
  ConsumerFailure,
  ConsumerFailureKind,
  ConsumerStats,
  DropReason,
  EventBus,
  EventBusOptions,
  EventBusStats,
  EventConsumer,
  SubscribeOptions,
  TelemetryEvent,
} from './eventBusTypes';

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

/** Label of events whose name is not valid (it cannot be a valid name itself). */
const INVALID_NAME = '(invalid)';
/** Routes are cleared when they reach this size: an application may emit many distinct names. */
const NAME_CACHE_LIMIT = 1024;
const MAX_CONSUMER_NAME_LENGTH = 100;
const NO_FIELDS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * An in-process bus for telemetry events. emit() validates, applies the policy (sampling and
 * rate limits) and queues in constant time; consumers get the events on a later turn of the
 * event loop, each one isolated from the others by a timeout and a small circuit breaker
 * (closed → open for the cool-down → half-open, where one trial event decides). Everything
 * lives in the instance.
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const config = resolveEventBusConfig(options);
  const { maxQueue, consumerTimeoutMs, failureThreshold, coolDownMs, maxInFlight, now, random } = config;
  const { context, onConsumerFailure } = options;
  const redactor = options.redactor ?? createRedactor();
  const policy = createEventPolicy({ sampling: options.sampling ?? {}, rateLimits: options.rateLimits ?? {}, now, random });
  const counters = createEventBusCounters(options.metrics);
  const makeEvent = createTelemetryEventMaker({ now, redactor, context });
  const subscriptions = new Map<string, Subscription>();
  const routes = new Map<string, readonly Subscription[]>();

  let pending: TelemetryEvent[] = [];
  let drainScheduled = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  // Consumers run in the async context the bus was created in, not in that of whichever
  // request happened to emit first: context.get() there must not name an unrelated request.
  const deliveryScope = new AsyncResource('sightline.eventBus');
  const drainInScope = (): void => deliveryScope.runInAsyncScope(drain);

  function routeOf(name: string): readonly Subscription[] {
    let route = routes.get(name);
    if (route === undefined) {
      if (routes.size >= NAME_CACHE_LIMIT) routes.clear();
      route = [...subscriptions.values()].filter((subscription) => subscription.pattern.matches(name));
      routes.set(name, route);
    }
    return route;
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
    counters.countConsumerFailure(subscription.name, kind);
  }

  function setCircuit(subscription: Subscription, circuit: CircuitState): void {
    subscription.circuit = circuit;
    if (subscription.active) counters.showCircuit(subscription.name, circuit);
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
        const rules = policy.rulesFor(name);
        if (rules === undefined) {
          counters.countDropped(INVALID_NAME, 'invalid');
          return;
        }
        const measured = copyMeasurements(measurements);
        if (measured === undefined || !isRecord(metadata)) {
          counters.countDropped(name, 'invalid');
          return;
        }
        const refusal = policy.refusal(rules);
        if (refusal !== undefined) {
          counters.countDropped(name, refusal);
          return;
        }
        if (pending.length >= maxQueue) {
          counters.countDropped(name, 'overflow');
          return;
        }
        pending.push(makeEvent(name, measured, metadata));
        counters.countEmitted(name);
        scheduleDrain();
      } catch {
        counters.countDropped(isEventName(name) ? name : INVALID_NAME, 'invalid');
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
      counters.showCircuit(subscription.name, 'closed');
      return function unsubscribe() {
        if (!subscription.active) return;
        subscription.active = false;
        subscriptions.delete(subscription.name);
        routes.clear();
        counters.forgetConsumer(subscription.name);
      };
    },

    setSamplingRate: (pattern, rate) => policy.setSamplingRate(pattern, rate),
    samplingRates: () => policy.samplingRates(),

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
      const { emitted, dropped, consumerFailures } = counters.totals();
      return { emitted, queued: pending.length, dropped, consumerFailures, consumers };
    },

    flush() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        resolveIfIdle();
      });
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
