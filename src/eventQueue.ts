import { AsyncResource } from 'node:async_hooks';
import type { TelemetryEvent } from './eventBusTypes';

/** Counts the asynchronous deliveries that `flush()` waits for. */
export interface DeliveryTracker {
  started(): void;
  settled(): void;
}

/** Events accepted by the bus and waiting for their turn of the event loop. */
export interface EventQueue {
  isFull(): boolean;
  size(): number;
  /** Queues an event (check `isFull()` first) and schedules delivery on a later turn. */
  push(event: TelemetryEvent): void;
  readonly deliveries: DeliveryTracker;
  /** Resolves once the queue is empty and no delivery is in flight. */
  flush(): Promise<void>;
}

/** How big the queue may get, and what hands one event to its consumers. */
export interface EventQueueOptions {
  readonly maxQueue: number;
  /** Must not throw: a throw from a setImmediate callback ends the process. */
  readonly dispatch: (event: TelemetryEvent) => void;
}

/** A bounded queue drained on setImmediate, in the async context the queue was created in. */
export function createEventQueue(options: EventQueueOptions): EventQueue {
  const { maxQueue, dispatch } = options;
  let pending: TelemetryEvent[] = [];
  let drainScheduled = false;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  // Consumers run in the async context the bus was created in, not in that of whichever
  // request happened to emit first: context.get() there must not name an unrelated request.
  const deliveryScope = new AsyncResource('sightline.eventBus');
  const drainInScope = (): void => deliveryScope.runInAsyncScope(drain);

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
    for (const event of batch) dispatch(event);
    if (pending.length > 0) scheduleDrain();
    else resolveIfIdle();
  }

  function resolveIfIdle(): void {
    if (pending.length > 0 || drainScheduled || inFlight > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  return {
    isFull: () => pending.length >= maxQueue,
    size: () => pending.length,
    push(event) {
      pending.push(event);
      scheduleDrain();
    },
    deliveries: {
      started() {
        inFlight += 1;
      },
      settled() {
        inFlight -= 1;
        resolveIfIdle();
      },
    },
    flush() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        resolveIfIdle();
      });
    },
  };
}
