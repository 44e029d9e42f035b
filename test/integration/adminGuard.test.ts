import express from 'express';
import request from 'supertest';
import { createObservability, type ObservabilityOptions } from '../../middleware';
import { captureLogs, metricValue } from '../../src/testing';

const TOKEN = 'the-admin-token-0123456789';

/** An app with obs.routes() mounted twice (at the root and under /admin) and a job that records every run. */
function guardedApp(options: ObservabilityOptions = {}) {
  const logs = captureLogs();
  const obs = createObservability({ service: 'guarded', environment: {}, adminToken: TOKEN, logger: { transports: [logs] }, ...options });
  const runs: string[] = [];
  obs.jobs.register('touch', () => {
    runs.push('ran');
    return 'touched';
  });
  const app = express();
  app.use(obs.middleware());
  app.use(obs.routes());
  app.use('/admin', obs.routes());
  app.use(obs.notFound());
  app.use(obs.errorHandler());
  return { app, obs, logs, runs };
}

type Method = 'get' | 'post' | 'put' | 'head' | 'options' | 'delete' | 'patch';

/** Paths and methods that must never reach a guarded handler without the token. */
const BYPASS_ATTEMPTS: readonly [Method, string][] = [
  ['post', '/ops/jobs/touch'],
  ['post', '/OPS/jobs/touch'],
  ['post', '/Ops/Jobs/Touch'],
  ['post', '/ops/jobs/touch/'],
  ['post', '/ops/jobs/touch//'],
  ['post', '//ops/jobs/touch'],
  ['post', '/ops//jobs/touch'],
  ['post', '/%6Fps/jobs/touch'],
  ['post', '/%6fps/jobs/touch'],
  ['post', '/ops/%6aobs/touch'],
  ['post', '/ops%2Fjobs%2Ftouch'],
  ['post', '/health/../ops/jobs/touch'],
  ['post', '/ops/./jobs/touch'],
  ['post', '/x/../ops/jobs/touch'],
  ['post', '/ops;/jobs/touch'],
  ['post', '/ops/jobs/touch?token=the-admin-token-0123456789'],
  ['post', '/ops/jobs/touch#frag'],
  ['post', '/admin/ops/jobs/touch'],
  ['post', '/ADMIN/OPS/jobs/touch'],
  ['get', '/ops/config'],
  ['head', '/ops/config'],
  ['options', '/ops/config'],
  ['options', '/ops/jobs/touch'],
  ['put', '/ops/config'],
  ['patch', '/ops/config'],
  ['delete', '/ops/config'],
  ['get', '/ops/events'],
  ['get', '/ops'],
  ['get', '/ops/'],
  ['get', '/admin/ops/config'],
  ['get', '/metrics'],
  ['get', '/METRICS'],
  ['get', '/metrics/'],
  ['get', '/metrics?format=json'],
  ['head', '/metrics'],
  ['get', '/admin/metrics'],
];

const BAD_CREDENTIALS: readonly (string | undefined)[] = [
  undefined,
  '',
  TOKEN,
  `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
  'Bearer',
  'Bearer wrong-token-0123456789',
  `Bearer ${TOKEN.toUpperCase()}`,
  `Bearer ${TOKEN}x`,
  `Bearer ${TOKEN.slice(0, -1)}`,
  `Bearer ${TOKEN} ${TOKEN}`,
];

describe('adminGuard in obs.routes()', () => {
  it.each(BYPASS_ATTEMPTS)('%s %s without a valid token never reaches a guarded handler', async (method, path) => {
    const { app, runs } = guardedApp();
    for (const authorization of BAD_CREDENTIALS) {
      let call = request(app)[method](path);
      if (authorization !== undefined) call = call.set('authorization', authorization);
      const res = await call;
      expect([401, 404]).toContain(res.status);
      const body = res.text ?? '';
      expect(body).not.toContain('log_sampling_rate_info');
      expect(body).not.toContain('http_requests_total');
      expect(body).not.toContain('touched');
    }
    expect(runs).toEqual([]);
  });

  it('answers 401 with a Bearer challenge, counts the failure by reason and logs it without the presented value', async () => {
    const { app, obs, logs } = guardedApp();
    const missing = await request(app).get('/ops/config').set('x-request-id', 'guard-1');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="sightline"');
    expect(missing.body).toEqual({
      error: { code: 'SIGHTLINE_ERR_UNAUTHORIZED', message: 'This route needs Authorization: Bearer <admin token>', request_id: 'guard-1' },
    });
    const invalid = await request(app).get('/ops/config').set('authorization', 'Bearer not-the-token-but-long');
    expect(invalid.headers['www-authenticate']).toBe('Bearer realm="sightline", error="invalid_token"');
    const malformed = await request(app).get('/ops/config').set('authorization', 'Token abc');
    expect(malformed.headers['www-authenticate']).toBe('Bearer realm="sightline", error="invalid_request"');

    expect(await metricValue(obs.metrics.registry, 'sightline_admin_auth_failures_total', { reason: 'missing' })).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sightline_admin_auth_failures_total', { reason: 'invalid' })).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sightline_admin_auth_failures_total', { reason: 'malformed' })).toBe(1);
    const refused = logs.find('admin request refused');
    expect(refused.map((line) => [line.level, line.reason, line.path])).toEqual([
      ['warn', 'missing', '/ops/config'],
      ['warn', 'invalid', '/ops/config'],
      ['warn', 'malformed', '/ops/config'],
    ]);
    expect(JSON.stringify(logs.lines)).not.toContain('not-the-token-but-long');
  });

  it('lets the right token through, on every mount', async () => {
    const { app, runs } = guardedApp();
    const auth = `Bearer ${TOKEN}`;
    expect((await request(app).get('/ops/config').set('authorization', auth)).status).toBe(200);
    expect((await request(app).get('/admin/ops/config').set('authorization', auth)).status).toBe(200);
    expect((await request(app).post('/ops/jobs/touch').set('authorization', auth)).status).toBe(200);
    expect((await request(app).get('/metrics').set('authorization', auth)).status).toBe(200);
    expect(runs).toEqual(['ran']);
  });

  it('is closed by default: with no admin token /ops and /metrics answer 404 whatever is presented', async () => {
    const { app, runs } = guardedApp({ adminToken: undefined });
    for (const path of ['/ops/config', '/ops/jobs/touch', '/metrics']) {
      const res = await request(app).post(path).set('authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(404);
    }
    const metrics = await request(app).get('/metrics').set('x-request-id', 'closed-1');
    expect(metrics.status).toBe(404);
    expect(metrics.body).toEqual({
      error: { code: 'SIGHTLINE_ERR_NOT_FOUND', message: 'Admin routes are closed: no admin token is configured', request_id: 'closed-1' },
    });
    expect(runs).toEqual([]);
  });

  it('OBS_METRICS_PUBLIC opens /metrics only', async () => {
    const { app } = guardedApp({ environment: { OBS_METRICS_PUBLIC: 'true' } });
    expect((await request(app).get('/metrics')).status).toBe(200);
    expect((await request(app).get('/ops/config')).status).toBe(401);
  });

  it('puts helmet headers on every ops response, refused or not', async () => {
    const { app } = guardedApp();
    for (const res of [await request(app).get('/ops/config'), await request(app).get('/ops/config').set('authorization', `Bearer ${TOKEN}`)]) {
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});
