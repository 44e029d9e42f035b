import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { healthRoutes, HEALTH_PATHS, type HealthRoutesOptions } from '../../middleware/healthRoutes';
import { createEventLoopLag } from '../../src/eventLoopLag';
import { httpProbe } from '../../src/healthProbes';
import { createHealthRegistry, type HealthRegistryOptions } from '../../src/healthRegistry';
import { createLifecycle } from '../../src/lifecycle';
import { metricValue } from '../../src/testing';
import { listen, observedApp } from '../support/observedApp';

const HEALTH_JSON = 'application/health+json';
const STARTED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const NOW = STARTED_AT + 90_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A real Express app with sightline's middleware and the health router mounted. */
function healthApp(options: Partial<HealthRoutesOptions> = {}, registryOptions: HealthRegistryOptions = {}) {
  const lifecycle = createLifecycle();
  let registry = options.registry;
  const { app, obs } = observedApp((a, o) => {
    registry ??= createHealthRegistry({ metrics: o.metrics, ...registryOptions });
    a.use(
      healthRoutes({
        registry,
        lifecycle,
        config: { service: 'orders', version: '2.1.0', commit: 'abc1234' },
        configErrors: [],
        startedAt: STARTED_AT,
        now: () => NOW,
        ...options,
      }),
    );
  });
  return { app, obs, lifecycle, registry: registry as NonNullable<typeof registry> };
}

/** A real HTTP dependency that counts the requests it gets. */
async function countingDependency(status = 200) {
  const dependency = { hits: 0, url: '', close: () => undefined as unknown as Promise<void> };
  const server = createServer((_req, res) => {
    dependency.hits += 1;
    res.writeHead(status).end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  dependency.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
  dependency.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return dependency;
}

function blockLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Busy on purpose: the event loop must not turn.
  }
}

describe('GET /health', () => {
  it('answers 200 with identity and uptime while the process answers, and is never cached', async () => {
    const { app } = healthApp();
    const res = await request(app).get('/health').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ status: 'ok', service: 'orders', version: '2.1.0', commit: 'abc1234', uptime_s: 90.5 });
  });

  it('answers commit null when the commit is unknown', async () => {
    const { app } = healthApp({ config: { service: 'orders', version: '2.1.0', commit: undefined } });
    expect((await request(app).get('/health').expect(200)).body.commit).toBeNull();
  });
});

describe('GET /health/live', () => {
  it('answers 200 while the event loop keeps up, draining or not', async () => {
    const { app, lifecycle } = healthApp();
    const res = await request(app).get('/health/live').expect(200);
    expect(res.body).toEqual({ status: 'ok', event_loop_lag_ms: expect.any(Number) });
    lifecycle.beginDraining();
    await request(app).get('/health/live').expect(200);
  });

  it('answers 503 with the lag after the loop was blocked past the limit, then 200 once it recovers', async () => {
    const lag = createEventLoopLag({ resolutionMs: 10, windowMs: 500 });
    const { app } = healthApp({ lag, maxEventLoopLagMs: 200 });
    try {
      await sleep(30);
      blockLoop(300);
      const res = await request(app).get('/health/live').expect(503);
      expect(res.body).toMatchObject({ status: 'fail', reason: 'event_loop_lag', max_event_loop_lag_ms: 200 });
      expect(res.body.event_loop_lag_ms).toBeGreaterThanOrEqual(250);
      await sleep(1100);
      await request(app).get('/health/live').expect(200);
    } finally {
      lag.stop();
    }
  });
});

describe('GET /health/ready', () => {
  it('answers 200 ok with every check when all pass', async () => {
    const { app, registry } = healthApp();
    registry.register('db', async () => ({ ok: true, message: 'connected' }));
    const res = await request(app).get('/health/ready').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'ok',
      checks: { db: { ok: true, critical: true, latency_ms: expect.any(Number), message: 'connected' } },
    });
  });

  it('answers 503 fail naming the check when a critical probe fails', async () => {
    const dependency = await countingDependency(503);
    try {
      const { app, registry } = healthApp();
      registry.register('payments', httpProbe(dependency.url));
      registry.register('db', async () => true);
      const res = await request(app).get('/health/ready').expect(503);
      expect(res.body.status).toBe('fail');
      expect(res.body.checks.payments).toMatchObject({ ok: false, latency_ms: expect.any(Number), message: 'HTTP 503, expected 2xx' });
      expect(res.body.checks.db).toMatchObject({ ok: true });
    } finally {
      await dependency.close();
    }
  });

  it('answers 200 warn when only a non-critical probe fails', async () => {
    const { app, registry } = healthApp();
    registry.register('db', async () => true);
    registry.register('search', async () => {
      throw new Error('search cluster yellow');
    }, { critical: false });
    const res = await request(app).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'warn',
      checks: { search: { ok: false, critical: false, message: 'search cluster yellow' } },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/healthRoutes\.test|at Object/);
  });

  it('answers 503 at a hanging probe\'s timeout, well within the deadline', async () => {
    const { app, registry } = healthApp({}, { deadlineMs: 1000 });
    registry.register('stuck', () => new Promise(() => undefined), { timeoutMs: 100 });
    const started = Date.now();
    const res = await request(app).get('/health/ready').expect(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.body.checks.stuck).toEqual({ ok: false, critical: true, latency_ms: 100, message: 'timed out after 100 ms' });
  });

  it('answers 503 draining from the moment draining begins, without running probes', async () => {
    const dependency = await countingDependency();
    try {
      const { app, registry, lifecycle } = healthApp();
      registry.register('db', httpProbe(dependency.url));
      await request(app).get('/health/ready').expect(200);
      lifecycle.beginDraining();
      const res = await request(app).get('/health/ready').expect(503);
      expect(res.body).toEqual({ status: 'fail', reason: 'draining' });
      expect(dependency.hits).toBe(1);
    } finally {
      await dependency.close();
    }
  });

  it('answers 503 starting while a startup task is pending, then 200', async () => {
    const { app, lifecycle } = healthApp();
    let finishWarmUp = () => undefined as void;
    lifecycle.startupTask('warm-cache', new Promise<void>((resolve) => (finishWarmUp = resolve)));
    const res = await request(app).get('/health/ready').expect(503);
    expect(res.body).toEqual({ status: 'fail', reason: 'starting', pending: ['warm-cache'] });
    finishWarmUp();
    await sleep(0);
    await request(app).get('/health/ready').expect(200);
  });

  it('reaches a dependency once for 20 concurrent requests within intervalMs', async () => {
    const dependency = await countingDependency();
    const { app, registry } = healthApp();
    registry.register('inventory', httpProbe(dependency.url), { intervalMs: 10_000 });
    const server = await listen(app);
    try {
      const url = `http://127.0.0.1:${server.port}/health/ready`;
      const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(url).then((r) => r.status)));
      expect(statuses).toEqual(Array(20).fill(200));
      for (let i = 0; i < 5; i += 1) await request(app).get('/health/ready').expect(200);
      expect(dependency.hits).toBe(1);
    } finally {
      await server.close();
      await dependency.close();
    }
  });

  it('records up and duration of each check in the instance\'s metrics registry', async () => {
    const { app, obs, registry } = healthApp();
    let healthy = true;
    registry.register('db', async () => healthy);
    await request(app).get('/health/ready').expect(200);
    expect(await metricValue(obs.metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(1);
    healthy = false;
    await request(app).get('/health/ready').expect(503);
    expect(await metricValue(obs.metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(0);
    expect(await metricValue(obs.metrics.registry, 'sightline_health_check_duration_seconds_count', { check: 'db' })).toBe(2);
  });
});

describe('GET /health/startup', () => {
  const notes = ['OBS_ADMIN_TOKEN is not set: /ops answers 404'];

  it('answers 200 with the notes once config is valid and startup finished', async () => {
    const { app, lifecycle } = healthApp({ notes });
    lifecycle.startupTask('migrations', Promise.resolve());
    await sleep(0);
    const res = await request(app).get('/health/startup').expect(200);
    expect(res.body).toEqual({ status: 'ok', config_errors: [], pending: [], failed: [], notes });
  });

  it('answers 503 listing pending and failed tasks', async () => {
    const { app, lifecycle } = healthApp({ notes });
    lifecycle.startupTask('warm-cache', new Promise(() => undefined));
    lifecycle.startupTask('migrations', Promise.reject(new Error('schema 41, expected 42')));
    await sleep(0);
    const res = await request(app).get('/health/startup').expect(503);
    expect(res.body).toEqual({
      status: 'fail',
      config_errors: [],
      pending: ['warm-cache'],
      failed: [{ task: 'migrations', message: 'schema 41, expected 42' }],
      notes,
    });
  });

  it('answers 503 naming each configuration error by variable', async () => {
    const configErrors = [{ variable: 'LOG_LEVEL', message: 'expected one of error, warn, info, debug, got "loud"' }];
    const { app } = healthApp({ configErrors, notes });
    const res = await request(app).get('/health/startup').expect(503);
    expect(res.body).toMatchObject({ status: 'fail', config_errors: configErrors, notes });
  });
});

describe('GET /health/detailed', () => {
  it('answers everything: identity, phase, startup, checks, pools, process and error rate', async () => {
    const { app, registry } = healthApp({
      notes: ['tracing is off'],
      pools: () => ({ http: { sockets: 3 } }),
      errorRate: () => ({ requests: 200, errors: 3, rate: 0.015 }),
    });
    registry.register('db', async () => ({ ok: true, observed: 4 }));
    registry.registerPool('workers', () => ({ busy: 1, idle: 3 }));
    registry.registerPool('gpu', () => {
      throw new Error('driver not loaded');
    });
    const res = await request(app).get('/health/detailed').expect(200);
    expect(res.body).toEqual({
      status: 'ok',
      service: 'orders',
      version: '2.1.0',
      commit: 'abc1234',
      uptime_s: 90.5,
      phase: 'ready',
      startup: { ok: true, config_errors: [], pending: [], failed: [], notes: ['tracing is off'] },
      checks: {
        db: { ok: true, critical: true, latency_ms: expect.any(Number), observed: 4, checked_at: expect.any(String) },
      },
      pools: { workers: { busy: 1, idle: 3 }, gpu: { error: 'driver not loaded' }, http: { sockets: 3 } },
      process: {
        memory: {
          rss: expect.any(Number),
          heap_used: expect.any(Number),
          heap_total: expect.any(Number),
          external: expect.any(Number),
        },
        event_loop_lag_ms: expect.any(Number),
        uptime_s: expect.any(Number),
        pid: process.pid,
        node: process.version,
      },
      error_rate: { requests: 200, errors: 3, rate: 0.015 },
    });
    expect(new Date(res.body.checks.db.checked_at).toISOString()).toBe(res.body.checks.db.checked_at);
  });

  it('answers 503 with the last results while draining, without running probes', async () => {
    let calls = 0;
    const { app, registry, lifecycle } = healthApp();
    registry.register('db', async () => {
      calls += 1;
      return true;
    });
    await request(app).get('/health/detailed').expect(200);
    lifecycle.beginDraining();
    const res = await request(app).get('/health/detailed').expect(503);
    expect(res.body).toMatchObject({ status: 'fail', phase: 'draining', checks: { db: { ok: true } }, error_rate: null });
    expect(calls).toBe(1);
  });

  it('answers a generic 503 when its own work fails, with no exception text', async () => {
    const { app } = healthApp({ pools: () => ({ huge: BigInt(1) }) });
    const res = await request(app).get('/health/detailed').set('x-request-id', 'detail-1').expect(503);
    expect(res.body).toEqual({
      status: 'fail',
      error: { code: 'SIGHTLINE_ERR_UNAVAILABLE', message: 'Service unavailable', request_id: 'detail-1' },
    });
    expect(res.text).not.toMatch(/BigInt|serialize|at /);
  });
});

describe('Accept: application/health+json', () => {
  it('answers readiness in the IETF draft format with one responseTime entry per check', async () => {
    const { app, registry } = healthApp();
    registry.register('database', async () => true);
    registry.register('search', async () => ({ ok: false, message: 'index stale' }), { critical: false });
    const res = await request(app).get('/health/ready').set('accept', HEALTH_JSON).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'warn',
      version: '2.1.0',
      releaseId: 'abc1234',
      serviceId: 'orders',
      checks: {
        'database:responseTime': [
          { componentId: 'database', status: 'pass', observedValue: expect.any(Number), observedUnit: 'ms', time: expect.any(String) },
        ],
        'search:responseTime': [
          {
            componentId: 'search',
            status: 'warn',
            observedValue: expect.any(Number),
            observedUnit: 'ms',
            time: expect.any(String),
            output: 'index stale',
          },
        ],
      },
    });
  });

  it('answers fail with a failing status code on every endpoint that fails', async () => {
    const { app, lifecycle } = healthApp({ configErrors: [{ variable: 'OBS_ENABLED', message: 'expected true or false, got "y"' }] });
    const startup = await request(app).get('/health/startup').set('accept', HEALTH_JSON).expect(503);
    expect(startup.body).toMatchObject({ status: 'fail', output: 'OBS_ENABLED: expected true or false, got "y"', notes: [] });
    lifecycle.beginDraining();
    const ready = await request(app).get('/health/ready').set('accept', HEALTH_JSON).expect(503);
    expect(ready.body).toEqual({ status: 'fail', version: '2.1.0', releaseId: 'abc1234', serviceId: 'orders', output: 'draining' });
  });

  it('answers /health, /health/live and /health/detailed in the same format, uptime included', async () => {
    const { app, registry } = healthApp();
    registry.register('db', async () => true);
    const basic = await request(app).get('/health').set('accept', HEALTH_JSON).expect(200);
    expect(basic.body).toEqual({ status: 'pass', version: '2.1.0', releaseId: 'abc1234', serviceId: 'orders' });
    const live = await request(app).get('/health/live').set('accept', HEALTH_JSON).expect(200);
    expect(live.body.checks['eventLoop:lag'][0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    const detailed = await request(app).get('/health/detailed').set('accept', HEALTH_JSON).expect(200);
    expect(detailed.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(detailed.body.status).toBe('pass');
    expect(detailed.body.checks['uptime:uptime']).toEqual([
      { componentType: 'system', status: 'pass', observedValue: 90.5, observedUnit: 's', time: new Date(NOW).toISOString() },
    ]);
    expect(detailed.body.checks['db:responseTime'][0]).toMatchObject({ componentId: 'db', status: 'pass', observedUnit: 'ms' });
  });

  it('still answers plain JSON to clients that accept anything', async () => {
    const { app } = healthApp();
    const res = await request(app).get('/health').set('accept', '*/*').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.status).toBe('ok');
  });
});

describe('enabled: false', () => {
  it('answers a JSON 404 with the request id on every health path', async () => {
    const { app } = healthApp({ enabled: false });
    for (const path of HEALTH_PATHS) {
      const res = await request(app).get(path).set('x-request-id', 'off-1').expect(404);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        error: { code: 'SIGHTLINE_ERR_NOT_FOUND', message: 'No route matches this request', request_id: 'off-1' },
      });
    }
  });
});

describe('two instances in one process', () => {
  it('keep their checks, lifecycles and metrics apart', async () => {
    const a = healthApp();
    const b = healthApp();
    a.registry.register('db', async () => true);
    b.registry.register('db', async () => false);
    b.lifecycle.beginDraining();
    await request(a.app).get('/health/ready').expect(200);
    await request(b.app).get('/health/ready').expect(503);
    expect(await metricValue(a.obs.metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(1);
    expect(await metricValue(b.obs.metrics.registry, 'sightline_health_check_up', { check: 'db' })).toBe(0);
  });
});

describe('options', () => {
  it('rejects a bad lag limit at construction, quoting it', () => {
    const registry = createHealthRegistry();
    const base = { registry, lifecycle: createLifecycle(), config: { service: 's', version: '1', commit: undefined }, configErrors: [] };
    expect(() => healthRoutes({ ...base, maxEventLoopLagMs: -5 })).toThrow(/maxEventLoopLagMs must be .* got -5/);
  });
});
