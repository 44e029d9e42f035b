import { createHealthRegistry, type HealthRegistryOptions } from '../../src/healthRegistry';
import type { HealthProbe } from '../../src/healthProbes';
import { createMetrics } from '../../src/metrics';
import { metricValue } from '../../src/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A probe that counts its calls and answers after `delayMs`. */
function countedProbe(delayMs = 0, answer: Awaited<ReturnType<HealthProbe>> = true) {
  const counted = {
    calls: 0,
    probe: (async () => {
      counted.calls += 1;
      if (delayMs > 0) await sleep(delayMs);
      return answer;
    }) as HealthProbe,
  };
  return counted;
}

/** Ignores its signal and never settles. */
const hangingProbe: HealthProbe = () => new Promise(() => undefined);

function registryAt(startMs: number, options: HealthRegistryOptions = {}) {
  const clock = { now: startMs };
  const registry = createHealthRegistry({ now: () => clock.now, ...options });
  return { registry, clock };
}

describe('health registry', () => {
  it('reports pass when every check passes, with latency and the time it was checked', async () => {
    const { registry } = registryAt(Date.UTC(2025, 0, 2, 3, 4, 5));
    registry.register('db', async () => ({ ok: true, message: 'connected', observed: 7 }));
    registry.register('cache', async () => undefined);
    const report = await registry.check();
    expect(report.status).toBe('pass');
    expect(report.checks.db).toEqual({
      ok: true,
      critical: true,
      latency_ms: expect.any(Number),
      message: 'connected',
      observed: 7,
      checked_at: '2025-01-02T03:04:05.000Z',
    });
    expect(report.checks.cache).toMatchObject({ ok: true, critical: true });
    expect(report.checks.cache).not.toHaveProperty('message');
  });

  it('reports warn when only a non-critical check fails, fail when a critical one does', async () => {
    const registry = createHealthRegistry();
    registry.register('db', async () => true);
    registry.register('search', async () => false, { critical: false });
    const warned = await registry.check();
    expect(warned.status).toBe('warn');
    expect(warned.checks.search).toMatchObject({ ok: false, critical: false, message: 'probe reported failure' });

    registry.register('queue', async () => ({ ok: false, message: 'no consumer' }));
    const failed = await registry.check();
    expect(failed.status).toBe('fail');
    expect(failed.checks.queue).toMatchObject({ ok: false, critical: true, message: 'no consumer' });
  });

  it('reports a probe that throws or rejects as failed with its message, never its stack', async () => {
    const registry = createHealthRegistry();
    registry.register('sync', () => {
      throw new Error('connection refused by db-1');
    });
    registry.register('async', async () => {
      throw new Error('pool exhausted');
    });
    registry.register('odd', () => Promise.reject('plain string'));
    const report = await registry.check();
    expect(report.checks.sync).toMatchObject({ ok: false, message: 'connection refused by db-1' });
    expect(report.checks.async).toMatchObject({ ok: false, message: 'pool exhausted' });
    expect(report.checks.odd).toMatchObject({ ok: false, message: 'plain string' });
    expect(JSON.stringify(report)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('fails a probe that ignores its signal at its timeout, and aborts the signal it was given', async () => {
    const registry = createHealthRegistry({ deadlineMs: 500 });
    let seen: AbortSignal | undefined;
    registry.register(
      'stuck',
      (signal) => {
        seen = signal;
        return new Promise(() => undefined);
      },
      { timeoutMs: 80 },
    );
    const started = Date.now();
    const report = await registry.check();
    const elapsed = Date.now() - started;
    expect(report.checks.stuck).toMatchObject({ ok: false, latency_ms: 80, message: 'timed out after 80 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(75);
    expect(elapsed).toBeLessThan(400);
    expect(seen?.aborted).toBe(true);
  });

  it('runs probes concurrently: the report comes within the deadline however many hang', async () => {
    const registry = createHealthRegistry({ deadlineMs: 300, defaultTimeoutMs: 300 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) registry.register(name, hangingProbe);
    registry.register('quick', async () => true);
    const started = Date.now();
    const report = await registry.check();
    expect(Date.now() - started).toBeLessThan(600);
    expect(report.status).toBe('fail');
    expect(report.checks.quick).toMatchObject({ ok: true });
  });

  it('reuses a result for intervalMs, then runs the probe again', async () => {
    const { registry, clock } = registryAt(1_000_000);
    const counted = countedProbe();
    registry.register('db', counted.probe, { intervalMs: 5000 });
    await registry.check();
    clock.now += 4999;
    await registry.check();
    expect(counted.calls).toBe(1);
    clock.now += 1;
    await registry.check();
    expect(counted.calls).toBe(2);
  });

  it('lets concurrent callers share one run, even without an interval', async () => {
    const registry = createHealthRegistry();
    const counted = countedProbe(50);
    registry.register('db', counted.probe);
    const reports = await Promise.all(Array.from({ length: 20 }, () => registry.check()));
    expect(counted.calls).toBe(1);
    expect(new Set(reports.map((r) => r.checks.db?.checked_at)).size).toBe(1);
    await registry.check();
    expect(counted.calls).toBe(2);
  });

  it('records up and duration for every run in the metrics registry it was given', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const registry = createHealthRegistry({ metrics });
    let healthy = true;
    registry.register('db', async () => healthy);
    await registry.check();
    expect(await metricValue(metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(1);
    healthy = false;
    await registry.check();
    expect(await metricValue(metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(0);
    expect(await metricValue(metrics.registry, 'sightline_health_check_duration_seconds_count', { check: 'db' })).toBe(2);

    registry.unregister('db');
    expect(await metrics.registry.metrics()).not.toMatch(/check="db"/);
  });

  it('keeps two registries in one process apart', async () => {
    const a = createHealthRegistry();
    const b = createHealthRegistry();
    a.register('db', async () => true);
    b.register('db', async () => false);
    expect((await a.check()).status).toBe('pass');
    expect((await b.check()).status).toBe('fail');
  });

  it('forgets an unregistered check and shows only what ran in lastResults', async () => {
    const registry = createHealthRegistry();
    registry.register('db', async () => true);
    registry.register('cache', async () => true);
    expect(registry.lastResults()).toEqual({});
    await registry.check();
    expect(Object.keys(registry.lastResults()).sort()).toEqual(['cache', 'db']);
    expect(registry.unregister('cache')).toBe(true);
    expect(registry.unregister('cache')).toBe(false);
    expect(Object.keys((await registry.check()).checks)).toEqual(['db']);
    expect(Object.keys(registry.lastResults())).toEqual(['db']);
  });

  it('reports pool statistics, and the error of a pool whose statistics throw', () => {
    const registry = createHealthRegistry();
    registry.registerPool('workers', () => ({ busy: 2, idle: 6, queued: 0 }));
    registry.registerPool('broken', () => {
      throw new Error('stats unavailable');
    });
    expect(registry.pools()).toEqual({ workers: { busy: 2, idle: 6, queued: 0 }, broken: { error: 'stats unavailable' } });
    expect(registry.unregisterPool('broken')).toBe(true);
    expect(Object.keys(registry.pools())).toEqual(['workers']);
  });

  it('rejects bad names, duplicates and timeouts that cannot fit the deadline, quoting the value', () => {
    const registry = createHealthRegistry({ deadlineMs: 2000 });
    registry.register('db', hangingProbe);
    expect(() => registry.register('db', hangingProbe)).toThrow(/check named "db" is already registered/);
    expect(() => registry.register('db:main', hangingProbe)).toThrow(/check name must be .* got "db:main"/);
    expect(() => registry.register('', hangingProbe)).toThrow(/got ""/);
    expect(() => registry.register('x', 'nope' as unknown as HealthProbe)).toThrow(/probe of "x" must be a function, got string/);
    expect(() => registry.register('x', hangingProbe, { timeoutMs: 5000 })).toThrow(
      /timeoutMs of "x" \(5000\) must not exceed the registry's deadlineMs \(2000\)/,
    );
    expect(() => registry.register('x', hangingProbe, { timeoutMs: 0 })).toThrow(/timeoutMs must be .* got 0/);
    expect(() => registry.register('x', hangingProbe, { intervalMs: -1 })).toThrow(/intervalMs must be .* got -1/);
    expect(() => registry.registerPool('db', () => ({}))).not.toThrow();
    expect(() => registry.registerPool('db', () => ({}))).toThrow(/pool named "db" is already registered/);
    expect(() => createHealthRegistry({ defaultTimeoutMs: 3000, deadlineMs: 2000 })).toThrow(
      /defaultTimeoutMs \(3000\) must not exceed deadlineMs \(2000\)/,
    );
    expect(() => createHealthRegistry({ deadlineMs: Number.POSITIVE_INFINITY })).toThrow(/deadlineMs must be .* got Infinity/);
  });
});
