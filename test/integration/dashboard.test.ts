import http from 'node:http';
import express from 'express';
import request from 'supertest';
import { createObservability, RequestError, type ObservabilityOptions } from '../../middleware';
import { captureLogs, metricValue } from '../../src/testing';
import { listen } from '../support/observedApp';

const TOKEN = 'dashboard-admin-token-0123';

function dashboardApp(options: ObservabilityOptions = {}) {
  const logs = captureLogs();
  const obs = createObservability({ service: 'dash', environment: {}, adminToken: TOKEN, logger: { transports: [logs] }, ...options });
  const app = express();
  app.use(obs.middleware());
  app.use(obs.routes());
  app.get('/v1/items/:id', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/v1/boom', () => {
    throw new Error('database unreachable at db-1');
  });
  app.get('/v1/teapot', () => {
    throw new RequestError(503, 'maintenance window');
  });
  app.use(obs.notFound());
  app.use(obs.errorHandler());
  return { app, obs, logs };
}

async function login(app: express.Express): Promise<string> {
  const res = await request(app).post('/ops/dashboard/login').type('form').send({ token: TOKEN });
  expect(res.status).toBe(303);
  const cookie = (res.headers['set-cookie'] as unknown as string[])[0] as string;
  return cookie.split(';')[0] as string;
}

interface Frame {
  readonly event: string;
  readonly data: unknown;
}

/** Reads SSE frames from the feed until `done` says so. */
function readFeed(port: number, headers: Record<string, string>, done: (frames: Frame[]) => boolean, timeoutMs = 5000): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    let buffer = '';
    const req = http.get({ host: '127.0.0.1', port, path: '/ops/dashboard/feed', headers }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`feed answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(raw)?.[1];
          const data = /^data: (.*)$/m.exec(raw)?.[1];
          if (event !== undefined && data !== undefined) frames.push({ event, data: JSON.parse(data) });
        }
        if (done(frames)) {
          clearTimeout(timer);
          req.destroy();
          resolve(frames);
        }
      });
    });
    req.on('error', () => undefined);
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`feed: condition not met within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f) => f.event))}`));
    }, timeoutMs);
  });
}

type Snapshot = {
  status: string;
  http: { requests_total: number; errors_total: number; p95_ms: number | null };
  errors: { request_id: string; route: string; status: number; message: string }[];
  pools: { name: string; total: number | null; busy: number | null }[];
  checks: { name: string; status: string }[];
  time: number;
};
const snapshots = (frames: Frame[]) => frames.filter((f) => f.event === 'snapshot').map((f) => f.data as Snapshot);

describe('/ops/dashboard', () => {
  it('answers 404 without an admin token, and when switched off', async () => {
    const closed = dashboardApp({ adminToken: undefined });
    expect((await request(closed.app).get('/ops/dashboard')).status).toBe(404);
    const off = dashboardApp({ environment: { OBS_DASHBOARD_ENABLED: 'false' } });
    const res = await request(off.app).get('/ops/dashboard');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/OBS_DASHBOARD_ENABLED/);
    expect((await request(off.app).post('/ops/dashboard/login').type('form').send({ token: TOKEN })).status).toBe(404);
  });

  it('shows a login form that posts the token, under a strict CSP', async () => {
    const { app } = dashboardApp();
    const res = await request(app).get('/ops/dashboard');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<form method="post" action="\/ops\/dashboard\/login"/);
    expect(res.text).toMatch(/type="password"/);
    expect(res.text).not.toMatch(/dashboard\.js/);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a wrong token with 401, counts it, and never logs the value', async () => {
    const { app, obs, logs } = dashboardApp();
    const res = await request(app).post('/ops/dashboard/login').type('form').send({ token: 'not-the-token-at-all' });
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/That token was refused/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await metricValue(obs.metrics.registry, 'sightline_admin_auth_failures_total', { reason: 'invalid' })).toBe(1);
    const empty = await request(app).post('/ops/dashboard/login').type('form').send({});
    expect(empty.status).toBe(401);
    expect(logs.lines.some((l) => l.message === 'dashboard login refused' && l.reason === 'invalid')).toBe(true);
    expect(JSON.stringify(logs.lines)).not.toContain('not-the-token-at-all');
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict session cookie scoped to /ops', async () => {
    const { app, logs } = dashboardApp();
    const res = await request(app).post('/ops/dashboard/login').type('form').send({ token: TOKEN });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/ops/dashboard');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0] as string;
    expect(cookie).toMatch(/^sightline_dashboard_dash=[A-Za-z0-9_-]{43}; Path=\/ops; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);

    const page = await request(app).get('/ops/dashboard').set('cookie', cookie.split(';')[0] as string);
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/id="status"/);
    expect(page.text).toMatch(/src="\/ops\/dashboard\/assets\/uplot\.js"/);
    expect(page.text).not.toContain(TOKEN);
    expect(JSON.stringify(logs.lines)).not.toContain(TOKEN);
    // The session opens the dashboard only, not the rest of /ops.
    expect((await request(app).get('/ops/config').set('cookie', cookie.split(';')[0] as string)).status).toBe(401);
  });

  it('serves uPlot and its own script and styles from the service', async () => {
    const { app } = dashboardApp();
    const script = await request(app).get('/ops/dashboard/assets/uplot.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toMatch(/uPlot/);
    const client = await request(app).get('/ops/dashboard/assets/dashboard.js');
    expect(client.text).toMatch(/^\(function dashboardClient\(\)/);
    expect(client.text).not.toMatch(/require\(|exports\./);
    expect((await request(app).get('/ops/dashboard/assets/uplot.css')).headers['content-type']).toMatch(/text\/css/);
  });

  describe('the live feed', () => {
    let running: Awaited<ReturnType<typeof listen>>;
    let fixture: ReturnType<typeof dashboardApp>;
    let cookie: string;

    beforeEach(async () => {
      fixture = dashboardApp();
      running = await listen(fixture.app);
      cookie = await login(fixture.app);
    });

    afterEach(async () => {
      await fixture.obs.shutdown();
      await running.close();
    });

    it('needs the session or the bearer token', async () => {
      const res = await request(fixture.app).get('/ops/dashboard/feed');
      expect(res.status).toBe(401);
      expect(res.body.error.request_id).toEqual(expect.any(String));
      const frames = await readFeed(running.port, { authorization: `Bearer ${TOKEN}` }, (f) => snapshots(f).length >= 1);
      expect(frames[0]?.event).toBe('history');
    });

    it('pushes a snapshot every second with traffic, errors and the health status', async () => {
      const { obs } = fixture;
      let healthy = true;
      obs.health.register('database', async () => (healthy ? { ok: true } : { ok: false, message: 'connection refused' }));
      obs.health.registerPool('workers', () => ({ total: 4, available: 3, busy: 1, queue_size: 0 }));
      const first = snapshots(await readFeed(running.port, { cookie }, (f) => snapshots(f).length >= 1))[0] as Snapshot;
      expect(first.status).toBe('ok');
      expect(first.pools).toEqual([expect.objectContaining({ name: 'workers', total: 4, busy: 1 })]);

      const app = request(fixture.app);
      for (let i = 0; i < 5; i++) await app.get(`/v1/items/${i}`);
      await app.get('/v1/boom').set('x-request-id', 'boom-1');
      await app.get('/v1/teapot').set('x-request-id', 'teapot-1');
      healthy = false;

      const frames = await readFeed(running.port, { cookie }, (f) => snapshots(f).some((s) => s.status === 'fail' && s.http.errors_total === 2));
      const latest = snapshots(frames).at(-1) as Snapshot;
      expect(latest.http.requests_total).toBe(first.http.requests_total + 7);
      expect(latest.http.p95_ms).not.toBeNull();
      expect(latest.checks).toContainEqual(expect.objectContaining({ name: 'database', status: 'fail' }));
      expect(latest.errors[0]).toMatchObject({ request_id: 'teapot-1', route: '/v1/teapot', status: 503, message: 'maintenance window' });
      expect(latest.errors[1]).toMatchObject({ request_id: 'boom-1', route: '/v1/boom', status: 500, message: 'database unreachable at db-1' });
      const times = snapshots(frames).map((s) => s.time);
      for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeLessThan(1600);
      // Each snapshot is followed by its chart point, taken from that very snapshot.
      frames.forEach((frame, i) => {
        if (frame.event !== 'snapshot') return;
        const snapshot = frame.data as Snapshot;
        const next = frames[i + 1];
        if (next === undefined) return;
        expect(next.event).toBe('point');
        expect(next.data).toMatchObject({ time: snapshot.time, p95_ms: snapshot.http.p95_ms });
      });
    });

    it('shares one producer between viewers', async () => {
      const [a, b] = await Promise.all([
        readFeed(running.port, { cookie }, (f) => snapshots(f).length >= 3),
        readFeed(running.port, { cookie }, (f) => snapshots(f).length >= 3),
      ]);
      const timesA = new Set(snapshots(a).map((s) => s.time));
      expect(snapshots(b).filter((s) => timesA.has(s.time)).length).toBeGreaterThanOrEqual(2);
    });

    it('ends with logout: the cookie is cleared and the session no longer opens the feed', async () => {
      const res = await request(fixture.app).post('/ops/dashboard/logout').set('cookie', cookie);
      expect(res.status).toBe(303);
      expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/Max-Age=0/);
      expect((await request(fixture.app).get('/ops/dashboard/feed').set('cookie', cookie)).status).toBe(401);
      expect((await request(fixture.app).get('/ops/dashboard').set('cookie', cookie)).text).toMatch(/type="password"/);
    });
  });
});
