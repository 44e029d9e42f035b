import type { Express } from 'express';
import type { Observability, ObservabilityOptions } from '../../middleware';
import { METRIC_CATALOGUE } from '../../src/metricCatalogue';
import { listen, observedApp } from '../support/observedApp';
import {
  describeWithBinary,
  promtoolCheckMetrics,
  promtoolProblems,
  startPrometheus,
  type RunningPrometheus,
} from '../support/prometheus';

/**
 * sightline's exposition checked by the real Prometheus tools: `promtool check metrics`
 * on a live `/metrics` scrape, and a real Prometheus scraping a test app over loopback.
 */

const TIMEOUT = 45_000;
const UPSTREAM = 'baseline';
const ITEM_IDS = ['42', '7', '420', '1'];
const STREAMS = 3;

type Closer = () => Promise<void>;

const ADMIN_TOKEN = 'prometheus-scrape-token-0123';

interface LiveApp {
  readonly obs: Observability;
  readonly base: string;
  readonly close: Closer;
}

/** A JSON route with a param, a route that throws, an SSE route, behind a real listener. */
async function startApp(options: ObservabilityOptions = {}): Promise<LiveApp> {
  const { app, obs } = observedApp(
    (routes: Express, instance) => {
      routes.get('/v1/items/:id', (req, res) => {
        res.json({ id: req.params.id });
      });
      routes.get('/v1/fail', () => {
        throw new Error('boom');
      });
      routes.get('/v1/stream', instance.observeSse({ upstream: UPSTREAM }), (_req, res) => {
        res.write(': ping\n\n');
        res.write('data: {"n":1}\n\n');
        res.write('data: {"n":2}\n\n');
        res.write('data: [DONE]\n\n');
        res.end();
      });
      const misjudged = () => {
        throw new Error('an isContent that always fails');
      };
      routes.get('/v1/misjudged', instance.observeSse({ upstream: 'unlisted', isContent: misjudged }), (_req, res) => {
        res.end('data: {"n":1}\n\n');
      });
      routes.use(instance.routes());
      instance.health.register('self', () => Promise.resolve(true));
      instance.jobs.register('noop', () => undefined);
      instance.events.subscribe('session.*', () => {
        throw new Error('a consumer that always fails');
      }, { name: 'broken' });
    },
    { streams: { upstreams: [UPSTREAM] }, events: { sampling: { 'session.cleanup': 0 } }, ...options },
  );
  const { port, close } = await listen(app);
  return { obs, base: `http://127.0.0.1:${port}`, close };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

/** Traffic on every route (and an unmatched path), health, ops and events, so that every metric has samples. */
async function sendTraffic(base: string, obs: Observability): Promise<void> {
  expect((await get(`${base}/health/ready`)).status).toBe(200);
  expect((await get(`${base}/ops/config`)).status).toBe(401);
  const job = await fetch(`${base}/ops/jobs/noop`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(job.status).toBe(200);
  obs.events.emit('pool.saturated', { queue_size: 3, available_workers: 0 }, { pool: 'sandbox' });
  obs.events.emit('worker.started', { startup_ms: 40 }, { pool: 'sandbox', worker_id: 'w1' });
  obs.events.emit('worker.crashed', { exit_code: 1 }, { pool: 'sandbox', worker_id: 'w1' });
  obs.events.emit('request.completed', { duration_ms: 12 }, { pool: 'sandbox', success: true });
  obs.events.emit('session.created', { ttl_s: 60 }, { session_id: 's1' });
  obs.events.emit('session.cleanup', { count: 1, duration_ms: 2 });
  await obs.events.flush();
  for (const id of ITEM_IDS) {
    const { status, body } = await get(`${base}/v1/items/${id}`);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ id });
  }
  expect((await get(`${base}/v1/fail`)).status).toBe(500);
  expect((await get(`${base}/v1/nope/42`)).status).toBe(404);
  expect((await get(`${base}/v1/misjudged`)).status).toBe(200);
  for (let i = 0; i < STREAMS; i += 1) {
    const { status, body } = await get(`${base}/v1/stream`);
    expect(status).toBe(200);
    expect(body).toBe(': ping\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
  }
}

/** Waits until the app has recorded the ended streams and requests (they are recorded on `finish`/`close`). */
async function settled(obs: Observability): Promise<void> {
  const streams = obs.metrics.registry.getSingleMetric(obs.metrics.nameOf('streams'));
  const requests = obs.metrics.registry.getSingleMetric(obs.metrics.nameOf('httpRequests'));
  const expected = ITEM_IDS.length + 2 + STREAMS;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ended = (await streams?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
    const answered = (await requests?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
    if (ended >= STREAMS && answered >= expected) return;
    if (Date.now() > deadline) throw new Error(`traffic not recorded: ${ended} streams, ${answered} requests`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Metric families of an exposition text, from its `# TYPE` lines. */
function families(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match?.[1] && match[2]) found.set(match[1], match[2]);
  }
  return found;
}

/** Names of the metric families that have at least one sample line. */
function familiesWithSamples(text: string, names: Iterable<string>): string[] {
  const sampleLines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return [...names].filter((name) =>
    sampleLines.some((line) => {
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
      return sample === name || sample === `${name}_bucket` || sample === `${name}_count` || sample === `${name}_sum`;
    }),
  );
}

describeWithBinary('promtool', 'sightline /metrics under promtool check metrics', () => {
  const closers: Closer[] = [];
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
  });

  async function liveScrape(options: ObservabilityOptions = {}): Promise<string> {
    const live = await startApp({ metricsPublic: true, adminToken: ADMIN_TOKEN, ...options });
    closers.push(live.close);
    await sendTraffic(live.base, live.obs);
    await settled(live.obs);
    const response = await fetch(`${live.base}/metrics`, { headers: { accept: 'text/plain' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  }

  async function expectClean(text: string, prefix: string): Promise<void> {
    // Every sightline metric is exposed and has samples (promtool only lints what it sees).
    const exposed = families(text);
    const catalogue = Object.values(METRIC_CATALOGUE).map((definition) => prefix + definition.name);
    expect(catalogue.filter((name) => !exposed.has(name))).toEqual([]);
    expect(familiesWithSamples(text, catalogue).sort()).toEqual([...catalogue].sort());

    const { code, output } = await promtoolCheckMetrics(text);
    expect(promtoolProblems(output)).toEqual([]);
    expect({ code, output }).toEqual({ code: 0, output: '' });
  }

  it(
    'reports no problem on a live scrape after traffic on every route',
    async () => {
      const text = await liveScrape();
      await expectClean(text, '');
      expect(text).toContain(`streams_total{upstream="${UPSTREAM}",outcome="completed"} ${STREAMS}`);
      expect(text).toMatch(/http_requests_total\{[^}]*route="unmatched"[^}]*\} 1\n/);
      expect(text).not.toMatch(/route="\/v1\/items\/42"/);
    },
    TIMEOUT,
  );

  it(
    'reports no problem with metricsPrefix, and every metric carries the prefix',
    async () => {
      const prefix = 'myapp_';
      const text = await liveScrape({ metricsPrefix: prefix });
      await expectClean(text, prefix);
      const unprefixed = [...families(text).keys()].filter((name) => !name.startsWith(prefix));
      expect(unprefixed).toEqual([]);
    },
    TIMEOUT,
  );
});

describeWithBinary('prometheus', 'a real Prometheus scraping sightline', () => {
  let live: LiveApp | undefined;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    // /metrics behind the admin token, as in production: Prometheus sends it as a bearer token.
    live = await startApp({ adminToken: ADMIN_TOKEN });
    // Traffic first: the first scrape then already holds the final counts.
    await sendTraffic(live.base, live.obs);
    await settled(live.obs);
    prometheus = await startPrometheus({
      targets: [{ job: 'app', url: `${live.base}/metrics`, bearerToken: ADMIN_TOKEN }],
      scrapeIntervalSeconds: 1,
    });
  }, TIMEOUT);

  afterAll(async () => {
    await prometheus?.stop();
    await live?.close();
  }, TIMEOUT);

  function running(): RunningPrometheus {
    if (prometheus === undefined) throw new Error('prometheus did not start');
    return prometheus;
  }

  it(
    'scrapes the app and reads sightline histograms and counters back through the HTTP API',
    async () => {
      const prom = running();
      await prom.waitFor('up{job="app"} == 1', (samples) => samples.length === 1, 30_000);
      const [target] = (await prom.targets()).filter((t) => t.job === 'app');
      expect(target).toMatchObject({ health: 'up', lastError: '' });

      const items = await prom.query('sum by (route) (http_request_duration_seconds_count{route="/v1/items/:id"})');
      expect(items).toEqual([{ metric: { route: '/v1/items/:id' }, value: ITEM_IDS.length }]);

      const ttft = await prom.query(`sum(stream_time_to_first_event_seconds_count{upstream="${UPSTREAM}"})`);
      expect(ttft).toEqual([{ metric: {}, value: STREAMS }]);

      const completed = await prom.query(`sum(streams_total{upstream="${UPSTREAM}",outcome="completed"})`);
      expect(completed).toEqual([{ metric: {}, value: STREAMS }]);

      const unmatched = await prom.query('sum(http_requests_total{route="unmatched"})');
      expect(unmatched).toEqual([{ metric: {}, value: 1 }]);

      const failed = await prom.query('sum by (status_code) (http_requests_total{route="/v1/fail"})');
      expect(failed).toEqual([{ metric: { status_code: '500' }, value: 1 }]);

      // No raw path became a label value, in any metric.
      expect(await prom.query('count(http_requests_total{route=~".*42.*"})')).toEqual([]);
      expect(await prom.query('count({route=~".*42.*"})')).toEqual([]);
      expect(await prom.query('count({route=~"/v1/nope.*"})')).toEqual([]);
    },
    TIMEOUT,
  );
});
