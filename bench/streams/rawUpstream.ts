import type { IncomingMessage, ServerResponse } from 'node:http';
import { RAW_SPEC_FIELD, type RawStreamSpec } from './protocol';
import { serveAsChild } from './serveAsChild';

/**
 * A minimal upstream for the streams bench: no framework, no observability, so that what a
 * relay in front of it costs is not hidden behind the upstream's own work.
 *
 * - `GET /health/ready`: 200 (the gateway's readiness probe).
 * - `POST /v1/chat/completions` with `stream: true`: `text/event-stream`, one 62-byte
 *   OpenAI-shaped `data:` frame at once and then every `intervalMs`, `events` frames in all,
 *   then `data: [DONE]`. `events` and `intervalMs` come from the body's `bench_stream` field
 *   (defaults below), so one process serves every stream shape the bench asks for.
 * - `stream: false`: a small `chat.completion` JSON body at once.
 *
 * Started by the runner with an IPC channel; tells it its port.
 */

const DEFAULT_SPEC: RawStreamSpec = { events: 400, intervalMs: 5 };
const FRAME = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":" token"}}]}\n\n');
const DONE = Buffer.from('data: [DONE]\n\n');
const COMPLETION = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 0,
    model: 'bench',
    choices: [{ index: 0, message: { role: 'assistant', content: 'The stream gateway answers every request.' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 6, total_tokens: 7 },
  }),
);
const READY = Buffer.from('{"status":"ok"}');
const MAX_BODY = 64 * 1024;

function specOf(body: Record<string, unknown>): RawStreamSpec {
  const given = body[RAW_SPEC_FIELD] as Partial<RawStreamSpec> | undefined;
  const events = given?.events;
  const intervalMs = given?.intervalMs;
  return {
    events: typeof events === 'number' && Number.isInteger(events) && events > 0 ? events : DEFAULT_SPEC.events,
    intervalMs: typeof intervalMs === 'number' && intervalMs >= 1 ? intervalMs : DEFAULT_SPEC.intervalMs,
  };
}

function stream(res: ServerResponse, spec: RawStreamSpec): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  let sent = 1;
  res.write(FRAME);
  if (spec.events === 1) {
    res.end(DONE);
    return;
  }
  const interval = setInterval(() => {
    if (res.destroyed) {
      clearInterval(interval);
      return;
    }
    res.write(FRAME);
    sent += 1;
    if (sent >= spec.events) {
      clearInterval(interval);
      res.end(DONE);
    }
  }, spec.intervalMs);
  res.once('close', () => clearInterval(interval));
}

function answer(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.byteLength });
  res.end(body);
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && (req.url === '/health/ready' || req.url === '/health/live')) {
    answer(res, 200, READY);
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    answer(res, 404, Buffer.from('{"error":{"message":"not found"}}'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('end', () => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      answer(res, 400, Buffer.from('{"error":{"message":"bad json"}}'));
      return;
    }
    if (body.stream === true) stream(res, specOf(body));
    else answer(res, 200, COMPLETION);
  });
}

function main(): void {
  serveAsChild(onRequest);
}

main();
