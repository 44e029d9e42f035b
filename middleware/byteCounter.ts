import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../src/context';

/** Body bytes of one request and its response, counted as they pass. */
export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

type Chunk = string | Uint8Array;

interface CounterState extends ByteCounts {
  readonly context: RequestContext;
  readonly write: ServerResponse['write'];
  readonly end: ServerResponse['end'];
  readonly push: IncomingMessage['push'];
}

const kCounts = Symbol('sightline.byteCounts');

type CountedResponse = ServerResponse & { [kCounts]?: CounterState };
type CountedRequest = IncomingMessage & { [kCounts]?: CounterState };

/**
 * Counts body bytes actually written (right for chunked and streamed responses, and for
 * responses cut short) and read. Written chunks are also handed to the request's stream
 * observation, when there is one. Idempotent: every consumer shares one count.
 */
export function countBytes(req: IncomingMessage, res: ServerResponse, context: RequestContext): ByteCounts {
  const counted = res as CountedResponse;
  const existing = counted[kCounts];
  if (existing !== undefined) return existing;
  const contentLength = req.headers['content-length'];
  const state: CounterState = {
    bytesIn: contentLength === undefined ? 0 : Number(contentLength) || 0,
    bytesOut: 0,
    context,
    write: res.write,
    end: res.end,
    push: req.push,
  };
  counted[kCounts] = state;
  res.write = countingWrite;
  res.end = countingEnd;
  if (contentLength === undefined && req.headers['transfer-encoding'] !== undefined) {
    // A chunked body has no length up front: count what the parser hands over.
    (req as CountedRequest)[kCounts] = state;
    req.push = countingPush;
  }
  return state;
}

const countingWrite = function countingWrite(this: CountedResponse, chunk: Chunk, ...rest: unknown[]) {
  const state = this[kCounts] as CounterState;
  if (!this.destroyed && chunk !== undefined && chunk !== null) sent(state, chunk, rest[0]);
  return (state.write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
} as ServerResponse['write'];

const countingEnd = function countingEnd(this: CountedResponse, ...args: unknown[]) {
  const state = this[kCounts] as CounterState;
  const chunk = args[0];
  if (!this.destroyed && !this.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
    sent(state, chunk, args[1]);
  }
  return (state.end as (...a: unknown[]) => ServerResponse).apply(this, args);
} as ServerResponse['end'];

const countingPush = function countingPush(this: CountedRequest, chunk: unknown, encoding?: BufferEncoding) {
  const state = this[kCounts] as CounterState;
  if (chunk !== null && chunk !== undefined) state.bytesIn += byteLength(chunk as Chunk, encoding);
  return state.push.call(this, chunk, encoding);
};

function sent(state: CounterState, chunk: Chunk, encoding: unknown): void {
  state.bytesOut += byteLength(chunk, encoding);
  const stream = state.context.stream;
  if (stream === undefined) return;
  const utf8 = typeof encoding !== 'string' || encoding === 'utf8' || encoding === 'utf-8';
  stream.written(typeof chunk === 'string' && !utf8 ? Buffer.from(chunk, encodingOf(encoding)) : chunk);
}

function encodingOf(encoding: unknown): BufferEncoding {
  return typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8';
}

function byteLength(chunk: Chunk, encoding: unknown): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk, encodingOf(encoding)) : chunk.byteLength;
}
