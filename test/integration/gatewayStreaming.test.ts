import OpenAI from 'openai';
import { metricValue } from '../../src/testing';
import { answer, json, sse, startFakeCompetitor, stepText, words, type FakeCompetitor, type Step } from '../support/fakeCompetitor';
import { chatBody, completedLine, dataEvents, post, startGateway, type RunningGateway } from '../support/gatewayHarness';
import { waitForLines } from '../support/observedApp';

describe('gateway streaming', () => {
  let fake: FakeCompetitor;
  let running: RunningGateway;

  beforeEach(async () => {
    fake = await startFakeCompetitor();
    running = await startGateway({ competitors: [{ id: 'baseline', url: fake.url }] }, { LOG_LEVEL: 'debug' });
  });

  afterEach(async () => {
    await running.close();
    await fake.close();
  });

  it('streams a completion to the openai client and logs the stream figures', async () => {
    fake.script(words('Hello brave new world', 20));
    const stream = await running.client.chat.completions.create(
      { model: 'baseline', messages: [{ role: 'user', content: 'Hi' }], stream: true },
      { headers: { 'x-request-id': 'stream-ok' } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello brave new world');

    const line = await completedLine(running.logs, 'stream-ok');
    expect(line).toMatchObject({
      route: '/v1/chat/completions',
      status: 200,
      outcome: 'completed',
      upstream: 'baseline',
      competitor_id: 'baseline',
      events: 7,
      contract_violations: [],
    });
    for (const field of ['ttft_ms', 'upstream_ttft_ms', 'max_gap_ms', 'max_content_gap_ms', 'bytes_out']) {
      expect(typeof line[field]).toBe('number');
    }
    expect(line.ttft_ms as number).toBeGreaterThanOrEqual(line.upstream_ttft_ms as number);
    expect(line.max_content_gap_ms as number).toBeGreaterThanOrEqual(15);

    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'streams_total', { upstream: 'baseline', outcome: 'completed' })).toBe(1);
    expect(await metricValue(registry, 'gateway_upstream_ttft_seconds_count', { competitor: 'baseline' })).toBe(1);
  });

  it('writes the competitor bytes unchanged, with the headers an SSE stream needs, and passes trace context on', async () => {
    const steps: Step[] = ['role', { reasoning: 'Thinking…' }, 'ping', { content: 'Grüße ' }, { content: '🙂' }, { finish: 'stop' }, 'done'];
    fake.script(sse(steps));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'raw-1' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache, no-transform');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toBe(steps.map(stepText).join(''));

    const [upstream] = fake.requests;
    expect(upstream?.headers['x-request-id']).toBe('raw-1');
    expect(upstream?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(upstream?.headers.accept).toBe('text/event-stream');
    expect(upstream?.body).toEqual(JSON.parse(chatBody('baseline', { stream: true })));
    const line = await completedLine(running.logs, 'raw-1');
    expect(line).toMatchObject({ keepalives: 1, bytes_out: Buffer.byteLength(res.body) });
  });

  it('times the first token from reasoning content, not from janus events (whatever their payload), and logs them', async () => {
    fake.script(
      sse([
        'role',
        { janus: { event: 'sandbox_start', payload: { sandbox: 'py-1', content: 'not a token' } } },
        { janus: { event: 'tool_start', payload: { tool: 'calc' } } },
        { wait: 120 },
        { janus: { event: 'tool_end', payload: { tool: 'calc', error: { message: 'retrying' } } } },
        { reasoning: 'It is 4.' },
        { content: '4' },
        { janus: { event: 'sandbox_end', payload: { sandbox: 'py-1' } } },
        { finish: 'stop' },
        'done',
      ]),
    );
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'janus-1' });
    const line = await completedLine(running.logs, 'janus-1');
    expect(line.outcome).toBe('completed');
    expect(line.upstream_ttft_ms as number).toBeGreaterThanOrEqual(110);
    expect(line.janus_events).toEqual([
      { event: 'sandbox_start', payload: { sandbox: 'py-1', content: 'not a token' } },
      { event: 'tool_start', payload: { tool: 'calc' } },
      { event: 'tool_end', payload: { tool: 'calc', error: { message: 'retrying' } } },
      { event: 'sandbox_end', payload: { sandbox: 'py-1' } },
    ]);
    const events = running.logs.find('stream event', 'janus-1');
    expect(events.map((l) => l.janus_event)).toEqual(['sandbox_start', 'tool_start', 'tool_end', 'sandbox_end']);
    expect(events[0]).toMatchObject({ level: 'info', target: 'gateway', competitor_id: 'baseline' });
    // The list joins the completed line only: on every stream event line it would grow the log quadratically.
    expect(events.filter((l) => 'janus_events' in l)).toEqual([]);
  });

  it('counts a tool call as content', async () => {
    fake.script(sse(['role', { wait: 50 }, { toolCall: { name: 'calc', arguments: '{"x":1}' } }, { finish: 'tool_calls' }, 'done']));
    const stream = await running.client.chat.completions.create({
      model: 'baseline',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const names: string[] = [];
    for await (const chunk of stream) {
      const name = chunk.choices[0]?.delta.tool_calls?.[0]?.function?.name;
      if (name !== undefined) names.push(name);
    }
    expect(names).toEqual(['calc']);
    const [line] = await waitForLines(running.logs, (l) => l.message === 'request completed' && l.competitor_id === 'baseline');
    expect(line?.upstream_ttft_ms as number).toBeGreaterThanOrEqual(40);
  });

  it('forwards a non-streaming completion and answers its JSON', async () => {
    fake.script(answer);
    const completion = await running.client.chat.completions.create({ model: 'baseline', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from the fake competitor');
    expect(fake.requests[0]?.headers.accept).toBe('application/json');
    const [line] = await waitForLines(running.logs, (l) => l.message === 'request completed' && l.competitor_id === 'baseline');
    expect(line).toMatchObject({ status: 200, outcome: 'completed', upstream_status: 200 });
    expect(line?.ttft_ms).toBeUndefined();
  });

  it("sends the client's request body to the competitor byte for byte, streaming or not", async () => {
    for (const stream of [false, true]) {
      const body = `{ "model":"baseline",\n  "messages": [{"role": "user", "content": "Caf\u00e9 \\u00e9"}], "x_extra": [1, 2.50], "stream": ${stream} }`;
      const res = await post(`${running.url}/v1/chat/completions`, body);
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)?.rawBody).toBe(body);
      expect(fake.requests.at(-1)?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    }
  });

  it('passes a competitor 4xx through, streaming or not, without counting it against the competitor', async () => {
    const refusal = { error: { message: 'context too long', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } };
    fake.script(json(400, refusal));
    const error = await running.client.chat.completions
      .create({ model: 'baseline', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');

    const streamed = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    expect(streamed.status).toBe(400);
    expect(JSON.parse(streamed.body)).toEqual(refusal);
    expect(await metricValue(running.gateway.obs.metrics.registry, 'gateway_upstream_failures_total', { competitor: 'baseline' })).toBe(0);
  });

  it('keeps two gateways in one process apart', async () => {
    const other = await startGateway({ competitors: [{ id: 'baseline', url: fake.url }] });
    try {
      await post(`${other.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
      const mine = await metricValue(running.gateway.obs.metrics.registry, 'streams_total', { upstream: 'baseline' });
      const theirs = await metricValue(other.gateway.obs.metrics.registry, 'streams_total', { upstream: 'baseline' });
      expect([mine, theirs]).toEqual([0, 1]);
    } finally {
      await other.close();
    }
  });

  it('relays data events the client can parse, one per chunk', async () => {
    fake.script(words('a b c'));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    const events = dataEvents(res.body);
    expect(events.at(-1)).toBe('[DONE]');
    expect(events.slice(0, -1).map((e) => (JSON.parse(e) as { object: string }).object)).toEqual(Array(5).fill('chat.completion.chunk'));
  });
});
