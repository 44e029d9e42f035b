import OpenAI from 'openai';
import type { GatewayAppOptions } from '../../gateway/app';
import { metricValue } from '../../src/testing';
import { destroyAtOnce, hang, json, sse, startBlackhole, startFakeCompetitor, words, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, completedLine, dataEvents, post, startGateway, type RunningGateway, gatewayOnFakeCompetitor } from '../support/gatewayHarness';
import { freePort } from '../../scripts/pipeline';

const messages = [{ role: 'user' as const, content: 'Hi' }];

describe('gateway: bad requests', () => {
  let fake: FakeCompetitor;
  let running: RunningGateway;

  beforeAll(async () => {
    fake = await startFakeCompetitor();
    running = await startGateway({ competitors: [{ id: 'baseline', url: fake.url }] });
  });

  afterAll(async () => {
    await running.close();
    await fake.close();
  });

  const cases: [string, string | Buffer, number, Record<string, unknown>][] = [
    ['malformed JSON', '{"model": "baseline", "messages": [', 400, { type: 'invalid_request_error', code: 'SIGHTLINE_ERR_MALFORMED_JSON' }],
    ['an unknown model', chatBody('nobody'), 404, { param: 'model', code: 'model_not_found' }],
    [
      'a body over 1 MB',
      JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] }),
      413,
      { type: 'invalid_request_error', code: 'SIGHTLINE_ERR_BODY_TOO_LARGE' },
    ],
    ['missing messages', JSON.stringify({ model: 'baseline' }), 400, { param: 'messages', code: 'missing_required_parameter' }],
    ['no messages', JSON.stringify({ model: 'baseline', messages: [] }), 400, { param: 'messages', code: 'invalid_value' }],
    ['a message without a role', JSON.stringify({ model: 'baseline', messages: [{ content: 'Hi' }] }), 400, { param: 'messages[0].role', code: 'missing_required_parameter' }],
    ['a model that is not a string', JSON.stringify({ model: 7, messages }), 400, { param: 'model', code: 'invalid_value' }],
    ['a body that is not an object', '[1, 2]', 400, { param: null, code: 'invalid_request_body' }],
    ['stream that is not a boolean', chatBody('baseline', { stream: 'yes' }), 400, { param: 'stream', code: 'invalid_value' }],
  ];

  const headerCases: [string, Record<string, string>, number, Record<string, unknown>][] = [
    ['a body that is not JSON', { 'content-type': 'text/plain' }, 400, { param: null, code: 'invalid_request_body' }],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=latin1' }, 415, { code: 'SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE' }],
    ['a compressed body', { 'content-encoding': 'gzip' }, 415, { code: 'SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE' }],
  ];

  it.each([
    ...cases.map(([name, body, status, expected]) => [name, body, {}, status, expected] as const),
    ...headerCases.map(([name, headers, status, expected]) => [name, chatBody('baseline'), headers, status, expected] as const),
  ])('answers %s in OpenAI error shape with the request id, and keeps serving', async (_name, body, headers, status, expected) => {
    const res = await post(`${running.url}/v1/chat/completions`, body, { 'x-request-id': 'bad-input', ...headers });
    expect(res.status).toBe(status);
    const parsed = JSON.parse(res.body) as { error: Record<string, unknown> };
    expect(parsed.error).toMatchObject({ ...expected, request_id: 'bad-input' });
    expect(typeof parsed.error.message).toBe('string');
    expect(Object.keys(parsed.error).sort()).toEqual(['code', 'message', 'param', 'request_id', 'type']);

    const after = await running.client.chat.completions.create({ model: 'baseline', messages });
    expect(after.choices[0]?.message.content).toBe('Hello from the fake competitor');
  });

  it('raises NotFoundError in the openai client for an unknown model, and 404s unknown routes in the same shape', async () => {
    const error = await running.client.chat.completions.create({ model: 'nobody', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const res = await post(`${running.url}/v1/completions`, chatBody('baseline'));
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { type: 'not_found_error' } });
  });
});

describe('gateway: a competitor failing before the first byte', () => {
  const started: RunningGateway[] = [];
  const fakes: FakeCompetitor[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.close()));
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  async function gatewayTo(url: string, options: Partial<GatewayAppOptions> = {}) {
    const running = await startGateway({ competitors: [{ id: 'baseline', url }], ...options });
    started.push(running);
    return running;
  }

  async function fakeWith(script: Parameters<typeof startFakeCompetitor>[0]) {
    const fake = await startFakeCompetitor(script);
    fakes.push(fake);
    return fake;
  }

  it('answers 502 when the competitor refuses the connection, and logs upstream_error', async () => {
    const running = await gatewayTo(`http://127.0.0.1:${await freePort()}`);
    for (const stream of [true, false]) {
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream }), { 'x-request-id': `refused-${stream}` });
      expect(res.status).toBe(502);
      expect(JSON.parse(res.body)).toMatchObject({
        error: { type: 'api_error', code: 'upstream_connection_error', request_id: `refused-${stream}` },
      });
    }
    const line = await completedLine(running.logs, 'refused-true');
    expect(line).toMatchObject({ status: 502, outcome: 'upstream_error', outcome_reason: 'connection_error', competitor_id: 'baseline' });
    expect(line.upstream_error).toMatch(/ECONNREFUSED/);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: 'connection_error' })).toBe(2);
  });

  it('answers 504 when the connection does not open within the connect timeout', async () => {
    const blackhole = await startBlackhole();
    try {
      const running = await gatewayTo(blackhole.url, { connectTimeoutMs: 300 });
      const startedAt = Date.now();
      const error = await running.client.chat.completions
        .create({ model: 'baseline', messages, stream: true }, { headers: { 'x-request-id': 'connect-timeout' } })
        .catch((e: unknown) => e);
      const elapsed = Date.now() - startedAt;
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('connect_timeout');
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(2000);
      const line = await completedLine(running.logs, 'connect-timeout');
      expect(line).toMatchObject({ status: 504, outcome: 'timeout', outcome_reason: 'connect' });
      const registry = running.gateway.obs.metrics.registry;
      expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'timeout' })).toBe(1);
    } finally {
      blackhole.close();
    }
  });

  it('answers 504 within the connect timeout when every pooled connection stays busy', async () => {
    const fake = await fakeWith(hang);
    const running = await gatewayTo(fake.url, { upstreamMaxSockets: 1, connectTimeoutMs: 300, firstTokenTimeoutMs: 15_000 });
    const holder = new AbortController();
    const holding = post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), {}, holder.signal).catch(() => undefined);
    await fake.waitForRequests(1);
    const startedAt = Date.now();
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'pool-busy' });
    const elapsed = Date.now() - startedAt;
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'connect_timeout' } });
    expect((JSON.parse(res.body) as { error: { message: string } }).error.message).toMatch(/every one of its 1 connections stayed busy/);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3000);
    expect(await completedLine(running.logs, 'pool-busy')).toMatchObject({ status: 504, outcome: 'timeout', outcome_reason: 'connect' });
    holder.abort();
    await holding;
    expect(fake.requests).toHaveLength(1);
  });

  it('answers 502 for a competitor 5xx, streaming or not', async () => {
    const fake = await fakeWith(json(503, { error: { message: 'overloaded' } }));
    const running = await gatewayTo(fake.url);
    for (const stream of [true, false]) {
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream }), { 'x-request-id': `5xx-${stream}` });
      expect(res.status).toBe(502);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_http_status', message: 'baseline answered HTTP 503' } });
    }
    expect(await completedLine(running.logs, '5xx-true')).toMatchObject({ outcome: 'upstream_error', outcome_reason: 'http_status', upstream_status: 503 });
  });

  it('answers 502 when the competitor closes the connection without answering', async () => {
    const fake = await fakeWith(destroyAtOnce);
    const running = await gatewayTo(fake.url);
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_connection_error' } });
  });

  it('answers 504 idle_timeout when the competitor accepts but never answers', async () => {
    const fake = await fakeWith(hang);
    const running = await gatewayTo(fake.url, { idleTimeoutMs: 300 });
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'idle-before' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { type: 'timeout_error', code: 'idle_timeout' } });
    expect(await completedLine(running.logs, 'idle-before')).toMatchObject({ outcome: 'timeout', outcome_reason: 'idle' });
    const [request] = await fake.waitForRequests(1);
    await request?.closed;
    expect(request?.abortedByCaller).toBe(true);
  });

  it('answers 504 first_token_timeout when the competitor sends headers and nothing else', async () => {
    const fake = await fakeWith(sse(['hang']));
    const running = await gatewayTo(fake.url, { firstTokenTimeoutMs: 300, keepaliveIntervalMs: 5000 });
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'ft-before' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'first_token_timeout' } });
    expect(await completedLine(running.logs, 'ft-before')).toMatchObject({ outcome: 'timeout', outcome_reason: 'first_token' });
  });

  it('answers 504 when a non-streaming competitor does not start its answer in time', async () => {
    const fake = await fakeWith(hang);
    const running = await gatewayTo(fake.url, { firstTokenTimeoutMs: 300 });
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'));
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'first_token_timeout' } });
  });
});

describe('gateway: a competitor failing mid-stream', () => {
  const { fake: currentFake, gateway } = gatewayOnFakeCompetitor();
  let fake: FakeCompetitor;
  beforeAll(() => {
    fake = currentFake();
  });

  async function consume(running: RunningGateway, requestId: string): Promise<{ text: string; error: unknown }> {
    let text = '';
    try {
      const stream = await running.client.chat.completions.create({ model: 'baseline', messages, stream: true }, { headers: { 'x-request-id': requestId } });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return { text, error: undefined };
    } catch (error) {
      return { text, error };
    }
  }

  it('ends with an error event the openai client raises as an APIError when the competitor dies', async () => {
    const running = await gateway();
    fake.script(sse(['role', { content: 'Hel' }, { wait: 20 }, { content: 'lo' }, { wait: 20 }, 'destroy']));
    const { text, error } = await consume(running, 'died');
    expect(text).toBe('Hello');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('baseline closed the stream before it ended');
    const line = await completedLine(running.logs, 'died');
    expect(line).toMatchObject({ status: 200, outcome: 'upstream_error', outcome_reason: 'interrupted', competitor_id: 'baseline' });

    const raw = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'died-raw' });
    const last = JSON.parse(dataEvents(raw.body).at(-1) as string) as { error: Record<string, unknown> };
    expect(last.error).toEqual({
      message: 'baseline closed the stream before it ended',
      type: 'upstream_error',
      param: null,
      code: 'upstream_interrupted',
      request_id: 'died-raw',
    });
  });

  it("passes the competitor's own error event through and counts the stream as upstream_error", async () => {
    const running = await gateway();
    fake.script(sse(['role', { content: 'Hi' }, { wait: 10 }, { error: { message: 'model crashed', code: 'model_error' } }, 'hang']));
    const { error } = await consume(running, 'upstream-error-event');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('model crashed');
    const line = await completedLine(running.logs, 'upstream-error-event');
    expect(line).toMatchObject({ outcome: 'upstream_error', outcome_reason: 'error_event', upstream_error: 'model crashed' });
    expect(
      await metricValue(running.gateway.obs.metrics.registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: 'error_event' }),
    ).toBe(1);
  });

  const timeouts: [string, Partial<GatewayAppOptions>, Parameters<typeof sse>[0]][] = [
    ['first_token', { firstTokenTimeoutMs: 300, keepaliveIntervalMs: 100 }, ['role', 'hang']],
    ['idle', { idleTimeoutMs: 300, keepaliveIntervalMs: 100 }, ['role', { content: 'Hi' }, 'hang']],
    ['total', { totalTimeoutMs: 400, firstTokenTimeoutMs: 400, idleTimeoutMs: 400, connectTimeoutMs: 400 }, []],
  ];

  it.each(timeouts)('ends a stream with a timeout_error event on the %s timeout', async (kind, options, steps) => {
    const running = await gateway(options);
    fake.script(kind === 'total' ? words('tick '.repeat(100), 20) : sse(steps));
    const startedAt = Date.now();
    const { error } = await consume(running, `timeout-${kind}`);
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe(`${kind}_timeout`);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('timeout_error');
    const line = await completedLine(running.logs, `timeout-${kind}`);
    expect(line).toMatchObject({ status: 200, outcome: 'timeout', outcome_reason: kind });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: kind })).toBe(1);
    expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'timeout' })).toBe(1);
    expect(await metricValue(registry, 'streams_total', { upstream: 'baseline', outcome: 'timeout' })).toBe(1);
  });
});
