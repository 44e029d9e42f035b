import express from 'express';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { sessionRef } from '../../competitor/sessions';
import { startCompetitor, type RunningCompetitor } from '../support/competitorServer';
import { waitForLines } from '../support/observedApp';

const running: RunningCompetitor[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((competitor) => competitor.stop()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function start(environment: Record<string, string>): Promise<RunningCompetitor> {
  const competitor = await startCompetitor(environment);
  running.push(competitor);
  return competitor;
}

function ask(competitor: RunningCompetitor, headers: Record<string, string>): Promise<Response> {
  return fetch(`${competitor.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'baseline', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('competitor sessions', () => {
  it('creates a session on first use, counts turns, and expires it after its TTL', async () => {
    const competitor = await start({ COMPETITOR_PROFILE: 'instant', SESSION_TTL_MS: '300', SESSION_CLEANUP_INTERVAL_MS: '100' });
    const first = await ask(competitor, { 'x-session-id': 'conv-1', 'x-request-id': 'sess-1' });
    expect(first.headers.get('x-session-id')).toBe('conv-1');
    await ask(competitor, { 'x-session-id': 'conv-1', 'x-request-id': 'sess-2' });
    expect(competitor.sessions.get('conv-1')).toMatchObject({ turns: 2 });
    const [created] = await waitForLines(competitor.logs, (l) => l.message === 'event' && l.event === 'session.created');
    const ref = sessionRef('conv-1');
    expect(created?.metadata).toMatchObject({ session_ref: ref });
    expect(JSON.stringify(competitor.logs.lines)).not.toContain('conv-1');
    const [completed] = await waitForLines(competitor.logs, (l) => l.message === 'request completed' && l.request_id === 'sess-2');
    expect(completed).toMatchObject({ session_ref: ref, session_turn: 2 });

    await waitForLines(
      competitor.logs,
      (l) => l.message === 'event' && l.event === 'session.cleanup' && (l.measurements as { count: number }).count === 1,
      1,
      3000,
    );
    expect(competitor.sessions.get('conv-1')).toBeUndefined();
    expect(competitor.sessions.size).toBe(0);
  });

  it('refuses a malformed session id with 400 naming the header', async () => {
    const competitor = await start({ COMPETITOR_PROFILE: 'instant' });
    const res = await ask(competitor, { 'x-session-id': 'bad id with spaces' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: Record<string, unknown> }).error).toMatchObject({ param: 'x-session-id', code: 'invalid_session_id' });
  });
});

describe('competitor with a real OpenAI-compatible upstream', () => {
  async function fakeUpstream(handler: express.RequestHandler): Promise<{ url: string; requests: { headers: Record<string, unknown>; body: Record<string, unknown> }[] }> {
    const requests: { headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
    const app = express();
    app.use(express.json());
    app.post('/v1/chat/completions', (req, res, next) => {
      requests.push({ headers: req.headers, body: req.body as Record<string, unknown> });
      handler(req, res, next);
    });
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests };
  }

  const chunk = (content: string): string =>
    `data: ${JSON.stringify({ id: 'up-1', object: 'chat.completion.chunk', created: 1, model: 'real-model', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

  it('streams the upstream answer through with the key, the model name and the trace context', async () => {
    const upstream = await fakeUpstream((_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write(chunk('Hello'));
      setTimeout(() => {
        res.write(chunk(' world'));
        res.end('data: [DONE]\n\n');
      }, 50);
    });
    const competitor = await start({
      COMPETITOR_BACKEND: 'openai',
      COMPETITOR_UPSTREAM_URL: upstream.url,
      CHUTES_API_KEY: 'sk-test-secret',
      COMPETITOR_UPSTREAM_MODEL: 'real-model',
    });
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello world');
    const [sent] = upstream.requests;
    expect(sent?.headers.authorization).toBe('Bearer sk-test-secret');
    expect(sent?.body.model).toBe('real-model');
    expect(sent?.headers.traceparent).toEqual(expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/));
    expect(JSON.stringify(competitor.logs.lines)).not.toContain('sk-test-secret');
  });

  it('answers 502 in the OpenAI shape when the upstream fails', async () => {
    const upstream = await fakeUpstream((_req, res) => {
      res.status(500).json({ error: { message: 'upstream broke' } });
    });
    const competitor = await start({ COMPETITOR_BACKEND: 'openai', COMPETITOR_UPSTREAM_URL: upstream.url });
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const failure = client.chat.completions.create({ model: 'baseline', messages: [{ role: 'user', content: 'hi' }] });
    await expect(failure).rejects.toBeInstanceOf(APIError);
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('ends the stream with an error event when the upstream dies mid-stream, which the client raises', async () => {
    const upstream = await fakeUpstream((_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write(chunk('partial'));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const competitor = await start({ COMPETITOR_BACKEND: 'openai', COMPETITOR_UPSTREAM_URL: upstream.url });
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const read = async (): Promise<void> => {
      for await (const _part of stream) {
        // drain
      }
    };
    await expect(read()).rejects.toBeInstanceOf(APIError);
  });

  it('drops the unfinished event of an upstream that dies mid-frame, so the client raises the error event, not a SyntaxError', async () => {
    const upstream = await fakeUpstream((_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write(chunk('partial'));
      res.write(chunk('never finished').slice(0, 25));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const competitor = await start({ COMPETITOR_BACKEND: 'openai', COMPETITOR_UPSTREAM_URL: upstream.url, COMPETITOR_KEEPALIVE_INTERVAL_MS: '10' });
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    const read = async (): Promise<void> => {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    };
    await expect(read()).rejects.toMatchObject({ constructor: APIError, code: 'upstream_error' });
    expect(text).toBe('partial');
  });

  it('answers 502 when the upstream answers a stream request with something other than an event stream', async () => {
    const upstream = await fakeUpstream((_req, res) => {
      res.status(200).type('text/html').send('<html>maintenance</html>');
    });
    const competitor = await start({ COMPETITOR_BACKEND: 'openai', COMPETITOR_UPSTREAM_URL: upstream.url });
    const client = new OpenAI({ baseURL: `${competitor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const failure = client.chat.completions.create({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect(failure).rejects.toMatchObject({ status: 502, code: 'upstream_not_event_stream' });
  });
});
