import { createContextStore, createRequestContext, type RequestContext } from '../../src/context';
import { createEventBus, type EventBusOptions, type TelemetryEvent } from '../../src/eventBus';
import { createMetrics, type SightlineMetrics } from '../../src/metrics';
import { metricValue } from '../../src/testing';

/** mulberry32: the same seed gives the same sequence, so the statistics below are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function manualClock(start = Date.UTC(2025, 0, 1)) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

function busWithMetrics(options: EventBusOptions = {}) {
  const metrics = createMetrics({ processMetrics: false });
  const bus = createEventBus({ metrics, ...options });
  return { bus, metrics };
}

/** A consumer that remembers what it was given. */
function recorder() {
  const events: TelemetryEvent[] = [];
  const consume = (event: TelemetryEvent): void => void events.push(event);
  return { events, consume, names: () => events.map((event) => event.name) };
}

const never = (): Promise<void> => new Promise<void>(() => undefined);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function failures(metrics: SightlineMetrics, consumer: string, kind: string): Promise<number | undefined> {
  return metricValue(metrics.registry, 'sightline_event_consumer_failures_total', { consumer, kind });
}

function dropped(metrics: SightlineMetrics, event: string, reason: string): Promise<number | undefined> {
  return metricValue(metrics.registry, 'sightline_events_dropped_total', { event, reason });
}

function circuitOpen(metrics: SightlineMetrics, consumer: string): Promise<number | undefined> {
  return metricValue(metrics.registry, 'sightline_event_consumer_circuit_open', { consumer });
}

describe('createEventBus: routing', () => {
  it('builds the event from the clock, the measurements and the metadata', async () => {
    const clock = manualClock(Date.UTC(2025, 4, 6, 7, 8, 9, 10));
    const bus = createEventBus({ now: clock.now });
    const seen = recorder();
    bus.subscribe('pool.saturated', seen.consume);
    bus.emit('pool.saturated', { queue_size: 12, available_workers: 0 }, { pool: 'render' });
    await bus.flush();
    expect(seen.events).toEqual([
      { name: 'pool.saturated', time: '2025-05-06T07:08:09.010Z', measurements: { queue_size: 12, available_workers: 0 }, metadata: { pool: 'render' } },
    ]);
    expect(Object.isFrozen(seen.events[0])).toBe(true);
  });

  it('gives each consumer the events its pattern matches, and only those', async () => {
    const bus = createEventBus();
    const exact = recorder();
    const everything = recorder();
    const pool = recorder();
    const crashed = recorder();
    const middle = recorder();
    bus.subscribe('worker.started', exact.consume, { name: 'exact' });
    bus.subscribe('*', everything.consume, { name: 'everything' });
    bus.subscribe('pool.*', pool.consume, { name: 'pool' });
    bus.subscribe('*.crashed', crashed.consume, { name: 'crashed' });
    bus.subscribe('app.*.failed', middle.consume, { name: 'middle' });

    const names = ['worker.started', 'worker.crashed', 'pool.saturated', 'pool.render.saturated', 'pool', 'app.job.failed', 'app.a.b.failed', 'custom'];
    for (const name of names) bus.emit(name);
    await bus.flush();

    expect(exact.names()).toEqual(['worker.started']);
    expect(everything.names()).toEqual(names);
    expect(pool.names()).toEqual(['pool.saturated', 'pool.render.saturated']);
    expect(crashed.names()).toEqual(['worker.crashed']);
    expect(middle.names()).toEqual(['app.job.failed']);
  });

  it('returns from emit before any consumer runs', async () => {
    const bus = createEventBus();
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    bus.emit('pool.started', { startup_ms: 5 });
    expect(seen.events).toEqual([]);
    await bus.flush();
    expect(seen.names()).toEqual(['pool.started']);
  });

  it('copies measurements at emit time: later changes by the caller do not reach consumers', async () => {
    const bus = createEventBus();
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    const measurements = { queue_size: 1 };
    const metadata = { pool: 'a' };
    bus.emit('pool.saturated', measurements, metadata);
    measurements.queue_size = 99;
    metadata.pool = 'b';
    await bus.flush();
    expect(seen.events[0]?.measurements).toEqual({ queue_size: 1 });
    expect(seen.events[0]?.metadata).toEqual({ pool: 'a' });
  });

  it('stops delivering after unsubscribe, removes the consumer gauge and frees the name', async () => {
    const { bus, metrics } = busWithMetrics();
    const seen = recorder();
    const unsubscribe = bus.subscribe('*', seen.consume, { name: 'audit' });
    expect(await circuitOpen(metrics, 'audit')).toBe(0);
    bus.emit('a.one');
    await bus.flush();
    unsubscribe();
    unsubscribe();
    bus.emit('a.two');
    await bus.flush();
    expect(seen.names()).toEqual(['a.one']);
    const series = (await metrics.registry.getSingleMetric('sightline_event_consumer_circuit_open')?.get())?.values ?? [];
    expect(series.filter((sample) => sample.labels.consumer === 'audit')).toEqual([]);
    expect(() => bus.subscribe('*', seen.consume, { name: 'audit' })).not.toThrow();
  });

  it('names consumers after their function, made unique, and refuses a duplicate explicit name', () => {
    const bus = createEventBus();
    function audit(): void {}
    bus.subscribe('*', audit);
    bus.subscribe('*', audit);
    bus.subscribe('*', () => undefined);
    expect(Object.keys(bus.stats().consumers)).toEqual(['audit', 'audit_2', 'consumer']);
    expect(() => bus.subscribe('*', audit, { name: 'audit' })).toThrow(/"audit" is already subscribed/);
  });

  it('refuses bad patterns at subscribe, quoting them', () => {
    const bus = createEventBus();
    for (const pattern of ['Pool.started', 'pool..x', 'pool.*x', '', 'pool started']) {
      expect(() => bus.subscribe(pattern, () => undefined)).toThrow(new RegExp(`${JSON.stringify(pattern).replace(/[.*]/g, '\\$&')} is not an event name or pattern`));
    }
  });

  it('delivers events that consumers emit on a later turn, so a consumer feeding itself cannot hold the event loop', async () => {
    const bus = createEventBus();
    let loops = 0;
    const unsubscribe = bus.subscribe('loop', () => {
      loops += 1;
      bus.emit('loop');
    });
    bus.emit('loop');
    expect(loops).toBe(0);
    // Timers keep firing while the consumer keeps emitting forever: each emit is delivered on its own turn.
    let timerTurns = 0;
    while (loops < 5 && timerTurns < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      timerTurns += 1;
    }
    unsubscribe();
    expect(loops).toBeGreaterThanOrEqual(5);
    expect(timerTurns).toBeGreaterThanOrEqual(1);
    await bus.flush();
  });
});

describe('createEventBus: validation', () => {
  it('drops and counts a bad name, a non-finite measurement and non-object metadata, without throwing', async () => {
    const { bus, metrics } = busWithMetrics();
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    const emitAny = bus.emit as (...args: unknown[]) => void;
    expect(() => {
      emitAny('Bad Name');
      emitAny('pool..saturated');
      emitAny(42);
      emitAny('x'.repeat(200));
      emitAny('pool.saturated', { queue_size: Number.NaN });
      emitAny('pool.saturated', { queue_size: Infinity });
      emitAny('pool.saturated', { queue_size: '3' });
      emitAny('pool.saturated', null);
      emitAny('pool.saturated', {}, 'not an object');
      emitAny('pool.saturated', {}, [1, 2]);
    }).not.toThrow();
    bus.emit('pool.saturated', { queue_size: 3 });
    await bus.flush();
    expect(seen.events.map((event) => event.measurements)).toEqual([{ queue_size: 3 }]);
    expect(bus.stats().dropped.invalid).toBe(10);
    expect(await dropped(metrics, '(invalid)', 'invalid')).toBe(4);
    expect(await dropped(metrics, 'pool.saturated', 'invalid')).toBe(6);
    expect(await metricValue(metrics.registry, 'sightline_events_emitted_total', { event: 'pool.saturated' })).toBe(1);
  });

  it('refuses bad options at construction, quoting the value', () => {
    expect(() => createEventBus({ sampling: { 'pool.*': 1.5 } })).toThrow(/sampling rate of "pool\.\*" must be a number from 0 to 1, got 1\.5/);
    expect(() => createEventBus({ sampling: { 'Pool.*': 0.5 } })).toThrow(/"Pool\.\*" is not an event name or pattern/);
    expect(() => createEventBus({ rateLimits: { 'request.*': 0 } })).toThrow(/rate limit of "request\.\*" must be a positive number/);
    expect(() => createEventBus({ maxQueue: 0 })).toThrow(/maxQueue must be a positive integer, got 0/);
    expect(() => createEventBus({ consumerTimeoutMs: -1 })).toThrow(/consumerTimeoutMs .* got -1/);
    expect(() => createEventBus({ coolDownMs: Number.NaN })).toThrow(/coolDownMs .* got NaN/);
    expect(() => createEventBus().subscribe('*', () => undefined, { timeoutMs: 0 })).toThrow(/timeoutMs .* got 0/);
  });
});

describe('createEventBus: sampling', () => {
  it('keeps close to the configured share of 10,000 events and counts the rest', async () => {
    const { bus, metrics } = busWithMetrics({ sampling: { 'request.completed': 0.1 }, random: seededRandom(42) });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    for (let i = 0; i < 10_000; i += 1) bus.emit('request.completed', { duration_ms: i });
    await bus.flush();
    // Binomial(10 000, 0.1): standard deviation 30; 5 of them either side.
    expect(seen.events.length).toBeGreaterThan(850);
    expect(seen.events.length).toBeLessThan(1150);
    expect(bus.stats().dropped.sampling).toBe(10_000 - seen.events.length);
    expect(await dropped(metrics, 'request.completed', 'sampling')).toBe(10_000 - seen.events.length);
    expect(bus.stats().emitted).toBe(seen.events.length);
  });

  it('prefers an exact name over a pattern, and a narrower pattern over a wider one', async () => {
    const bus = createEventBus({ sampling: { '*': 0, 'pool.*': 0, 'pool.saturated': 1, 'worker.*': 1 }, random: seededRandom(1) });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    for (const name of ['pool.saturated', 'pool.started', 'worker.crashed', 'session.created']) bus.emit(name);
    await bus.flush();
    expect(seen.names()).toEqual(['pool.saturated', 'worker.crashed']);
  });

  it('changes rates at run time and reports them', async () => {
    const bus = createEventBus({ sampling: { 'pool.*': 0.5 } });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    bus.emit('pool.started');
    bus.setSamplingRate('pool.*', 0);
    for (let i = 0; i < 50; i += 1) bus.emit('pool.started');
    await bus.flush();
    expect(seen.events.length).toBeLessThanOrEqual(1);
    bus.setSamplingRate('pool.started', 1);
    bus.emit('pool.started');
    await bus.flush();
    expect(seen.names().at(-1)).toBe('pool.started');
    expect(bus.samplingRates()).toEqual({ 'pool.*': 0, 'pool.started': 1 });
  });

  it('refuses a rate outside 0..1, naming it, and keeps the old one', () => {
    const bus = createEventBus({ sampling: { 'pool.*': 0.5 } });
    expect(() => bus.setSamplingRate('pool.*', 2)).toThrow(new TypeError('eventBus: sampling rate of "pool.*" must be a number from 0 to 1, got 2'));
    expect(() => bus.setSamplingRate('pool.*', -0.1)).toThrow(/got -0\.1/);
    expect(() => bus.setSamplingRate('pool.*', Number.NaN)).toThrow(/got NaN/);
    expect(() => bus.setSamplingRate('pool.*', '0.5' as unknown as number)).toThrow(/got "0\.5"/);
    expect(() => bus.setSamplingRate('POOL', 0.5)).toThrow(/"POOL" is not an event name or pattern/);
    expect(bus.samplingRates()).toEqual({ 'pool.*': 0.5 });
  });
});

describe('createEventBus: rate limits', () => {
  it('lets through a second of events at once, then refills at the configured rate', async () => {
    const clock = manualClock();
    const { bus, metrics } = busWithMetrics({ rateLimits: { 'request.*': 10 }, now: clock.now });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    for (let i = 0; i < 15; i += 1) bus.emit('request.started');
    await bus.flush();
    expect(seen.events).toHaveLength(10);
    clock.advance(500);
    for (let i = 0; i < 15; i += 1) bus.emit('request.completed');
    await bus.flush();
    expect(seen.events).toHaveLength(15);
    expect(bus.stats().dropped.rate_limit).toBe(15);
    expect(await dropped(metrics, 'request.started', 'rate_limit')).toBe(5);
    expect(await dropped(metrics, 'request.completed', 'rate_limit')).toBe(10);
  });

  it('leaves events that no limit covers alone', async () => {
    const bus = createEventBus({ rateLimits: { 'request.*': 1 }, now: manualClock().now });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    for (let i = 0; i < 100; i += 1) bus.emit('pool.saturated');
    await bus.flush();
    expect(seen.events).toHaveLength(100);
  });
});

describe('createEventBus: queue', () => {
  it('drops what does not fit in the queue as overflow', async () => {
    const { bus, metrics } = busWithMetrics({ maxQueue: 3 });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    for (let i = 0; i < 5; i += 1) bus.emit('pool.saturated');
    expect(bus.stats().queued).toBe(3);
    await bus.flush();
    expect(seen.events).toHaveLength(3);
    expect(await dropped(metrics, 'pool.saturated', 'overflow')).toBe(2);
    bus.emit('pool.saturated');
    await bus.flush();
    expect(seen.events).toHaveLength(4);
  });

  it('flush waits for async consumers to settle', async () => {
    const bus = createEventBus();
    const done: string[] = [];
    bus.subscribe('*', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      done.push(event.name);
    });
    bus.emit('a.b');
    await bus.flush();
    expect(done).toEqual(['a.b']);
  });
});

describe('createEventBus: consumer isolation', () => {
  it('counts a throwing or rejecting consumer while the others still get every event', async () => {
    const { bus, metrics } = busWithMetrics({ failureThreshold: 100 });
    const good = recorder();
    const reported: unknown[] = [];
    const busWithHook = createEventBus({ onConsumerFailure: (failure) => reported.push(failure) });
    bus.subscribe('*', () => {
      throw new Error('boom');
    }, { name: 'thrower' });
    bus.subscribe('*', () => Promise.reject(new Error('async boom')), { name: 'rejecter' });
    bus.subscribe('*', good.consume, { name: 'good' });
    for (let i = 0; i < 3; i += 1) bus.emit('pool.saturated');
    await bus.flush();
    expect(good.events).toHaveLength(3);
    expect(await failures(metrics, 'thrower', 'error')).toBe(3);
    expect(await failures(metrics, 'rejecter', 'error')).toBe(3);
    expect(await failures(metrics, 'good', 'error')).toBe(0);
    expect(bus.stats().consumers.good?.delivered).toBe(3);

    const error = new Error('told');
    busWithHook.subscribe('*', () => {
      throw error;
    }, { name: 'hooked' });
    busWithHook.emit('a.b');
    await busWithHook.flush();
    expect(reported).toEqual([{ consumer: 'hooked', kind: 'error', error, circuit: 'closed' }]);
  });

  it('switches a failing consumer off after N consecutive failures, and on again after a successful trial', async () => {
    const clock = manualClock();
    const { bus, metrics } = busWithMetrics({ failureThreshold: 3, coolDownMs: 30_000, now: clock.now });
    let healthy = false;
    const handled: string[] = [];
    bus.subscribe('*', (event) => {
      if (!healthy) throw new Error('down');
      handled.push(event.name);
    }, { name: 'flaky' });

    for (let i = 0; i < 5; i += 1) bus.emit('pool.saturated');
    await bus.flush();
    expect(await failures(metrics, 'flaky', 'error')).toBe(3);
    expect(await failures(metrics, 'flaky', 'circuit_open')).toBe(2);
    expect(await circuitOpen(metrics, 'flaky')).toBe(1);
    expect(bus.stats().consumers.flaky?.circuit).toBe('open');

    healthy = true;
    clock.advance(29_999);
    bus.emit('still.cooling');
    await bus.flush();
    expect(handled).toEqual([]);
    expect(await failures(metrics, 'flaky', 'circuit_open')).toBe(3);

    clock.advance(1);
    bus.emit('trial.one');
    bus.emit('after.trial');
    await bus.flush();
    expect(handled).toEqual(['trial.one', 'after.trial']);
    expect(await circuitOpen(metrics, 'flaky')).toBe(0);
    expect(bus.stats().consumers.flaky?.circuit).toBe('closed');
  });

  it('switches the consumer off again for a whole cool-down when its trial fails', async () => {
    const clock = manualClock();
    const { bus, metrics } = busWithMetrics({ failureThreshold: 2, coolDownMs: 1000, now: clock.now });
    bus.subscribe('*', () => {
      throw new Error('down');
    }, { name: 'dead' });
    bus.emit('a.one');
    bus.emit('a.two');
    await bus.flush();
    clock.advance(1000);
    bus.emit('a.trial');
    await bus.flush();
    expect(await failures(metrics, 'dead', 'error')).toBe(3);
    clock.advance(999);
    bus.emit('a.skipped');
    await bus.flush();
    expect(await failures(metrics, 'dead', 'error')).toBe(3);
    expect(await failures(metrics, 'dead', 'circuit_open')).toBe(1);
    expect(await circuitOpen(metrics, 'dead')).toBe(1);
  });

  it('lets only one trial through while half-open', async () => {
    const clock = manualClock();
    const bus = createEventBus({ failureThreshold: 1, coolDownMs: 1000, now: clock.now });
    let fail = true;
    const started: string[] = [];
    let finishTrial: () => void = () => undefined;
    bus.subscribe('*', (event) => {
      started.push(event.name);
      if (fail) throw new Error('down');
      return new Promise<void>((resolve) => {
        finishTrial = resolve;
      });
    }, { name: 'slow' });
    bus.emit('a.fail');
    await bus.flush();
    fail = false;
    clock.advance(1000);
    bus.emit('a.trial');
    bus.emit('a.during');
    await nextTurn();
    expect(started).toEqual(['a.fail', 'a.trial']);
    expect(bus.stats().consumers.slow?.circuit).toBe('half_open');
    finishTrial();
    await bus.flush();
    expect(bus.stats().consumers.slow?.circuit).toBe('closed');
    expect(bus.stats().consumerFailures.circuit_open).toBe(1);
  });

  it('keeps the circuit open when a delivery started before it opened succeeds late', async () => {
    const bus = createEventBus({ failureThreshold: 2, now: manualClock().now });
    let finishFirst: () => void = () => undefined;
    bus.subscribe('*', (event) => {
      if (event.name === 'a.slow') return new Promise<void>((resolve) => (finishFirst = resolve));
      throw new Error('down');
    }, { name: 'mixed' });
    bus.emit('a.slow');
    bus.emit('a.fail');
    bus.emit('a.fail');
    await nextTurn();
    expect(bus.stats().consumers.mixed?.circuit).toBe('open');
    finishFirst();
    await bus.flush();
    expect(bus.stats().consumers.mixed).toMatchObject({ circuit: 'open', delivered: 1 });
  });

  it('times out a hanging consumer without slowing emit or the other consumers', async () => {
    const { bus, metrics } = busWithMetrics({ failureThreshold: 5 });
    const fast = recorder();
    bus.subscribe('*', never, { name: 'hanging', timeoutMs: 50 });
    bus.subscribe('*', fast.consume, { name: 'fast' });

    const started = performance.now();
    for (let i = 0; i < 10; i += 1) bus.emit('pool.saturated');
    const emitMs = performance.now() - started;
    expect(emitMs).toBeLessThan(50);

    await nextTurn();
    // Delivered long before the hanging consumer's deliveries time out.
    expect(fast.events).toHaveLength(10);
    expect(bus.stats().consumers.hanging?.inFlight).toBe(10);

    await bus.flush();
    expect(await failures(metrics, 'hanging', 'timeout')).toBe(10);
    expect(bus.stats().consumers.hanging?.circuit).toBe('open');
    expect(await circuitOpen(metrics, 'hanging')).toBe(1);
    bus.emit('pool.saturated');
    await bus.flush();
    expect(await failures(metrics, 'hanging', 'circuit_open')).toBe(1);
    expect(fast.events).toHaveLength(11);
  });

  it('skips a consumer that already has maxInFlight deliveries unsettled', async () => {
    const bus = createEventBus({ maxInFlight: 2, failureThreshold: 100 });
    let calls = 0;
    bus.subscribe('*', () => {
      calls += 1;
      return never();
    }, { name: 'stuck', timeoutMs: 30 });
    for (let i = 0; i < 5; i += 1) bus.emit('a.b');
    await bus.flush();
    expect(calls).toBe(2);
    expect(bus.stats().consumers.stuck?.failures).toEqual({ error: 0, timeout: 2, circuit_open: 0, overflow: 3 });
  });
});

describe('createEventBus: redaction and request ids', () => {
  it('redacts secrets in metadata before any consumer sees them', async () => {
    const bus = createEventBus();
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    bus.emit('session.created', { ttl_s: 60 }, {
      password: 'x',
      authorization: 'Bearer abc',
      nested: { api_key: 'k-123456' },
      note: 'retry with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      user: 'alice',
    });
    await bus.flush();
    const event = seen.events[0] as TelemetryEvent;
    const text = JSON.stringify(event);
    expect(event.metadata.password).toBe('[REDACTED]');
    expect(event.metadata.authorization).toBe('[REDACTED]');
    expect(event.metadata.user).toBe('alice');
    for (const secret of ['"x"', 'abc', 'k-123456', 'eyJhbGciOiJIUzI1NiJ9']) expect(text).not.toContain(secret);
  });

  it('attaches the ids of the request being served at emit time, and none outside a request', async () => {
    const context = createContextStore();
    const bus = createEventBus({ context });
    const seen = recorder();
    bus.subscribe('*', seen.consume);
    const request = createRequestContext('req-1');
    request.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    request.spanId = '00f067aa0ba902b7';
    context.run(request, () => bus.emit('request.started'));
    context.run(createRequestContext('req-untraced'), () => bus.emit('request.started'));
    bus.emit('pool.started');
    await bus.flush();
    expect(seen.events[0]).toMatchObject({ request_id: 'req-1', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });
    expect(seen.events[1]).toEqual(expect.objectContaining({ request_id: 'req-untraced' }));
    expect(seen.events[1]).not.toHaveProperty('trace_id');
    expect(seen.events[2]).not.toHaveProperty('request_id');
  });

  it('runs consumers outside the emitting request: context.get() there does not name it', async () => {
    const context = createContextStore();
    const bus = createEventBus({ context });
    const seenContexts: (RequestContext | undefined)[] = [];
    bus.subscribe('*', () => void seenContexts.push(context.get()));
    context.run(createRequestContext('req-emitting'), () => bus.emit('request.started'));
    bus.emit('pool.started');
    await bus.flush();
    expect(seenContexts).toEqual([undefined, undefined]);
  });
});

describe('createEventBus: instances', () => {
  it('keeps two buses in one process apart: consumers, names, rates, limits, stats and metrics', async () => {
    const clock = manualClock();
    const a = busWithMetrics({ rateLimits: { 'pool.*': 1 }, now: clock.now });
    const b = busWithMetrics({ rateLimits: { 'pool.*': 1 }, now: clock.now });
    const seenA = recorder();
    const seenB = recorder();
    a.bus.subscribe('*', seenA.consume, { name: 'audit' });
    b.bus.subscribe('*', seenB.consume, { name: 'audit' });
    a.bus.setSamplingRate('session.*', 0);

    a.bus.emit('pool.saturated');
    b.bus.emit('pool.saturated');
    a.bus.emit('session.created');
    b.bus.emit('session.created');
    await Promise.all([a.bus.flush(), b.bus.flush()]);

    expect(seenA.names()).toEqual(['pool.saturated']);
    expect(seenB.names()).toEqual(['pool.saturated', 'session.created']);
    expect(b.bus.samplingRates()).toEqual({});
    expect(a.bus.stats().dropped.sampling).toBe(1);
    expect(b.bus.stats().dropped.sampling).toBe(0);
    expect(await metricValue(a.metrics.registry, 'sightline_events_emitted_total')).toBe(1);
    expect(await metricValue(b.metrics.registry, 'sightline_events_emitted_total')).toBe(2);
  });
});
