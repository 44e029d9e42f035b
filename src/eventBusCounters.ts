import type { CircuitState, ConsumerFailureKind, DropReason, EventBusStats } from './eventBusTypes';
import type { SightlineMetrics } from './metrics';

/** The bus's own tallies and, when it has metrics, the catalogue metrics that mirror them. */
export interface EventBusCounters {
  countEmitted(name: string): void;
  countDropped(name: string, reason: DropReason): void;
  countConsumerFailure(consumer: string, kind: ConsumerFailureKind): void;
  /** Sets the consumer's `circuit_open` gauge (creating it at 0 for a new consumer). */
  showCircuit(consumer: string, circuit: CircuitState): void;
  /** Removes the consumer's gauge: an unsubscribed consumer leaves no series behind. */
  forgetConsumer(consumer: string): void;
  totals(): Pick<EventBusStats, 'emitted' | 'dropped' | 'consumerFailures'>;
}

/** Per-name counter handles are cleared when they reach this size: an application may emit many distinct names. */
const NAME_CACHE_LIMIT = 1024;

/** Zero failures of each kind, to count into. */
export function zeroFailures(): Record<ConsumerFailureKind, number> {
  return { error: 0, timeout: 0, circuit_open: 0, overflow: 0 };
}

/** Counters for one bus; `metrics` undefined keeps only the tallies that `stats()` reports. */
export function createEventBusCounters(sightlineMetrics: SightlineMetrics | undefined): EventBusCounters {
  const metrics = sightlineMetrics === undefined ? undefined : {
    emitted: sightlineMetrics.catalogued('eventsEmitted'),
    dropped: sightlineMetrics.catalogued('eventsDropped'),
    failures: sightlineMetrics.catalogued('eventConsumerFailures'),
    open: sightlineMetrics.catalogued('eventConsumerOpen'),
  };
  let emitted = 0;
  const dropped: Record<DropReason, number> = { sampling: 0, rate_limit: 0, overflow: 0, invalid: 0 };
  const failures = zeroFailures();
  // Looking the labels up once per name keeps prom-client's label hashing off the emit path.
  const emittedByName = new Map<string, { inc(): void }>();

  return {
    countEmitted(name) {
      emitted += 1;
      if (metrics === undefined) return;
      let counter = emittedByName.get(name);
      if (counter === undefined) {
        if (emittedByName.size >= NAME_CACHE_LIMIT) emittedByName.clear();
        counter = metrics.emitted.labels({ event: name });
        emittedByName.set(name, counter);
      }
      counter.inc();
    },
    countDropped(name, reason) {
      dropped[reason] += 1;
      metrics?.dropped.inc({ event: name, reason });
    },
    countConsumerFailure(consumer, kind) {
      failures[kind] += 1;
      metrics?.failures.inc({ consumer, kind });
    },
    showCircuit(consumer, circuit) {
      metrics?.open.set({ consumer }, circuit === 'closed' ? 0 : 1);
    },
    forgetConsumer(consumer) {
      metrics?.open.remove({ consumer });
    },
    totals() {
      return { emitted, dropped: { ...dropped }, consumerFailures: { ...failures } };
    },
  };
}
