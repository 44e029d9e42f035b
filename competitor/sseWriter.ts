import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSseFrameAssembler, FRAME_TOO_LARGE, isOpenAiContentEvent, type Observability, type StreamObservation } from '../middleware';

export interface SseWriterOptions {
  /** Write `: ping` when nothing else was written for this long. */
  readonly keepaliveIntervalMs: number;
  /** Bytes an unfinished passed-through frame may hold (default 1 MiB). */
  readonly maxFrameBytes?: number;
}

/** A passed-through stream that cannot be relayed as whole frames. */
export class PassThroughError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PassThroughError';
  }
}

export interface SseWriter {
  /** Writes one `data:` frame. */
  data(payload: string): void;
  /**
   * Passes bytes that already are SSE through, whole frames only: an unfinished one is held
   * until its blank line, so pings and a final error never land inside it. Throws
   * `PassThroughError` when an unfinished frame passes the frame limit.
   */
  raw(chunk: Uint8Array): void;
  /** Ends a pass-through: throws `PassThroughError` when it stopped in the middle of an event. */
  endRaw(): void;
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
  const frames = createSseFrameAssembler(options.maxFrameBytes);
  const keepalive = setTimeout(function sendPing() {
    if (ended || res.destroyed) return;
    res.write(PING);
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
      const complete = frames.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (complete === FRAME_TOO_LARGE) throw new PassThroughError('the upstream sent an event larger than the frame limit');
      if (complete !== undefined) write(complete);
    },
    endRaw() {
      if (!frames.heldOnlyLineEndings) throw new PassThroughError('the upstream ended the stream in the middle of an event');
    },
    done() {
      write('data: [DONE]\n\n');
      end();
    },
    fail(error) {
      frames.drop();
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
