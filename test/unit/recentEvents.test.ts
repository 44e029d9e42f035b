import { createEventBus, type TelemetryEvent } from '../../src/eventBus';
import { createRecentEvents } from '../../src/recentEvents';

function event(name: string, n = 0): TelemetryEvent {
  return { name, time: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(), measurements: { n }, metadata: {} };
}

describe('createRecentEvents', () => {
  it('lists newest first and forgets the oldest beyond its capacity', () => {
    const recent = createRecentEvents({ capacity: 3 });
    for (let n = 1; n <= 5; n += 1) recent.consumer(event('pool.saturated', n));
    expect(recent.list().map((e) => e.measurements.n)).toEqual([5, 4, 3]);
  });

  it('keeps 200 by default', () => {
    const recent = createRecentEvents();
    for (let n = 0; n < 250; n += 1) recent.consumer(event('a.b', n));
    expect(recent.capacity).toBe(200);
    expect(recent.list()).toHaveLength(200);
    expect(recent.list()[199]?.measurements.n).toBe(50);
  });

  it('limits and filters by name or pattern', () => {
    const recent = createRecentEvents({ capacity: 10 });
    const names = ['pool.started', 'worker.started', 'pool.saturated', 'worker.crashed', 'pool.saturated'];
    names.forEach((name, n) => recent.consumer(event(name, n)));
    expect(recent.list({ limit: 2 }).map((e) => e.name)).toEqual(['pool.saturated', 'worker.crashed']);
    expect(recent.list({ name: 'pool.*' }).map((e) => e.measurements.n)).toEqual([4, 2, 0]);
    expect(recent.list({ name: 'pool.*', limit: 1 }).map((e) => e.measurements.n)).toEqual([4]);
    expect(recent.list({ name: '*.started' }).map((e) => e.name)).toEqual(['worker.started', 'pool.started']);
    expect(recent.list({ name: 'worker.crashed' })).toHaveLength(1);
    expect(recent.list({ limit: 0 })).toEqual([]);
  });

  it('answers nothing for a name filter that is not a valid pattern, instead of throwing', () => {
    const recent = createRecentEvents();
    recent.consumer(event('pool.started'));
    expect(recent.list({ name: 'Pool.Started' })).toEqual([]);
    expect(recent.list({ name: '../etc' })).toEqual([]);
  });

  it('refuses a bad capacity or limit, quoting it', () => {
    expect(() => createRecentEvents({ capacity: 0 })).toThrow(/capacity must be a positive integer, got 0/);
    expect(() => createRecentEvents({ capacity: 2.5 })).toThrow(/got 2\.5/);
    expect(() => createRecentEvents().list({ limit: -1 })).toThrow(/limit must be a non-negative integer, got -1/);
  });

  it('keeps what a bus delivers, and two buffers are independent', async () => {
    const bus = createEventBus();
    const a = createRecentEvents({ capacity: 5 });
    const b = createRecentEvents({ capacity: 5 });
    bus.subscribe('pool.*', a.consumer, { name: 'a' });
    bus.subscribe('worker.*', b.consumer, { name: 'b' });
    bus.emit('pool.saturated', { queue_size: 4 }, { pool: 'render' });
    bus.emit('worker.started');
    await bus.flush();
    expect(a.list()).toEqual([expect.objectContaining({ name: 'pool.saturated', measurements: { queue_size: 4 }, metadata: { pool: 'render' } })]);
    expect(b.list().map((e) => e.name)).toEqual(['worker.started']);
  });
});
