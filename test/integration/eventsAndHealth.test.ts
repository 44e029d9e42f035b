import express from 'express';
import request from 'supertest';
import { createObservability, thresholdProbe, type ObservabilityOptions } from '../../middleware';
import { captureLogs, metricValue } from '../../src/testing';
import { waitForLines } from '../support/observedApp';

const TOKEN = 'events-and-health-token-01';
const AUTH = `Bearer ${TOKEN}`;

function app(options: ObservabilityOptions = {}) {
  const logs = captureLogs();
  const obs = createObservability({ service: 'wired', version: '2.0.0', environment: {}, adminToken: TOKEN, logger: { transports: [logs] }, ...options });
  const server = express();
  server.use(obs.middleware());
  server.use(obs.routes());
  server.post('/v1/jobs', (_req, res) => {
    obs.events.emit('request.started', {}, { correlation_id: 'c-1', command: 'run', pool: 'sandbox', api_key: 'sk-live-0123456789abcdef' });
    obs.events.emit('request.completed', { duration_ms: 25 }, { correlation_id: 'c-1', pool: 'sandbox', success: true });
    res.json({ ok: true });
  });
  server.get('/v1/fail', (_req, res) => {
    res.status(500).json({ failed: true });
  });
  server.use(obs.notFound());
  server.use(obs.errorHandler());
  return { server, obs, logs };
}

describe('obs.events inside a service', () => {
  it('stamps events emitted in a request with its ids, redacts their metadata, and shows them on /ops/events', async () => {
    const { server, obs, logs } = app();
    await request(server).post('/v1/jobs').set('x-request-id', 'evt-req-1');
    await obs.events.flush();
    const res = await request(server).get('/ops/events?limit=10&name=request.*').set('authorization', AUTH);
    expect(res.status).toBe(200);
    expect(res.body.events.map((event: { name: string }) => event.name)).toEqual(['request.completed', 'request.started']);
    expect(res.body.events[1]).toMatchObject({ request_id: 'evt-req-1', metadata: { correlation_id: 'c-1', command: 'run' } });
    expect(res.text).not.toContain('sk-live-0123456789abcdef');

    const lines = await waitForLines(logs, (line) => line.message === 'event', 2);
    expect(lines.map((line) => [line.request_id, line.event])).toEqual([
      ['evt-req-1', 'request.started'],
      ['evt-req-1', 'request.completed'],
    ]);
    expect(await metricValue(obs.metrics.registry, 'pool_requests_total', { pool: 'sandbox', success: 'true' })).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sightline_events_emitted_total', { event: 'request.started' })).toBe(1);
  });

  it('changes event sampling at run time through /ops/config', async () => {
    const { server, obs } = app();
    const put = await request(server).put('/ops/config').set('authorization', AUTH).send({ event_sampling: { 'request.*': 0 } });
    expect(put.status).toBe(200);
    await request(server).post('/v1/jobs');
    await obs.events.flush();
    expect(await metricValue(obs.metrics.registry, 'sightline_events_dropped_total', { reason: 'sampling' })).toBe(2);
    expect((await request(server).get('/ops/config').set('authorization', AUTH)).body.event_sampling).toEqual({ 'request.*': 0 });
  });

  it('keeps serving when a consumer throws, counting and logging the failure', async () => {
    const { server, obs, logs } = app();
    obs.events.subscribe('request.*', () => {
      throw new Error('consumer bug');
    }, { name: 'buggy' });
    expect((await request(server).post('/v1/jobs')).status).toBe(200);
    await obs.events.flush();
    expect(await metricValue(obs.metrics.registry, 'sightline_event_consumer_failures_total', { consumer: 'buggy', kind: 'error' })).toBe(2);
    expect(logs.find('event consumer failed')[0]).toMatchObject({ consumer: 'buggy', kind: 'error', level: 'warn' });
  });

  it('emits error_rate.exceeded when 5xx responses pass the threshold', async () => {
    const { server, obs } = app({ health: { errorRate: { threshold: 0.5, minRequests: 4, windowMs: 60_000 } } });
    for (let i = 0; i < 4; i += 1) await request(server).get('/v1/fail');
    await obs.events.flush();
    expect(await metricValue(obs.metrics.registry, 'sightline_error_rate_exceeded_total')).toBe(1);
    const detailed = await request(server).get('/health/detailed');
    expect(detailed.body.error_rate).toEqual({ requests: 4, errors: 4, rate: 1 });
  });
});

describe('obs.health inside a service', () => {
  it('fails readiness on a critical probe, shows pools from events on /health/detailed, and turns 503 on shutdown', async () => {
    const { server, obs } = app();
    let available = 2;
    obs.health.register('workers', thresholdProbe(() => available, { above: 0, unit: 'workers' }), { critical: true });
    obs.events.emit('worker.started', { startup_ms: 30 }, { pool: 'sandbox', worker_id: 'w1' });
    await obs.events.flush();

    expect((await request(server).get('/health/ready')).status).toBe(200);
    available = 0;
    const failing = await request(server).get('/health/ready');
    expect(failing.status).toBe(503);
    expect(failing.body.checks.workers).toMatchObject({ ok: false, message: '0 workers, expected above 0' });

    const detailed = await request(server).get('/health/detailed');
    expect(detailed.body.pools.sandbox).toMatchObject({ workers_started: 1 });
    expect(detailed.body.version).toBe('2.0.0');

    available = 2;
    await obs.shutdown();
    expect((await request(server).get('/health/ready')).body).toMatchObject({ status: 'fail', reason: 'draining' });
    expect((await request(server).get('/health/live')).status).toBe(200);
  });

  it('reports configuration errors and a missing admin token on /health/startup', async () => {
    const { server } = app({ adminToken: undefined, environment: { LOG_LEVEL: 'loud' } });
    const startup = await request(server).get('/health/startup');
    expect(startup.status).toBe(503);
    expect(startup.body.config_errors).toEqual([{ variable: 'LOG_LEVEL', message: expect.stringContaining('expected one of') }]);
    expect(startup.body.notes).toEqual([expect.stringContaining('OBS_ADMIN_TOKEN is not set')]);
  });

  it('waits for startup tasks', async () => {
    const { server, obs } = app();
    let finish = (): void => undefined;
    obs.health.startupTask('warm-cache', new Promise<void>((resolve) => (finish = resolve)));
    expect((await request(server).get('/health/startup')).body).toMatchObject({ status: 'fail', pending: ['warm-cache'] });
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await request(server).get('/health/startup')).status).toBe(200);
  });

  it('OBS_HEALTH_ENABLED=false answers 404 on every health path', async () => {
    const { server } = app({ environment: { OBS_HEALTH_ENABLED: 'false' } });
    for (const path of ['/health', '/health/live', '/health/ready', '/health/startup', '/health/detailed']) {
      const res = await request(server).get(path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('SIGHTLINE_ERR_NOT_FOUND');
    }
  });
});
