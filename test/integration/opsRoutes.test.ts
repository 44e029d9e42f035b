import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createObservability, type Observability, type ObservabilityOptions } from '../../middleware';
import { captureLogs } from '../../src/testing';
import { waitForLines } from '../support/observedApp';

const TOKEN = 'ops-routes-admin-token-01';
const AUTH = `Bearer ${TOKEN}`;

function opsApp(options: ObservabilityOptions = {}, routes?: (app: express.Express, obs: Observability) => void) {
  const logs = captureLogs();
  const obs = createObservability({ service: 'ops', environment: {}, adminToken: TOKEN, logger: { transports: [logs] }, ...options });
  const app = express();
  app.use(obs.middleware());
  app.use(obs.routes());
  app.get('/v1/ping', (_req, res) => {
    res.json({ pong: true });
  });
  routes?.(app, obs);
  app.use(obs.notFound());
  app.use(obs.errorHandler());
  return { app, obs, logs };
}

describe('GET/PUT /ops/config', () => {
  it('answers the settings in force', async () => {
    const { app } = opsApp({ logSamplingRateInfo: 0.5 });
    const res = await request(app).get('/ops/config').set('authorization', AUTH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ log_level: 'info', log_sampling_rate_info: 0.5, event_sampling: expect.any(Object) });
  });

  it('changes the log level and sampling rate without a restart, effective on the next request', async () => {
    const { app, logs } = opsApp();
    await request(app).get('/v1/ping').set('x-request-id', 'before');
    expect(logs.find('request completed', 'before')).toHaveLength(1);

    const put = await request(app).put('/ops/config').set('authorization', AUTH).send({ log_sampling_rate_info: 0 });
    expect(put.status).toBe(200);
    expect(put.body.changes).toEqual([{ setting: 'log_sampling_rate_info', old: 1, new: 0 }]);
    await request(app).get('/v1/ping').set('x-request-id', 'sampled-away');
    expect(logs.find('request completed', 'sampled-away')).toHaveLength(0);

    await request(app).put('/ops/config').set('authorization', AUTH).send({ log_sampling_rate_info: 1, log_level: 'warn' });
    await request(app).get('/v1/ping').set('x-request-id', 'quiet');
    expect(logs.find('request started', 'quiet')).toHaveLength(0);
    await request(app).get('/v1/nope').set('x-request-id', 'still-warns');
    await waitForLines(logs, (line) => line.message === 'request completed' && line.request_id === 'still-warns');

    const changes = logs.find('setting changed at run time').map(({ setting, old, new: value }) => [setting, old, value]);
    expect(changes).toEqual([
      ['log_sampling_rate_info', 1, 0],
      ['log_level', 'info', 'warn'],
      ['log_sampling_rate_info', 0, 1],
    ]);
  });

  it('rejects invalid values with 400 naming the field and the allowed values, and changes nothing', async () => {
    const { app, obs } = opsApp();
    const res = await request(app)
      .put('/ops/config')
      .set('authorization', AUTH)
      .set('x-request-id', 'bad-config')
      .send({ log_level: 'chatty', log_sampling_rate_info: 0.2 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_BAD_REQUEST', request_id: 'bad-config' });
    expect(res.body.error.message).toMatch(/^Nothing changed\. log_level: expected one of fatal, error, warn, info, http, verbose, debug, silly$/);
    expect(res.body.fields).toEqual([{ field: 'log_level', message: expect.stringContaining('expected one of') }]);
    expect(obs.logger.level).toBe('info');
    expect(obs.settings.logSamplingRateInfo).toBe(1);
  });

  it('answers malformed JSON and other media types with a JSON error carrying the request id', async () => {
    const { app } = opsApp();
    const malformed = await request(app)
      .put('/ops/config')
      .set('authorization', AUTH)
      .set('content-type', 'application/json')
      .set('x-request-id', 'broken-json')
      .send('{"log_level": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_MALFORMED_JSON', request_id: 'broken-json' });
    const text = await request(app).put('/ops/config').set('authorization', AUTH).set('content-type', 'text/plain').send('log_level=debug');
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['{"event_sampling":{"__proto__":{"pool.*":0.5}}}', 'event_sampling.__proto__'],
    ['{"event_sampling":{"constructor":0.5}}', 'event_sampling.constructor'],
    ['{"event_sampling":{"prototype":0.5}}', 'event_sampling.prototype'],
    ['{"__proto__":{"log_level":"debug"}}', '__proto__'],
  ])('refuses the reserved key in %s with 400 naming %s, and changes nothing', async (body, field) => {
    const { app, obs } = opsApp();
    const res = await request(app)
      .put('/ops/config')
      .set('authorization', AUTH)
      .set('content-type', 'application/json')
      .set('x-request-id', 'reserved-key')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'SIGHTLINE_ERR_BAD_REQUEST', request_id: 'reserved-key' });
    expect(res.body.error.message).toBe(`Nothing changed. ${field}: reserved key; __proto__, constructor and prototype are refused`);
    expect(res.body.fields).toEqual([{ field, message: expect.stringContaining('reserved key') }]);
    expect(obs.events.samplingRates()).toEqual({});
    expect(obs.logger.level).toBe('info');
  });
});

describe('POST /ops/jobs/:name', () => {
  it('runs a registered job and answers its output and duration', async () => {
    const { app, obs } = opsApp();
    obs.jobs.register('warm-cache', () => Promise.resolve({ warmed: 12 }));
    const res = await request(app).post('/ops/jobs/warm-cache').set('authorization', AUTH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ job: 'warm-cache', result: 'succeeded', duration_ms: expect.any(Number), output: { warmed: 12 } });
    const list = await request(app).get('/ops/jobs').set('authorization', AUTH);
    expect(list.body.jobs).toEqual([expect.objectContaining({ name: 'warm-cache', last_result: 'succeeded', running: false })]);
  });

  it('answers 404 for an unknown job and 409 for one already running', async () => {
    const { app, obs } = opsApp();
    let release = (): void => undefined;
    obs.jobs.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    expect((await request(app).post('/ops/jobs/nope').set('authorization', AUTH)).status).toBe(404);
    const first = request(app).post('/ops/jobs/slow').set('authorization', AUTH).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await request(app).post('/ops/jobs/slow').set('authorization', AUTH);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('SIGHTLINE_ERR_CONFLICT');
    release();
    expect((await first).status).toBe(200);
  });

  it('answers a failed job with 500, its message redacted, never its stack', async () => {
    const { app, obs, logs } = opsApp();
    obs.jobs.register('rotate', () => {
      throw new Error('could not reach https://admin:hunter2@vault.internal/rotate');
    });
    const res = await request(app).post('/ops/jobs/rotate').set('authorization', AUTH);
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('SIGHTLINE_ERR_JOB_FAILED');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    expect(logs.find('job failed')).toHaveLength(1);
  });
});

describe('POST /ops/trace/test and GET /ops/events', () => {
  it('says plainly that tracing is off when it is', async () => {
    const { app } = opsApp();
    const res = await request(app).post('/ops/trace/test').set('authorization', AUTH);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe('Tracing is switched off (OBS_TRACING_ENABLED)');
  });

  it('validates the event limit', async () => {
    const { app } = opsApp();
    for (const limit of ['0', '1001', 'ten', '1.5']) {
      const res = await request(app).get(`/ops/events?limit=${limit}`).set('authorization', AUTH);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('limit must be an integer from 1 to 1000');
    }
  });
});

describe('GET /ops/requests/:request_id', () => {
  it('answers the timeline of a recent request: its log lines in order with the time since the first', async () => {
    const { app } = opsApp({}, (routes, obs) => {
      routes.get('/v1/work', (_req, res) => {
        obs.logger.info('upstream called', { upstream: 'baseline' });
        setTimeout(() => {
          obs.logger.warn('gap over the contract', { gap_ms: 2100 });
          res.json({ done: true });
        }, 30);
      });
    });
    await request(app).get('/v1/work').set('x-request-id', 'timeline-1').expect(200);
    await request(app).get('/v1/ping').set('x-request-id', 'timeline-other').expect(200);
    const res = await request(app).get('/ops/requests/timeline-1').set('authorization', AUTH);
    expect(res.status).toBe(200);
    expect(res.body.request_id).toBe('timeline-1');
    const messages = res.body.lines.map((line: { message: string }) => line.message);
    expect(messages).toEqual(['request started', 'upstream called', 'gap over the contract', 'request completed']);
    for (const line of res.body.lines) expect(line.request_id).toBe('timeline-1');
    expect(res.body.lines[2].elapsed_ms).toBeGreaterThanOrEqual(25);
    expect(res.body.lines_dropped).toBe(0);
  });

  it('includes lines still waiting for their batch to be written', async () => {
    const destination = new PassThrough();
    destination.resume();
    const { app } = opsApp({ logger: { destination } });
    await request(app).get('/v1/ping').set('x-request-id', 'batched-1').expect(200);
    const res = await request(app).get('/ops/requests/batched-1').set('authorization', AUTH);
    expect(res.body.lines.map((line: { message: string }) => line.message)).toEqual(['request started', 'request completed']);
  });

  it('keeps only the latest requests and a bounded number of lines per request', async () => {
    const { app } = opsApp({ timeline: { requests: 2, linesPerRequest: 3 } }, (routes, obs) => {
      routes.get('/v1/chatty', (_req, res) => {
        for (let index = 0; index < 5; index += 1) obs.logger.info('step', { index });
        res.json({});
      });
    });
    await request(app).get('/v1/chatty').set('x-request-id', 'old').expect(200);
    await request(app).get('/v1/chatty').set('x-request-id', 'middle').expect(200);
    // Reading is a request too: its own lines push the oldest request out.
    const kept = await request(app).get('/ops/requests/middle').set('authorization', AUTH);
    expect(kept.body.lines).toHaveLength(3);
    const evicted = await request(app).get('/ops/requests/old').set('authorization', AUTH);
    expect(evicted.status).toBe(404);
    expect(evicted.body.error.message).toMatch(/No recent request has this id/);
    expect(kept.body.lines_dropped).toBe(4);
  });

  it('refuses a malformed id, and answers 401 without the admin token', async () => {
    const { app } = opsApp();
    const bad = await request(app).get('/ops/requests/has%20space').set('authorization', AUTH);
    expect(bad.status).toBe(400);
    expect(bad.body.error.request_id).toEqual(expect.any(String));
    expect((await request(app).get('/ops/requests/anything')).status).toBe(401);
  });

  it('says when timelines are switched off', async () => {
    const { app } = opsApp({ timeline: false });
    await request(app).get('/v1/ping').set('x-request-id', 'off-1').expect(200);
    const res = await request(app).get('/ops/requests/off-1').set('authorization', AUTH);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('Request timelines are switched off');
  });
});
