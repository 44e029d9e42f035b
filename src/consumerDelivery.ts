import type { EventBusCounters } from './eventBusCounters';
import type { ConsumerFailure, ConsumerFailureKind, TelemetryEvent } from './eventBusTypes';
import type { DeliveryTracker } from './eventQueue';
import type { Subscription } from './eventSubscriptions';

/** What delivering to one consumer needs from its bus. */
export interface ConsumerDeliveryOptions {
  /** Unsettled deliveries per consumer; more are skipped (`overflow`). */
  readonly maxInFlight: number;
  readonly counters: EventBusCounters;
  readonly deliveries: DeliveryTracker;
  readonly onConsumerFailure: ((failure: ConsumerFailure) => void) | undefined;
}

/** Hands one event to one consumer. Consumer failures are counted, never thrown. */
export type DeliverToConsumer = (subscription: Subscription, event: TelemetryEvent) => void;

/**
 * Delivery guarded by the consumer's circuit, its in-flight cap and its timeout. A consumer
 * that returns no promise is settled at once, without a timer or a promise of the bus's own.
 */
export function createConsumerDelivery(options: ConsumerDeliveryOptions): DeliverToConsumer {
  const { maxInFlight, counters, deliveries, onConsumerFailure } = options;

  function countFailure(subscription: Subscription, kind: ConsumerFailureKind): void {
    subscription.failures[kind] += 1;
    counters.countConsumerFailure(subscription.name, kind);
  }

  function settle(subscription: Subscription, trial: boolean, failure: 'error' | 'timeout' | undefined, error: unknown): void {
    if (failure === undefined) {
      subscription.delivered += 1;
      subscription.circuit.succeeded(trial);
      return;
    }
    countFailure(subscription, failure);
    subscription.circuit.failed(trial);
    if (onConsumerFailure !== undefined) {
      try {
        onConsumerFailure({ consumer: subscription.name, kind: failure, error, circuit: subscription.circuit.state() });
      } catch {
        // A failing failure hook must not turn one consumer's problem into the bus's.
      }
    }
  }

  function awaitSettled(subscription: Subscription, trial: boolean, result: PromiseLike<unknown>): void {
    subscription.inFlight += 1;
    deliveries.started();
    let finished = false;
    const finish = (failure: 'error' | 'timeout' | undefined, error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      subscription.inFlight -= 1;
      try {
        settle(subscription, trial, failure, error);
      } catch {
        // Thrown here it would become an unhandled rejection, which ends the process.
      }
      deliveries.settled();
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

  return function deliverToConsumer(subscription, event) {
    if (subscription.circuit.refuses()) {
      countFailure(subscription, 'circuit_open');
      return;
    }
    if (subscription.inFlight >= maxInFlight) {
      countFailure(subscription, 'overflow');
      return;
    }
    const trial = subscription.circuit.begin();
    let result: unknown;
    try {
      result = subscription.consumer(event);
    } catch (error) {
      settle(subscription, trial, 'error', error);
      return;
    }
    if (isThenable(result)) awaitSettled(subscription, trial, result);
    else settle(subscription, trial, undefined, undefined);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
