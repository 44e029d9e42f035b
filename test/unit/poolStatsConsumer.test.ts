import { createEventBus, type TelemetryEvent } from '../../src/eventBus';
import { createPoolStats } from '../../src/poolStatsConsumer';

function event(name: string, second: number, measurements: Record<string, number> = {}, metadata: Record<string, unknown> = {}): TelemetryEvent {
  return { name, time: new Date(Date.UTC(2025, 0, 1, 0, 0, second)).toISOString(), measurements, metadata };
}

describe('createPoolStats', () => {
  it('keeps per-pool figures from pool, worker and request events', () => {
    const stats = createPoolStats();
    const feed = [
      event('pool.started', 1, { startup_ms: 120 }, { pool: 'render', config: { size: 4 } }),
      event('worker.started', 2, { startup_ms: 30 }, { pool: 'render', worker_id: 1, pid: 1234 }),
      event('worker.started', 2, { startup_ms: 31 }, { pool: 'render', worker_id: 2, pid: 1235 }),
      event('worker.crashed', 3, { exit_code: 137 }, { pool: 'render', worker_id: 2, signal: 'SIGKILL', error: 'out of memory', stack: 'Error: out of memory\n at x' }),
      event('pool.saturated', 4, { queue_size: 9, available_workers: 0 }, { pool: 'render' }),
      event('request.started', 5, {}, { pool: 'render', correlation_id: 'c1' }),
      event('request.completed', 5, { duration_ms: 10 }, { pool: 'render', success: true }),
      event('request.completed', 6, { duration_ms: 10 }, { pool: 'render', success: false }),
      event('request.completed', 7, { duration_ms: 10 }, { success: 'true' }),
      event('session.created', 8, { ttl_s: 60 }, { pool: 'render' }),
    ];
    for (const e of feed) stats.consumer(e);
    expect(stats.pools()).toEqual({
      render: {
        started_at: '2025-01-01T00:00:01.000Z',
        startup_ms: 120,
        workers_started: 2,
        workers_crashed: 1,
        last_crash: { time: '2025-01-01T00:00:03.000Z', worker_id: 2, exit_code: 137, signal: 'SIGKILL' },
        saturations: 1,
        last_saturation: { time: '2025-01-01T00:00:04.000Z', queue_size: 9, available_workers: 0 },
        requests_succeeded: 1,
        requests_failed: 1,
        last_seen: '2025-01-01T00:00:06.000Z',
      },
      default: expect.objectContaining({ requests_succeeded: 1, requests_failed: 0, started_at: null, last_crash: null }),
    });
    expect(JSON.stringify(stats.pools())).not.toContain('out of memory');
  });

  it('answers a copy: changing it does not change the figures', () => {
    const stats = createPoolStats();
    stats.consumer(event('pool.saturated', 1, { queue_size: 1 }, { pool: 'p' }));
    const first = stats.pools() as Record<string, { saturations: number; last_saturation: { queue_size: number } }>;
    (first.p as { saturations: number }).saturations = 99;
    (first.p as { last_saturation: { queue_size: number } }).last_saturation.queue_size = 99;
    expect(stats.pools().p).toMatchObject({ saturations: 1, last_saturation: { queue_size: 1 } });
  });

  it('tracks at most maxPools pools and keeps a pool named __proto__ as a pool', () => {
    const stats = createPoolStats({ maxPools: 2 });
    stats.consumer(event('worker.started', 1, {}, { pool: '__proto__' }));
    stats.consumer(event('worker.started', 1, {}, { pool: 'b' }));
    stats.consumer(event('worker.started', 1, {}, { pool: 'c' }));
    const pools = stats.pools();
    expect(Object.keys(pools)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(pools)).toBe(Object.prototype);
    expect(() => createPoolStats({ maxPools: 0 })).toThrow(/maxPools must be a positive integer, got 0/);
  });

  it('on a bus: figures from delivered events, separate per tracker', async () => {
    const bus = createEventBus();
    const a = createPoolStats();
    const b = createPoolStats();
    bus.subscribe('*', a.consumer, { name: 'a' });
    bus.subscribe('worker.*', b.consumer, { name: 'b' });
    bus.emit('pool.saturated', { queue_size: 2, available_workers: 0 }, { pool: 'render' });
    bus.emit('worker.crashed', { exit_code: 1 }, { pool: 'render', signal: null });
    await bus.flush();
    expect(a.pools().render).toMatchObject({ saturations: 1, workers_crashed: 1, last_crash: { signal: null, exit_code: 1 } });
    expect(b.pools().render).toMatchObject({ saturations: 0, workers_crashed: 1 });
  });
});
