import express from 'express';
import request from 'supertest';
import { register as globalRegistry } from 'prom-client';
import { createObservability } from '../../middleware';
import { metricValue } from '../../src/testing';
import { listen, observedApp } from '../support/observedApp';

function itemsApp(options: Parameters<typeof observedApp>[1] = {}) {
  return observedApp((app, obs) => {
    const items = express.Router();
    items.get('/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    items.get('/:id/fail', () => {
      throw new Error('kaput');
    });
    app.use('/v1/items', items);
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/events', (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 20);
    });
    app.use(obs.routes());
  }, options);
}

const durationCount = 'http_request_duration_seconds_count';

describe('HTTP metrics', () => {
  it('labels requests by method, route template and status, never by raw path', async () => {
    const { app, obs } = itemsApp();
    await request(app).get('/v1/items/1');
    await request(app).get('/v1/items/2');
    await request(app).get('/v1/items/3/fail');
    const registry = obs.metrics.registry;
    expect(await metricValue(registry, 'http_requests_total', { method: 'GET', route: '/v1/items/:id', status_code: '200' })).toBe(2);
    expect(await metricValue(registry, 'http_requests_total', { route: '/v1/items/:id/fail', status_code: '500' })).toBe(1);
    expect(await metricValue(registry, durationCount, { route: '/v1/items/:id', method: 'GET', status_code: '200' })).toBe(2);
    expect(await metricValue(registry, 'http_response_size_bytes_sum', { route: '/v1/items/:id' })).toBe(2 * '{"id":"1"}'.length);
    expect(await registry.metrics()).not.toMatch(/route="\/v1\/items\/1"/);
  });

  it('puts a scan of 10,000 random paths into one unmatched series', async () => {
    const { app, obs } = itemsApp();
    await request(app).get('/v1/items/1');
    const httpSeries = async () =>
      (await obs.metrics.registry.getMetricsAsJSON())
        .filter((m) => m.name.startsWith('http_'))
        .reduce((n, m) => n + m.values.length, 0);
    const seriesBefore = await httpSeries();
    const server = await listen(app);
    try {
      const paths = Array.from({ length: 10_000 }, (_, i) => `/scan/${i.toString(36)}/${Math.random().toString(36).slice(2)}`);
      for (let i = 0; i < paths.length; i += 200) {
        await Promise.all(
          paths.slice(i, i + 200).map((path) => fetch(`http://127.0.0.1:${server.port}${path}`).then((r) => r.arrayBuffer())),
        );
      }
    } finally {
      await server.close();
    }
    expect(await metricValue(obs.metrics.registry, 'http_requests_total', { route: 'unmatched', status_code: '404' })).toBe(10_000);
    // One label set for all 10,000: the counter, the size histogram and the latency histogram
    // (each histogram: its buckets, +Inf, _sum and _count).
    const seriesOfOneLabelSet = 1 + (6 + 3) + (11 + 3);
    expect((await httpSeries()) - seriesBefore).toBe(seriesOfOneLabelSet);
    expect(await obs.metrics.registry.metrics()).not.toMatch(/route="\/scan/);
  }, 60_000);

  it('keeps health, metrics and ops paths out by default', async () => {
    const { app, obs } = itemsApp();
    await request(app).get('/health');
    await request(app).get('/metrics');
    await request(app).get('/ops/anything');
    const text = await obs.metrics.registry.metrics();
    expect(text).not.toMatch(/route="\/health"/);
    expect(text).not.toMatch(/route="\/metrics"/);
    expect(await metricValue(obs.metrics.registry, 'http_requests_total')).toBe(0);
  });

  it('keeps streams out of the latency and size histograms but counts them', async () => {
    const { app, obs } = itemsApp();
    const res = await request(app).get('/events');
    expect(res.text).toContain('[DONE]');
    const registry = obs.metrics.registry;
    expect(await metricValue(registry, 'http_requests_total', { route: '/events', status_code: '200' })).toBe(1);
    expect(await metricValue(registry, durationCount, { route: '/events' })).toBe(0);
    expect(await metricValue(registry, 'http_response_size_bytes_count', { route: '/events' })).toBe(0);
  });

  it('counts an observation prom-client refuses, by metric, and answers the request as usual', async () => {
    const { app, obs } = itemsApp();
    const registry = obs.metrics.registry;
    // Fault injection into the real histogram: what sightline does when prom-client throws.
    const sizes = registry.getSingleMetric('http_response_size_bytes') as unknown as { observe: () => void };
    sizes.observe = () => {
      throw new Error('observation refused');
    };
    const res = await request(app).get('/v1/items/9');
    expect(res.status).toBe(200);
    await request(app).get('/v1/items/10');
    const failures = 'sightline_http_observation_failures_total';
    expect(await metricValue(registry, failures, { metric: 'http_response_size_bytes' })).toBe(2);
    expect(await metricValue(registry, failures, { metric: 'http_requests_total' })).toBe(0);
    expect(await metricValue(registry, 'http_requests_total', { route: '/v1/items/:id' })).toBe(2);
    expect(await metricValue(registry, durationCount, { route: '/v1/items/:id' })).toBe(2);
  });

  it('tracks requests in flight', async () => {
    let release!: () => void;
    const { app, obs } = observedApp((a) => {
      a.get('/slow', (_req, res) => {
        release = () => res.json({ done: true });
      });
    });
    const pending = request(app).get('/slow').then((r) => r.status);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (release !== undefined) {
          clearInterval(poll);
          resolve();
        }
      }, 5);
    });
    expect(await metricValue(obs.metrics.registry, 'http_requests_in_flight')).toBe(1);
    release();
    expect(await pending).toBe(200);
    expect(await metricValue(obs.metrics.registry, 'http_requests_in_flight')).toBe(0);
  });

  it('uses configured buckets and prefix', async () => {
    const { app, obs } = itemsApp({ metricsPrefix: 'shop_', metrics: { buckets: { httpRequestDuration: [0.1, 1] } } });
    await request(app).get('/v1/items/1');
    const text = await obs.metrics.registry.metrics();
    expect(text).toMatch(/^shop_http_request_duration_seconds_bucket\{le="0\.1",status_code="200",method="GET",route="\/v1\/items\/:id"\} 1$/m);
    expect(text).toMatch(/^shop_http_request_duration_seconds_bucket\{le="1",/m);
    expect(text).not.toMatch(/le="0\.005"/);
    expect(text).toMatch(/^shop_process_cpu_user_seconds_total /m);
    for (const name of text.match(/^# TYPE (\S+)/gm) ?? []) expect(name).toMatch(/^# TYPE shop_/);
  });

  it('rejects buckets that do not ascend, naming them', () => {
    expect(() => createObservability({ environment: {}, metrics: { buckets: { streamMaxGap: [1, 0.5] } } })).toThrow(
      /buckets of streamMaxGap must be finite and strictly ascending, got \[1,0.5\]/,
    );
  });

  it('is left out with metrics: false, and with OBS_METRICS_ENABLED=false', async () => {
    for (const options of [{ metrics: false as const }, { environment: { OBS_METRICS_ENABLED: 'false' } }]) {
      const { app, obs } = itemsApp(options);
      await request(app).get('/v1/items/1');
      expect(await metricValue(obs.metrics.registry, 'http_requests_total')).toBe(0);
    }
  });

  it('never shares a registry between two instances in one process', async () => {
    const first = itemsApp();
    const second = itemsApp();
    await request(first.app).get('/v1/items/1');
    expect(first.obs.metrics.registry).not.toBe(second.obs.metrics.registry);
    expect(await metricValue(first.obs.metrics.registry, 'http_requests_total')).toBe(1);
    expect(await metricValue(second.obs.metrics.registry, 'http_requests_total')).toBe(0);
    expect(globalRegistry.getMetricsAsArray()).toHaveLength(0);
  });
});

describe('obs.metrics helpers', () => {
  it('get or create: the same name and labels give the same metric', () => {
    const obs = createObservability({ environment: {} });
    const a = obs.metrics.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['kind'] });
    const b = obs.metrics.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['kind'] });
    expect(a).toBe(b);
    expect(obs.metrics.gauge({ name: 'queue_depth', help: 'Depth.' })).toBe(obs.metrics.gauge({ name: 'queue_depth', help: 'Depth.' }));
    const h = obs.metrics.histogram({ name: 'job_seconds', help: 'Jobs.', buckets: [1, 2] });
    expect(obs.metrics.histogram({ name: 'job_seconds', help: 'Jobs.' })).toBe(h);
  });

  it('throws naming both sides when a name is reused with another type or labels', () => {
    const obs = createObservability({ environment: {} });
    obs.metrics.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['kind'] });
    expect(() => obs.metrics.gauge({ name: 'orders_total', help: 'Orders.', labelNames: ['kind'] })).toThrow(
      /orders_total is already registered as a counter with labels \[kind\]; asked for a gauge with labels \[kind\]/,
    );
    expect(() => obs.metrics.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['shop'] })).toThrow(/labels \[shop\]/);
    expect(() => obs.metrics.counter({ name: 'orders-total', help: 'Orders.' })).toThrow(/not a valid Prometheus metric name/);
  });
});

describe('GET /metrics', () => {
  it('answers Prometheus text by default and JSON when asked', async () => {
    const { app } = itemsApp({ metricsPublic: true });
    await request(app).get('/v1/items/1');
    const text = await request(app).get('/metrics');
    expect(text.status).toBe(200);
    expect(text.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text.text).toMatch(/^# TYPE http_requests_total counter$/m);
    const json = await request(app).get('/metrics').set('accept', 'application/json');
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect((json.body as { name: string }[]).map((m) => m.name)).toContain('http_requests_total');
    const prometheus = await request(app)
      .get('/metrics')
      .set('accept', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1');
    expect(prometheus.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('leaves out the three process gauges that break Prometheus naming rules', async () => {
    const { app } = itemsApp({ metricsPublic: true });
    const res = await request(app).get('/metrics');
    expect(res.text).not.toMatch(/nodejs_active_(handles|requests|resources)_total/);
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('answers a JSON 404 with the request id when metrics are switched off', async () => {
    const { app } = itemsApp({ environment: { OBS_METRICS_ENABLED: 'false' } });
    const res = await request(app).get('/metrics').set('x-request-id', 'm-404');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'SIGHTLINE_ERR_NOT_FOUND', message: 'Metrics are switched off', request_id: 'm-404' } });
  });

  it('exposes what logging dropped and contained', async () => {
    const { app, obs } = itemsApp({ logSamplingRateInfo: 0 });
    await request(app).get('/v1/items/1');
    expect(await metricValue(obs.metrics.registry, 'sightline_log_lines_dropped_total', { reason: 'sampling' })).toBe(2);
    expect(await metricValue(obs.metrics.registry, 'sightline_log_failures_total', { kind: 'transport' })).toBe(0);
  });
});
