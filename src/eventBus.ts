import { createConsumerDelivery } from './consumerDelivery';
import { resolveEventBusConfig } from './eventBusConfig';
import { createEventBusCounters } from './eventBusCounters';
import type { EventBus, EventBusOptions, TelemetryEvent } from './eventBusTypes';
import { isEventName } from './eventPattern';
import { createEventPolicy } from './eventPolicy';
import { createEventQueue } from './eventQueue';
import { createSubscriptions } from './eventSubscriptions';
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

/** Label of events whose name is not valid (it cannot be a valid name itself). */
const INVALID_NAME = '(invalid)';
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
  const { consumerTimeoutMs, failureThreshold, coolDownMs, now, random } = config;
  const redactor = options.redactor ?? createRedactor();
  const policy = createEventPolicy({ sampling: options.sampling ?? {}, rateLimits: options.rateLimits ?? {}, now, random });
  const counters = createEventBusCounters(options.metrics);
  const makeEvent = createTelemetryEventMaker({ now, redactor, context: options.context });
  const subscriptions = createSubscriptions({ consumerTimeoutMs, failureThreshold, coolDownMs, now, counters });
  const queue = createEventQueue({ maxQueue: config.maxQueue, dispatch });
  const deliver = createConsumerDelivery({
    maxInFlight: config.maxInFlight,
    counters,
    deliveries: queue.deliveries,
    onConsumerFailure: options.onConsumerFailure,
  });

  function dispatch(event: TelemetryEvent): void {
    for (const subscription of subscriptions.routeOf(event.name)) {
      if (!subscription.active) continue;
      try {
        deliver(subscription, event);
      } catch {
        // Only the bus's own bookkeeping can get here; thrown from a setImmediate callback it would end the process.
      }
    }
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
        if (queue.isFull()) {
          counters.countDropped(name, 'overflow');
          return;
        }
        queue.push(makeEvent(name, measured, metadata));
        counters.countEmitted(name);
      } catch {
        counters.countDropped(isEventName(name) ? name : INVALID_NAME, 'invalid');
      }
    },
    subscribe: (pattern, consumer, subscribeOptions) => subscriptions.add(pattern, consumer, subscribeOptions),
    setSamplingRate: (pattern, rate) => policy.setSamplingRate(pattern, rate),
    samplingRates: () => policy.samplingRates(),
    stats() {
      const { emitted, dropped, consumerFailures } = counters.totals();
      return { emitted, queued: queue.size(), dropped, consumerFailures, consumers: subscriptions.stats() };
    },
    flush: () => queue.flush(),
  };
}
