import OpenAI, { APIError } from 'openai';
import { metricValue } from '../../src/testing';
import { chunkLine, type Script } from '../support/fakeCompetitor';
import { chatBody, completedLine, gatewayOnFakeCompetitor, post } from '../support/gatewayHarness';

const messages = [{ role: 'user' as const, content: 'Hi' }];
const SSE = { 'content-type': 'text/event-stream' };

/** Writes each part in turn, waiting the given milliseconds before the next; ends, destroys or hangs after the last. */
function parts(steps: readonly (string | number)[], then: 'end' | 'destroy' | 'hang' = 'end'): Script {
  return async ({ res, wait }) => {
    res.writeHead(200, SSE);
    for (const step of steps) {
      if (typeof step === 'number') await wait(step);
      else res.write(step);
    }
    if (then === 'end') res.end();
    else if (then === 'destroy') res.socket?.destroy();
  };
}

async function streamed(client: OpenAI, requestId: string): Promise<{ content: string; error: unknown }> {
  let content = '';
  try {
    const stream = await client.chat.completions.create({ model: 'baseline', messages, stream: true }, { headers: { 'x-request-id': requestId } });
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    return { content, error: undefined };
  } catch (error) {
    return { content, error };
  }
}

/** Every frame of a raw SSE body is a comment or a data line holding JSON or `[DONE]`: nothing was written inside a frame. */
function expectWholeFrames(body: string): void {
  for (const frame of body.split('\n\n').filter((f) => f !== '')) {
    if (frame.startsWith(':')) {
      expect(frame).toBe(': ping');
      continue;
    }
    expect(frame.startsWith('data: ')).toBe(true);
    const data = frame.slice('data: '.length);
    if (data !== '[DONE]') expect(() => JSON.parse(data) as unknown).not.toThrow();
  }
}

describe('gateway: upstreams that break frames', () => {
  const { fake, gateway } = gatewayOnFakeCompetitor();
  const first = chunkLine({ content: 'Hel' }, null, 'evil-1');
  const second = chunkLine({ content: 'lo' }, null, 'evil-1');
  const half = Math.floor(first.length / 2);

  it('writes its keep-alive between frames when an upstream event arrives in two writes', async () => {
    const running = await gateway({ keepaliveIntervalMs: 50 });
    fake().script(parts([first.slice(0, half), 250, first.slice(half), second, 'data: [DONE]\n\n']));
    const raw = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    expect(raw.body).toContain(': ping\n\n');
    expectWholeFrames(raw.body);

    fake().script(parts([first.slice(0, half), 250, first.slice(half), second, 'data: [DONE]\n\n']));
    const { content, error } = await streamed(running.client, 'split-frame');
    expect(error).toBeUndefined();
    expect(content).toBe('Hello');
  });

  it.each([
    ['dies', 'destroy', {}, 'upstream_interrupted', 'interrupted'],
    ['idles', 'hang', { idleTimeoutMs: 300 }, 'idle_timeout', 'idle'],
  ] as const)('drops the unfinished event of an upstream that %s mid-frame, so the client gets an APIError', async (_name, then, options, code, reason) => {
    const running = await gateway(options);
    // The wait lets the bytes leave before the socket is destroyed.
    fake().script(parts([first, second.slice(0, 20), 50], then));
    const { content, error } = await streamed(running.client, `mid-frame-${reason}`);
    expect(content).toBe('Hel');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe(code);
    const line = await completedLine(running.logs, `mid-frame-${reason}`);
    expect(line).toMatchObject({ dropped_frame_bytes: 20, outcome_reason: reason });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_stream_partial_frames_dropped_total', { competitor: 'baseline' })).toBe(1);
  });

  it('treats a stream that ends inside an event as interrupted, not completed', async () => {
    const running = await gateway();
    fake().script(parts([first, 'data: [DONE]\n']));
    const { content, error } = await streamed(running.client, 'ends-mid-frame');
    expect(content).toBe('Hel');
    expect((error as APIError).code).toBe('upstream_interrupted');
    expect((error as APIError).message).toContain('ended the stream in the middle of an event');
  });

  it('cuts a stream whose line never ends once it passes GATEWAY_MAX_FRAME_BYTES, aborting the upstream', async () => {
    const running = await gateway({ maxFrameBytes: 64 * 1024 });
    const sent = { bytes: 0 };
    fake().script(async ({ res, wait }) => {
      res.writeHead(200, SSE);
      res.write(first);
      res.write('data: {"content":"');
      const kilobytes = 'x'.repeat(16 * 1024);
      while (!res.destroyed && sent.bytes < 50 * 1024 * 1024) {
        sent.bytes += kilobytes.length;
        if (!res.write(kilobytes)) await wait(5);
      }
    });
    const { content, error } = await streamed(running.client, 'endless-line');
    expect(content).toBe('Hel');
    expect((error as APIError).code).toBe('upstream_frame_too_large');
    expect(sent.bytes).toBeLessThan(4 * 1024 * 1024);
    const record = fake().requests.at(-1);
    await record?.closed;
    expect(record?.abortedByCaller).toBe(true);
    const warn = running.logs.lines.find((l) => l.message === 'upstream failed' && l.reason === 'frame_too_large');
    expect(warn).toMatchObject({ level: 'warn', request_id: 'endless-line' });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: 'frame_too_large' })).toBe(1);
  });

  it('answers 502 in the OpenAI shape when a 200 is not an event stream', async () => {
    const running = await gateway();
    fake().script(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>maintenance</body></html>');
    });
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'html-200' });
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        message: 'baseline answered HTTP 200 with content type "text/html", not an event stream',
        type: 'api_error',
        param: null,
        code: 'upstream_not_event_stream',
        request_id: 'html-200',
      },
    });
    const line = await completedLine(running.logs, 'html-200');
    expect(line).toMatchObject({ status: 502, upstream_status: 200 });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: 'not_event_stream' })).toBe(1);
  });
});
