import type { IncomingMessage, ServerResponse } from 'node:http';
import { isOpenAiContentEvent, type Observability, type StreamObservation } from '../src';

export interface SseWriterOptions {
  /** Write `: ping` when nothing else was written for this long. */
  readonly keepaliveIntervalMs: number;
}

export interface SseWriter {
  /** Writes one `data:` frame. */
  data(payload: string): void;
  /** Writes bytes that already are SSE (a stream passed through); pings wait for a frame boundary. */
  raw(chunk: Uint8Array | string): void;
  /** `data: [DONE]`, then the end of the response. */
  done(): void;
  /** A final `data: {"error": …}` frame, then the end: OpenAI clients raise it instead of ending quietly. */
  fail(error: Readonly<Record<string, unknown>>): void;
  /** Stops the keep-alives without ending the response (the client left). */
  stop(): void;
  readonly ended: boolean;
}

const PING = ': ping\n\n';

/** Writes Server-Sent-Event frames and keeps the connection warm with `: ping` comments. */
export function createSseWriter(res: ServerResponse, options: SseWriterOptions): SseWriter {
  const { keepaliveIntervalMs } = options;
  if (!Number.isInteger(keepaliveIntervalMs) || keepaliveIntervalMs < 1) {
    throw new TypeError(`sseWriter: keepaliveIntervalMs must be a positive integer, got ${String(keepaliveIntervalMs)}`);
  }
  let ended = false;
  let atFrameBoundary = true;
  const keepalive = setTimeout(function sendPing() {
    if (ended || res.destroyed) return;
    if (atFrameBoundary) res.write(PING);
    keepalive.refresh();
  }, keepaliveIntervalMs);
  keepalive.unref();

  function write(chunk: Uint8Array | string): void {
    if (ended || res.destroyed) return;
    res.write(chunk);
    keepalive.refresh();
  }

  function end(): void {
    if (ended) return;
    ended = true;
    clearTimeout(keepalive);
    if (!res.destroyed) res.end();
  }

  return {
    data(payload) {
      write(`data: ${payload}\n\n`);
    },
    raw(chunk) {
      write(chunk);
      atFrameBoundary = endsFrame(chunk);
    },
    done() {
      write('data: [DONE]\n\n');
      end();
    },
    fail(error) {
      write(`data: ${JSON.stringify({ error })}\n\n`);
      end();
    },
    stop() {
      ended = true;
      clearTimeout(keepalive);
    },
    get ended() {
      return ended;
    },
  };
}

const LF = 10;
const CR = 13;

function endsFrame(chunk: Uint8Array | string): boolean {
  if (typeof chunk === 'string') return chunk.endsWith('\n\n') || chunk.endsWith('\r\n\r\n');
  const n = chunk.length;
  if (n < 2 || chunk[n - 1] !== LF) return false;
  return chunk[n - 2] === LF || (n >= 4 && chunk[n - 2] === CR && chunk[n - 3] === LF && chunk[n - 4] === CR);
}

/** Starts an OpenAI chunk stream: 200 with SSE headers, observed by sightline, kept alive by pings. */
export function openSseStream(
  obs: Pick<Observability, 'observeStream'>,
  req: IncomingMessage,
  res: ServerResponse,
  keepaliveIntervalMs: number,
): { readonly observation: StreamObservation; readonly writer: SseWriter } {
  const observation = obs.observeStream(req, res, { isContent: isOpenAiContentEvent });
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  return { observation, writer: createSseWriter(res, { keepaliveIntervalMs }) };
}
