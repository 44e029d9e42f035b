import request from 'supertest';
import { RequestError, type Observability } from '../../middleware';
import type { LogLine } from '../../src/testing';
import { sse, startFakeCompetitor, words, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, dataEvents, gatewayOnFakeCompetitor, post, startGateway, type RunningGateway } from '../support/gatewayHarness';
import { completedLine, listen, observedApp, waitForLines } from '../support/observedApp';
import { loadSchemas, SCHEMA_FILES } from '../support/schemaValidator';
import { freePort } from '../../scripts/pipeline';

/**
 * The contract of what sightline writes and answers, checked on real output: log lines
 * captured from real apps, health and error bodies read over HTTP from a sightline app and
 * from the reference gateway, all validated against `schemas/*.schema.json`. Every schema
 * is also shown to reject a broken instance, so a schema that accepts anything fails here.
 */

const schemas = loadSchemas();
const LOG_LINE = 'logLine.schema.json';
const ERROR_BODY = 'errorBody.schema.json';
const SIGHTLINE_ERROR = 'errorBody.schema.json#/$defs/sightline';
const OPENAI_ERROR = 'errorBody.schema.json#/$defs/openAi';
const health = (endpoint: string): string => `healthResponse.schema.json#/$defs/${endpoint}`;
const HEALTH_JSON = 'application/health+json';
const ADMIN_TOKEN = 'contract-admin-token-0123456789';

/** Passes when `value` is valid against `ref`; on failure shows ajv's errors beside the value. */
function expectValid(ref: string, value: unknown): void {
  expect({ ref, value, errors: schemas.errorsOf(ref, value) }).toEqual({ ref, value, errors: [] });
}

function expectInvalid(ref: string, value: unknown, expectedError: RegExp): void {
  const errors = schemas.errorsOf(ref, value);
  expect(errors.join('\n')).toMatch(expectedError);
}

/** A sightline app with the routes the contract cases need. */
function sightlineApp(configure: (obs: Observability) => void = () => undefined, environment: Record<string, string> = {}) {
  return observedApp(
    (app, obs) => {
      configure(obs);
      app.use(obs.routes());
      app.get('/v1/items/:id', (req, res) => {
        obs.context.set('customer_id', 'c-42');
        obs.logger.info('item loaded', { items: 3, password: 'hunter2' });
        res.json({ id: req.params.id });
      });
      app.post('/v1/items', (req, res) => {
        res.status(201).json({ received: req.body as unknown });
      });
      app.get('/v1/boom', () => {
        throw new Error('database exploded');
      });
      app.post('/v1/validate', () => {
        throw new RequestError(422, 'quantity must be positive', { param: 'quantity', reason: 'invalid_value' });
      });
      app.get('/v1/emit', (_req, res) => {
        obs.events.emit('pool.saturated', { queue_size: 12, available_workers: 0 }, { pool: 'sandbox' });
        res.json({ emitted: true });
      });
    },
    { environment: { OBS_ADMIN_TOKEN: ADMIN_TOKEN, ...environment } },
  );
}

describe('the schemas', () => {
  it.each(SCHEMA_FILES)('%s compiles under ajv 8 (draft 2020-12, formats, strict types)', (file) => {
    expect(() => schemas.errorsOf(file, {})).not.toThrow();
  });
});

describe('log lines from a real sightline app', () => {
  it('validates every line a mix of requests writes: access log, app lines, errors, events', async () => {
    const { app, logs } = sightlineApp();
    const server = await listen(app);
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const answers = await Promise.all([
        fetch(`${base}/v1/items/7`, { headers: { 'x-request-id': 'contract-ok', 'user-agent': 'contract-test' } }),
        fetch(`${base}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'contract-created' }, body: '{"sku":"a-1"}' }),
        fetch(`${base}/v1/items`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'contract-malformed' }, body: '{"sku":' }),
        fetch(`${base}/nowhere/9`, { headers: { 'x-request-id': 'contract-missing' } }),
        fetch(`${base}/v1/boom`, { headers: { 'x-request-id': 'contract-boom' } }),
        fetch(`${base}/v1/validate`, { method: 'POST', headers: { 'x-request-id': 'contract-invalid' } }),
        fetch(`${base}/v1/emit`, { headers: { 'x-request-id': 'contract-event' } }),
        fetch(`${base}/ops/config`, { headers: { 'x-request-id': 'contract-refused', authorization: 'Bearer wrong' } }),
      ]);
      expect(answers.map((res) => res.status)).toEqual([200, 201, 400, 404, 500, 422, 200, 401]);
      await Promise.all(answers.map((res) => res.arrayBuffer()));
      for (const id of ['contract-ok', 'contract-created', 'contract-malformed', 'contract-missing', 'contract-boom', 'contract-invalid', 'contract-event', 'contract-refused']) {
        await completedLine(logs, id);
      }
      await waitForLines(logs, (line) => line.message === 'event' && line.event === 'pool.saturated');
    } finally {
      await server.close();
    }

    const messages = new Set(logs.lines.map((line) => line.message));
    for (const expected of ['request started', 'request completed', 'item loaded', 'request failed', 'request rejected', 'event', 'admin request refused']) {
      expect(messages).toContain(expected);
    }
    const statuses = logs.find('request completed').map((line) => line.status);
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 400, 404, 500, 422, 401]));
    for (const line of logs.lines) expectValid(LOG_LINE, line);
  });

  it('validates the lines of a streamed completion through the gateway, with the stream figures', async () => {
    await withGateway(async ({ running, fake }) => {
      fake.script(words('Hello from the contract test', 5));
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'contract-stream' });
      expect(res.status).toBe(200);
      const completed = await waitForLines(running.logs, (line) => line.message === 'request completed' && line.request_id === 'contract-stream');
      expect(completed[0]).toMatchObject({ outcome: 'completed', route: '/v1/chat/completions' });
      expect(completed[0]!.ttft_ms).toEqual(expect.any(Number));
      expect(running.logs.lines.length).toBeGreaterThan(3);
      for (const line of running.logs.lines) expectValid(LOG_LINE, line);
    });
  });
});

describe('health responses from a real sightline app', () => {
  it('validates /health, /health/live, /health/ready, /health/startup and /health/detailed, in JSON and in health+json', async () => {
    const { app } = sightlineApp((obs) => {
      obs.health.register('db', async () => ({ ok: true, observed: 3 }), { critical: true, timeoutMs: 500 });
      obs.health.register('search', async () => ({ ok: false, message: 'index rebuilding' }), { critical: false, timeoutMs: 500 });
      obs.health.registerPool('sandbox', () => ({ total: 4, available: 3, busy: 1 }));
    });
    const endpoints = ['health', 'live', 'ready', 'startup', 'detailed'] as const;
    for (const endpoint of endpoints) {
      const path = endpoint === 'health' ? '/health' : `/health/${endpoint}`;
      const json = await request(app).get(path).set('accept', 'application/json');
      expect(json.status).toBe(200);
      expectValid(health(endpoint), JSON.parse(json.text));
      expectValid('healthResponse.schema.json', JSON.parse(json.text));
      const draft = await request(app).get(path).set('accept', HEALTH_JSON);
      expect(draft.headers['content-type']).toContain(HEALTH_JSON);
      expectValid(health('healthJson'), JSON.parse(draft.text));
    }
    const ready = await request(app).get('/health/ready');
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'warn', checks: { search: { ok: false, message: 'index rebuilding' } } });
  });

  it('validates the 503 answers: a failing critical check, a pending and a failed startup task, draining', async () => {
    const { app, obs } = sightlineApp((o) => {
      o.health.register('db', async () => false, { critical: true, timeoutMs: 200 });
      o.health.startupTask('warm-cache', new Promise(() => undefined));
      o.health.startupTask('migrations', Promise.reject(new Error('schema 41, expected 42')));
    });
    await new Promise((resolve) => setImmediate(resolve));
    const starting = await request(app).get('/health/ready');
    expect(starting.status).toBe(503);
    expect(JSON.parse(starting.text)).toMatchObject({ status: 'fail', reason: 'starting', pending: ['warm-cache'] });
    expectValid(health('ready'), JSON.parse(starting.text));
    const startup = await request(app).get('/health/startup');
    expect(startup.status).toBe(503);
    expect(JSON.parse(startup.text)).toMatchObject({ failed: [{ task: 'migrations', message: 'schema 41, expected 42' }] });
    expectValid(health('startup'), JSON.parse(startup.text));
    const detailed = await request(app).get('/health/detailed');
    expect(detailed.status).toBe(503);
    expectValid(health('detailed'), JSON.parse(detailed.text));
    for (const path of ['/health/ready', '/health/startup', '/health/detailed']) {
      expectValid(health('healthJson'), JSON.parse((await request(app).get(path).set('accept', HEALTH_JSON)).text));
    }

    const failing = sightlineApp((o) => o.health.register('db', async () => ({ ok: false, message: 'connection refused' }), { critical: true, timeoutMs: 200 }));
    const failed = await request(failing.app).get('/health/ready');
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.text)).toMatchObject({ status: 'fail', checks: { db: { ok: false, critical: true } } });
    expectValid(health('ready'), JSON.parse(failed.text));

    await failing.obs.shutdown();
    const draining = await request(failing.app).get('/health/ready');
    expect(JSON.parse(draining.text)).toEqual({ status: 'fail', reason: 'draining' });
    expectValid(health('ready'), JSON.parse(draining.text));
    await obs.shutdown();
  });

  it('validates the 404 of switched-off health endpoints as a sightline error body', async () => {
    const { app } = sightlineApp(() => undefined, { OBS_HEALTH_ENABLED: 'false' });
    const res = await request(app).get('/health/ready');
    expect(res.status).toBe(404);
    expectValid(SIGHTLINE_ERROR, res.body);
    expectValid('healthResponse.schema.json', res.body);
  });

  it('validates the gateway health bodies, with a competitor check and pools', async () => {
    await withGateway(async ({ running }) => {
      for (const endpoint of ['health', 'live', 'ready', 'startup', 'detailed'] as const) {
        const path = endpoint === 'health' ? '/health' : `/health/${endpoint}`;
        const res = await fetch(`${running.url}${path}`);
        const body = (await res.json()) as unknown;
        expect([path, res.status]).toEqual([path, 200]);
        expectValid(health(endpoint), body);
      }
    });
  });
});

describe('error bodies', () => {
  it('validates sightline-format errors of a real app: malformed JSON, unknown route, too large, thrown, RequestError, 401', async () => {
    const { app } = sightlineApp();
    const cases = [
      { res: await request(app).post('/v1/items').set('content-type', 'application/json').send('{"sku":'), status: 400, code: 'SIGHTLINE_ERR_MALFORMED_JSON' },
      { res: await request(app).get('/v1/nothing/here'), status: 404, code: 'SIGHTLINE_ERR_NOT_FOUND' },
      { res: await request(app).post('/v1/items').send({ blob: 'x'.repeat(20_000) }), status: 413, code: 'SIGHTLINE_ERR_BODY_TOO_LARGE' },
      { res: await request(app).get('/v1/boom'), status: 500, code: 'SIGHTLINE_ERR_INTERNAL' },
      { res: await request(app).post('/v1/validate'), status: 422, code: 'SIGHTLINE_ERR_CLIENT' },
      { res: await request(app).get('/ops/config').set('authorization', 'Bearer wrong'), status: 401, code: 'SIGHTLINE_ERR_UNAUTHORIZED' },
    ];
    for (const { res, status, code } of cases) {
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
      expectValid(SIGHTLINE_ERROR, res.body);
      expectValid(ERROR_BODY, res.body);
    }
    expect(cases[3]!.res.body.error.message).toBe('Internal server error');
    expect(cases[4]!.res.body.error).toMatchObject({ param: 'quantity', reason: 'invalid_value' });
  });

  describe('from the gateway (OpenAI shape)', () => {
    const harness = gatewayOnFakeCompetitor();

    it('validates malformed JSON, unknown route, unknown model, missing messages, too large', async () => {
      const running = await harness.gateway();
      const cases = [
        { res: await post(`${running.url}/v1/chat/completions`, '{"model": "baseline", "messages": ['), status: 400 },
        { res: await post(`${running.url}/v1/nothing`, chatBody('baseline')), status: 404 },
        { res: await post(`${running.url}/v1/chat/completions`, chatBody('nobody')), status: 404 },
        { res: await post(`${running.url}/v1/chat/completions`, JSON.stringify({ model: 'baseline' })), status: 400 },
        { res: await post(`${running.url}/v1/chat/completions`, JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] })), status: 413 },
      ];
      for (const { res, status } of cases) {
        const body = JSON.parse(res.body) as unknown;
        expect([res.status, body]).toEqual([status, expect.objectContaining({ error: expect.any(Object) })]);
        expectValid(OPENAI_ERROR, body);
        expectValid(ERROR_BODY, body);
      }
    });

    it('validates the final error event of a stream the competitor cut', async () => {
      harness.fake().script(sse(['role', { content: 'Hel' }, { wait: 20 }, { content: 'lo' }, { wait: 20 }, 'destroy']));
      const running = await harness.gateway();
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'contract-cut' });
      expect(res.status).toBe(200);
      const last = dataEvents(res.body).at(-1);
      const event = JSON.parse(String(last)) as { error?: { type?: string } };
      expect(event.error?.type).toBe('upstream_error');
      expectValid(OPENAI_ERROR, event);
    });
  });

  it('validates the gateway 502 when its competitor is unreachable', async () => {
    const running = await startGateway({ competitors: [{ id: 'baseline', url: `http://127.0.0.1:${await freePort()}` }] });
    try {
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'));
      expect(res.status).toBe(502);
      expectValid(OPENAI_ERROR, JSON.parse(res.body));
    } finally {
      await running.close();
    }
  });
});

describe('each schema rejects a broken instance', () => {
  const goodLine: LogLine = {
    timestamp: '2026-11-22T08:01:02.362Z',
    level: 'info',
    message: 'request completed',
    service: 'orders',
    version: '1.4.0',
    env: 'production',
    target: 'http',
    request_id: '5b7f0a',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    method: 'GET',
    route: '/v1/orders/:id',
    status: 200,
    latency_ms: 17.204,
    bytes_in: 0,
    bytes_out: 27,
    outcome: 'completed',
  };

  it('log line: accepts the README example, rejects what breaks the contract', () => {
    expectValid(LOG_LINE, goodLine);
    const { timestamp: _timestamp, ...noTimestamp } = goodLine;
    expectInvalid(LOG_LINE, noTimestamp, /must have required property 'timestamp'/);
    expectInvalid(LOG_LINE, { ...goodLine, timestamp: '2026-11-22 08:01:02' }, /\/timestamp must match/);
    expectInvalid(LOG_LINE, { ...goodLine, level: 'notice' }, /\/level must be equal to one of the allowed values/);
    expectInvalid(LOG_LINE, { ...goodLine, status: '200' }, /\/status must be integer/);
    expectInvalid(LOG_LINE, { ...goodLine, trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' }, /\/trace_id must match pattern/);
    expectInvalid(LOG_LINE, { ...goodLine, status: 503 }, /\/level must be equal to constant/);
    const { route: _route, ...noRoute } = goodLine;
    expectInvalid(LOG_LINE, noRoute, /must have required property 'route'/);
    expectInvalid(LOG_LINE, { ...goodLine, route: 'orders/7' }, /\/route must match pattern/);
    const { span_id: _span, ...traceWithoutSpan } = goodLine;
    expectInvalid(LOG_LINE, traceWithoutSpan, /must have property span_id when property trace_id is present/);
  });

  it('health response: rejects a body missing a field, a check without its result, an unknown status', () => {
    expectValid(health('health'), { status: 'ok', service: 'orders', version: '1.4.0', commit: null, uptime_s: 1.5 });
    expectInvalid(health('health'), { status: 'ok', version: '1.4.0', commit: null, uptime_s: 1.5 }, /must have required property 'service'/);
    expectInvalid(health('ready'), { status: 'ok', checks: { db: { critical: true, latency_ms: 2 } } }, /must have required property 'ok'/);
    expectInvalid(health('ready'), { status: 'fine', checks: {} }, /\/status must be equal to one of the allowed values/);
    expectInvalid(health('healthJson'), { status: 'ok' }, /\/status must be equal to one of the allowed values/);
    expectInvalid('healthResponse.schema.json', { status: 'ok', stack: 'Error: boom\n    at x' }, /must match a schema in anyOf/);
  });

  it('error body: rejects an unknown code, a missing OpenAI field, a stack trace in the message', () => {
    expectInvalid(SIGHTLINE_ERROR, { error: { code: 'SIGHTLINE_ERR_OOPS', message: 'x', request_id: 'r' } }, /\/error\/code must be equal to one of the allowed values/);
    expectInvalid(OPENAI_ERROR, { error: { message: 'x', type: 'invalid_request_error', code: null } }, /must have required property 'param'/);
    expectInvalid(SIGHTLINE_ERROR, { error: { code: 'SIGHTLINE_ERR_INTERNAL', message: 'Error: boom\n    at handler (app.js:1:1)' } }, /\/error\/message must NOT be valid/);
    expectInvalid(ERROR_BODY, { message: 'not wrapped in error' }, /must match exactly one schema in oneOf/);
  });
});

/** One gateway in front of one fake competitor for a single test, both closed however the test ends. */
async function withGateway(test: (context: { running: RunningGateway; fake: FakeCompetitor }) => Promise<void>): Promise<void> {
  const fake = await startFakeCompetitor();
  const running = await startGateway({ competitors: [{ id: 'baseline', url: fake.url }] });
  try {
    await test({ running, fake });
  } finally {
    await running.close();
    await fake.close();
  }
}
