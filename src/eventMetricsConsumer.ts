import type { EventConsumer, TelemetryEvent } from './eventBus';
import { poolOf, type CatalogueEventName } from './eventCatalogue';
import type { SightlineMetrics } from './metrics';

/**
 * Counts catalogue events in the catalogue metrics (`pool_saturations_total`,
 * `pool_request_duration_seconds`, …); other events are ignored. Subscribe it to `*`.
 */
export function createEventMetricsConsumer(metrics: SightlineMetrics): EventConsumer {
  const saturations = metrics.catalogued('poolSaturations');
  const workerStarts = metrics.catalogued('poolWorkerStarts');
  const workerCrashes = metrics.catalogued('poolWorkerCrashes');
  const requests = metrics.catalogued('poolRequests');
  const requestDuration = metrics.catalogued('poolRequestDuration');
  const sessionsCreated = metrics.catalogued('sessionsCreated');
  const sessionsCleaned = metrics.catalogued('sessionsCleaned');
  const errorRateExceeded = metrics.catalogued('errorRateExceeded');

  const handlers: Partial<Record<CatalogueEventName, (event: TelemetryEvent) => void>> = {
    'pool.saturated': (event) => saturations.inc({ pool: poolOf(event.metadata) }),
    'worker.started': (event) => workerStarts.inc({ pool: poolOf(event.metadata) }),
    'worker.crashed': (event) => workerCrashes.inc({ pool: poolOf(event.metadata) }),
    'request.completed': (event) => {
      const pool = poolOf(event.metadata);
      requests.inc({ pool, success: String(isSuccess(event.metadata.success)) });
      const durationMs = event.measurements.duration_ms;
      if (durationMs !== undefined && durationMs >= 0) requestDuration.observe({ pool }, durationMs / 1000);
    },
    'session.created': () => sessionsCreated.inc(),
    'session.cleanup': (event) => {
      const count = event.measurements.count;
      // A counter only goes up; prom-client throws on a negative increment.
      if (count !== undefined && count > 0) sessionsCleaned.inc(count);
    },
    'error_rate.exceeded': () => errorRateExceeded.inc(),
  };

  return function countEventMetrics(event) {
    if (Object.hasOwn(handlers, event.name)) handlers[event.name as CatalogueEventName]?.(event);
  };
}

function isSuccess(value: unknown): boolean {
  return value === true || value === 'true';
}
