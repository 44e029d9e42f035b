import OpenAI from 'openai';
import { assertTraceparent, metricValue } from '../../src/testing';
import { ADMIN_TOKEN, fixtureSandbox, startCompetitor, sseFrames, type RunningCompetitor } from '../support/competitorServer';
import { waitForLines } from '../support/observedApp';
import { expectGone } from '../support/processes';

const running: RunningCompetitor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((competitor) => competitor.stop()));
});

async function start(...args: Parameters<typeof startCompetitor>): Promise<RunningCompetitor> {
  const competitor = await startCompetitor(...args);
  running.push(competitor);
  return competitor;
}

interface Delta {
  content?: string;
  reasoning_content?: string;
  tool_calls?: { function: { name: string; arguments: string } }[];
  janus?: { event: string; payload: Record<string, unknown> };
}

function deltasOf(body: string): Delta[] {
  return sseFrames(body)
    .data.filter((data) => data !== '[DONE]')
    .map((data) => (JSON.parse(data) as { choices: { delta: Delta }[] }).choices[0]?.delta ?? {});
}

async function stream(competitor: RunningCompetitor, content: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const started = performance.now();
  const frameTimes: number[] = [];
  const res = await fetch(`${competitor.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'baseline', stream: true, messages: [{ role: 'user', content }], ...extra }),
  });
  let body = '';
  if (res.body !== null) {
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      frameTimes.push(performance.now() - started);
      body += decoder.decode(chunk as Uint8Array, { stream: true });
    }
  }
  const gaps = frameTimes.slice(1).map((time, index) => time - (frameTimes[index] ?? 0));
  return { res, body, deltas: deltasOf(body), maxGapMs: Math.max(0, ...gaps) };
}

describe('competitor tool calls through real sandbox children', () => {
  it('streams a tool call, its janus events and the result of a built-in', async () => {
    const competitor = await start();
    const { res, deltas } = await stream(competitor, 'calc (2+3)*4');
    expect(res.status).toBe(200);
    expect(deltas.find((d) => d.tool_calls)?.tool_calls?.[0]?.function).toEqual({ name: 'calc', arguments: '{"expression":"(2+3)*4"}' });
    expect(deltas.filter((d) => d.janus).map((d) => d.janus?.event)).toEqual(['tool_start', 'sandbox_start', 'sandbox_end', 'tool_end']);
    expect(deltas.find((d) => d.janus?.event === 'sandbox_start')?.janus?.payload.pid).toEqual(expect.any(Number));
    expect(deltas.find((d) => d.janus?.event === 'tool_end')?.janus?.payload.outcome).toBe('ok');
    expect(deltas.map((d) => d.content ?? '').join('')).toMatch(/^The calc tool returned 20\. /);
    expect(await metricValue(competitor.obs.metrics.registry, 'sandbox_calls_total', { tool: 'calc', outcome: 'ok' })).toBe(1);
    const [finished] = await waitForLines(competitor.logs, (l) => l.message === 'tool call finished');
    expect(finished).toMatchObject({ tool: 'calc', outcome: 'ok', request_id: expect.any(String), trace_id: expect.any(String) });
    expect(competitor.logs.find('sandbox started', finished?.request_id as string)).toHaveLength(1);
  });

  it('calls a tool the request offers and reports it with the openai client', async () => {
    const competitor = await start();
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'baseline',
      messages: [{ role: 'user', content: 'what is the weather in Lisbon?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    const message = completion.choices[0]?.message;
    expect(message?.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
    expect(message?.content).toMatch(/^The get_weather tool returned \{"tool":"get_weather"/);
  });

  it('answers a simple prompt without touching a sandbox', async () => {
    const competitor = await start();
    await stream(competitor, 'hello');
    expect(await metricValue(competitor.obs.metrics.registry, 'sandbox_calls_total')).toBe(0);
    expect(competitor.pool.stats()).toMatchObject({ busy: 0, spawning: 0 });
  });

  it('keeps every gap under 2 s during a long tool call with pings and progress', async () => {
    const competitor = await start({ COMPETITOR_KEEPALIVE_INTERVAL_MS: '400' });
    const { deltas, body, maxGapMs } = await stream(competitor, 'sleep 2500');
    expect(deltas.filter((d) => d.reasoning_content?.startsWith('sleeping')).length).toBeGreaterThanOrEqual(3);
    expect(sseFrames(body).data.at(-1)).toBe('[DONE]');
    expect(maxGapMs).toBeLessThan(2000);
  });

  it('sends keep-alive comments while the model is silent', async () => {
    const competitor = await start({ COMPETITOR_TTFT_MS: '700', COMPETITOR_KEEPALIVE_INTERVAL_MS: '200', COMPETITOR_TOKENS_PER_ANSWER: '2' });
    const { body } = await stream(competitor, 'quiet start');
    expect(sseFrames(body).comments.filter((c) => c === ': ping').length).toBeGreaterThanOrEqual(2);
  });

  it('gives the child its trace context: its log lines carry the request trace id', async () => {
    const competitor = await start();
    const { res } = await stream(competitor, 'echo traced', {}, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const traceId = assertTraceparent(res.headers.get('traceparent')).traceId;
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const started = competitor.childLines.find((line) => line.message === 'sandbox call started');
    expect(started).toMatchObject({ trace_id: traceId, tool: 'echo', service: 'sandbox' });
  });
});

describe('competitor sandbox failures', () => {
  it('answers 503 with Retry-After when the sandbox queue is full', async () => {
    const competitor = await start({ SANDBOX_POOL_SIZE: '1', SANDBOX_QUEUE_MAX: '0' });
    const first = stream(competitor, 'sleep 1500');
    await waitForLines(competitor.logs, (l) => l.message === 'event' && l.event === 'worker.started');
    const refused = await fetch(`${competitor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'comp-full' },
      body: JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'calc 1+1' }] }),
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: Record<string, unknown> }).error).toMatchObject({ code: 'sandbox_saturated', request_id: 'comp-full' });
    await waitForLines(competitor.logs, (l) => l.message === 'event' && l.event === 'pool.saturated');
    expect((await first).res.status).toBe(200);
  });

  it('reports a child writing garbage as a failed tool call and the stream still ends well', async () => {
    const competitor = await start({}, { sandboxCommand: fixtureSandbox('writesGarbage.ts') });
    const { deltas, body } = await stream(competitor, 'echo hi');
    expect(deltas.find((d) => d.janus?.event === 'tool_end')?.janus?.payload.outcome).toBe('parse_error');
    expect(deltas.map((d) => d.content ?? '').join('')).toMatch(/^The echo tool failed: /);
    expect(sseFrames(body).data.at(-1)).toBe('[DONE]');
    const [invalid] = await waitForLines(competitor.logs, (l) => l.message === 'sandbox output invalid');
    expect(invalid?.raw_line_preview).toBe('not json at all');
  });

  it('reaches the crashed state after a crash storm: readiness 503 until an operator resets the pool', async () => {
    const competitor = await start(
      { SANDBOX_CRASH_STORM_COUNT: '2', SANDBOX_POOL_SIZE: '2' },
      { sandboxCommand: fixtureSandbox('exitsWithCode3.ts') },
    );
    await stream(competitor, 'echo one');
    await stream(competitor, 'echo two');
    expect(competitor.pool.stats().state).toBe('crashed');
    const ready = await fetch(`${competitor.url}/health/ready`);
    expect(ready.status).toBe(503);
    const refused = await fetch(`${competitor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'echo three' }] }),
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('sandbox_pool_crashed');
    const detailed = (await (await fetch(`${competitor.url}/health/detailed`)).json()) as { pools: Record<string, Record<string, unknown>> };
    expect(detailed.pools.sandbox).toMatchObject({ state: 'crashed', total: 2, crashes: 2, workers_crashed: 2 });

    const reset = await fetch(`${competitor.url}/ops/jobs/sandbox-reset`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(reset.status).toBe(200);
    expect(competitor.pool.stats().state).toBe('running');
    expect((await fetch(`${competitor.url}/health/ready`)).status).toBe(200);
  });

  it('kills the sandbox child when the client leaves mid-call', async () => {
    const competitor = await start();
    const controller = new AbortController();
    const res = await fetch(`${competitor.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'comp-leave' },
      body: JSON.stringify({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'sleep 5000' }] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('sandbox_start')) text += new TextDecoder().decode((await reader.read()).value);
    const pid = Number(/"pid":(\d+)/.exec(text)?.[1]);
    controller.abort();
    const [line] = await waitForLines(competitor.logs, (l) => l.message === 'request completed' && l.request_id === 'comp-leave');
    expect(line?.outcome).toBe('client_aborted');
    await waitForLines(competitor.logs, (l) => l.message === 'event' && l.event === 'request.completed');
    // Without the kill the child would sleep 5 s.
    await expectGone(pid);
  });
});

