import { createEventBus, type TelemetryEvent } from '../../src/eventBus';
import { EVENT_CATALOGUE, type CatalogueEventName } from '../../src/eventCatalogue';
import { createEventMetricsConsumer } from '../../src/eventMetricsConsumer';
import { METRIC_CATALOGUE } from '../../src/metricCatalogue';
import { createMetrics, type SightlineMetrics } from '../../src/metrics';
import { metricValue } from '../../src/testing';

function event(name: string, measurements: Record<string, number> = {}, metadata: Record<string, unknown> = {}): TelemetryEvent {
  return { name, time: '2025-01-01T00:00:00.000Z', measurements, metadata };
}

function setup(): { metrics: SightlineMetrics; consume: (event: TelemetryEvent) => void } {
  const metrics = createMetrics({ processMetrics: false });
  return { metrics, consume: createEventMetricsConsumer(metrics) as (event: TelemetryEvent) => void };
}

/** A counter's total, or a histogram's observation count. */
async function total(metrics: SightlineMetrics, key: keyof typeof METRIC_CATALOGUE): Promise<number | undefined> {
  const definition = METRIC_CATALOGUE[key];
  const name = definition.type === 'histogram' ? `${definition.name}_count` : definition.name;
  return metricValue(metrics.registry, name);
}

describe('createEventMetricsConsumer', () => {
  it.each(Object.keys(EVENT_CATALOGUE) as CatalogueEventName[])('updates the metrics the catalogue lists for %s', async (name) => {
    const { metrics, consume } = setup();
    const definition = EVENT_CATALOGUE[name];
    const measurements = Object.fromEntries(definition.measurements.map((field) => [field, 2]));
    consume(event(name, measurements, { pool: 'render', success: true }));
    for (const key of definition.metrics) expect(await total(metrics, key)).toBeGreaterThan(0);
  });

  it('labels pool events with metadata.pool, or default', async () => {
    const { metrics, consume } = setup();
    consume(event('pool.saturated', { queue_size: 3 }, { pool: 'render' }));
    consume(event('worker.started', {}, { pool: 'render' }));
    consume(event('worker.crashed', { exit_code: 1 }, {}));
    consume(event('worker.crashed', { exit_code: 1 }, { pool: 42 }));
    expect(await metricValue(metrics.registry, 'pool_saturations_total', { pool: 'render' })).toBe(1);
    expect(await metricValue(metrics.registry, 'pool_worker_starts_total', { pool: 'render' })).toBe(1);
    expect(await metricValue(metrics.registry, 'pool_worker_crashes_total', { pool: 'default' })).toBe(2);
  });

  it('counts completed requests by success and records their duration in seconds', async () => {
    const { metrics, consume } = setup();
    consume(event('request.completed', { duration_ms: 250 }, { pool: 'p', success: true }));
    consume(event('request.completed', { duration_ms: 750 }, { pool: 'p', success: false }));
    consume(event('request.completed', {}, { pool: 'p', success: 'true' }));
    expect(await metricValue(metrics.registry, 'pool_requests_total', { pool: 'p', success: 'true' })).toBe(2);
    expect(await metricValue(metrics.registry, 'pool_requests_total', { pool: 'p', success: 'false' })).toBe(1);
    expect(await metricValue(metrics.registry, 'pool_request_duration_seconds_sum', { pool: 'p' })).toBeCloseTo(1.0);
    expect(await metricValue(metrics.registry, 'pool_request_duration_seconds_count', { pool: 'p' })).toBe(2);
    expect(await metricValue(metrics.registry, 'pool_request_duration_seconds_bucket', { pool: 'p', le: 0.25 })).toBe(1);
  });

  it('adds the count of cleaned sessions, ignoring a negative one, and counts created sessions and error-rate alerts', async () => {
    const { metrics, consume } = setup();
    consume(event('session.cleanup', { count: 4, duration_ms: 3 }));
    consume(event('session.cleanup', { count: -2 }));
    consume(event('session.created', { ttl_s: 60 }));
    consume(event('error_rate.exceeded', { rate: 0.5 }));
    expect(await metricValue(metrics.registry, 'sessions_cleaned_total')).toBe(4);
    expect(await metricValue(metrics.registry, 'sessions_created_total')).toBe(1);
    expect(await metricValue(metrics.registry, 'sightline_error_rate_exceeded_total')).toBe(1);
  });

  it('ignores events outside the catalogue, including names of Object.prototype', async () => {
    const { metrics, consume } = setup();
    expect(() => {
      consume(event('app.custom'));
      consume(event('constructor'));
      consume(event('__proto__'));
    }).not.toThrow();
    expect(await metricValue(metrics.registry, 'pool_saturations_total')).toBe(0);
  });

  it('on a bus with a metrics prefix', async () => {
    const metrics = createMetrics({ processMetrics: false, prefix: 'svc_' });
    const bus = createEventBus({ metrics });
    bus.subscribe('*', createEventMetricsConsumer(metrics), { name: 'metrics' });
    bus.emit('pool.saturated', { queue_size: 1, available_workers: 0 }, { pool: 'render' });
    await bus.flush();
    expect(await metricValue(metrics.registry, 'svc_pool_saturations_total', { pool: 'render' })).toBe(1);
    expect(await metricValue(metrics.registry, 'svc_sightline_events_emitted_total', { event: 'pool.saturated' })).toBe(1);
  });
});
