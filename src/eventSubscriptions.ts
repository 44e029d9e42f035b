import { createConsumerCircuit, type ConsumerCircuit } from './consumerCircuit';
import { checkTimeout } from './eventBusConfig';
import { zeroFailures, type EventBusCounters } from './eventBusCounters';
import type { ConsumerFailureKind, ConsumerStats, EventConsumer, SubscribeOptions } from './eventBusTypes';
import { eventPattern, type EventPattern } from './eventPattern';

/** One consumer on the bus, with its breaker and its counts. */
export interface Subscription {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly consumer: EventConsumer;
  readonly timeoutMs: number;
  readonly circuit: ConsumerCircuit;
  /** False once unsubscribed: events already queued no longer reach it. */
  active: boolean;
  inFlight: number;
  delivered: number;
  readonly failures: Record<ConsumerFailureKind, number>;
}

/** What every subscription on one bus shares. */
export interface SubscriptionsOptions {
  /** When `SubscribeOptions.timeoutMs` is not given. */
  readonly consumerTimeoutMs: number;
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly now: () => number;
  readonly counters: EventBusCounters;
}

/** The consumers of one bus, and which of them each event name reaches. */
export interface Subscriptions {
  /** Throws, quoting it, on a bad pattern, consumer, timeout or name. Returns the idempotent unsubscribe. */
  add(pattern: string, consumer: EventConsumer, options?: SubscribeOptions): () => void;
  /** The subscriptions whose pattern matches `name`, in the order they were added. */
  routeOf(name: string): readonly Subscription[];
  stats(): Record<string, ConsumerStats>;
}

/** Routes are cleared when they reach this size: an application may emit many distinct names. */
const NAME_CACHE_LIMIT = 1024;
const MAX_CONSUMER_NAME_LENGTH = 100;

/** The registry of a bus's consumers, with a route per event name cached until the next (un)subscribe. */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { consumerTimeoutMs, failureThreshold, coolDownMs, now, counters } = options;
  const byName = new Map<string, Subscription>();
  const routes = new Map<string, readonly Subscription[]>();

  return {
    add(patternSource, consumer, subscribeOptions = {}) {
      const pattern = eventPattern('eventBus.subscribe', patternSource);
      if (typeof consumer !== 'function') {
        throw new TypeError(`eventBus.subscribe: consumer must be a function, got ${typeof consumer}`);
      }
      const timeoutMs = subscribeOptions.timeoutMs ?? consumerTimeoutMs;
      checkTimeout('subscribe timeoutMs', timeoutMs);
      const name = uniqueName(consumer, subscribeOptions.name, byName);
      const subscription: Subscription = {
        name,
        pattern,
        consumer,
        timeoutMs,
        circuit: createConsumerCircuit({
          failureThreshold,
          coolDownMs,
          now,
          onChange: (state) => {
            if (subscription.active) counters.showCircuit(name, state);
          },
        }),
        active: true,
        inFlight: 0,
        delivered: 0,
        failures: zeroFailures(),
      };
      byName.set(name, subscription);
      routes.clear();
      counters.showCircuit(name, 'closed');
      return function unsubscribe() {
        if (!subscription.active) return;
        subscription.active = false;
        byName.delete(name);
        routes.clear();
        counters.forgetConsumer(name);
      };
    },

    routeOf(name) {
      let route = routes.get(name);
      if (route === undefined) {
        if (routes.size >= NAME_CACHE_LIMIT) routes.clear();
        route = [...byName.values()].filter((subscription) => subscription.pattern.matches(name));
        routes.set(name, route);
      }
      return route;
    },

    stats() {
      const consumers: Record<string, ConsumerStats> = {};
      for (const subscription of byName.values()) {
        consumers[subscription.name] = {
          pattern: subscription.pattern.source,
          circuit: subscription.circuit.state(),
          delivered: subscription.delivered,
          inFlight: subscription.inFlight,
          failures: { ...subscription.failures },
        };
      }
      return consumers;
    },
  };
}

/** The requested name, checked and free; else the function's name, made unique with `_2`, `_3`… */
function uniqueName(consumer: EventConsumer, requested: string | undefined, taken: ReadonlyMap<string, unknown>): string {
  if (requested !== undefined) {
    if (typeof requested !== 'string' || requested.length === 0 || requested.length > MAX_CONSUMER_NAME_LENGTH) {
      throw new TypeError(`eventBus.subscribe: name must be a string of 1 to ${MAX_CONSUMER_NAME_LENGTH} characters, got ${JSON.stringify(requested)}`);
    }
    if (taken.has(requested)) {
      throw new TypeError(`eventBus.subscribe: a consumer named ${JSON.stringify(requested)} is already subscribed; pass another name`);
    }
    return requested;
  }
  const base = (consumer.name || 'consumer').slice(0, MAX_CONSUMER_NAME_LENGTH - 8);
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base}_${n}`;
  return name;
}
