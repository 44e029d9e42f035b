import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../src/context';
import { expressAppPrototype } from './expressPrototype';

/** Body bytes of one request and its response, counted as they pass. */
export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

type Chunk = string | Uint8Array;

interface CounterState extends ByteCounts {
  readonly context: RequestContext;
  readonly push: IncomingMessage['push'];
}

/** By request: a response reaches its counts through `res.req` (see expressPrototype for why not a property). */
const counters = new WeakMap<IncomingMessage, CounterState>();

type Write = (this: ServerResponse, ...args: unknown[]) => unknown;

/**
 * Counts body bytes actually written (right for chunked and streamed responses, and for
 * responses cut short) and read. Written chunks are also handed to the request's stream
 * observation, when there is one, once they are on their way: measuring never delays the
 * bytes it measures. Idempotent: every consumer shares one count.
 */
export function countBytes(req: IncomingMessage, res: ServerResponse, context: RequestContext): ByteCounts {
  const existing = counters.get(req);
  if (existing !== undefined) return existing;
  const contentLength = req.headers['content-length'];
  const state: CounterState = {
    bytesIn: contentLength === undefined ? 0 : Number(contentLength) || 0,
    bytesOut: 0,
    context,
    push: req.push,
  };
  counters.set(req, state);
  if (!countsThroughPrototype(res)) {
    res.write = countingWrite(res.write as Write) as ServerResponse['write'];
    res.end = countingEnd(res.end as Write) as ServerResponse['end'];
  }
  if (contentLength === undefined && req.headers['transfer-encoding'] !== undefined) {
    // A chunked body has no length up front: count what the parser hands over.
    req.push = countingPush;
  }
  return state;
}

const countingPrototypes = new WeakSet<object>();

/**
 * An Express app's own response prototype (`app.response`, one per app, inherited by apps
 * mounted in it) gets counting `write`/`end` once; they count only responses whose request
 * has counter state. Wrapping each response instead costs two property additions and two
 * closures per request.
 */
function countsThroughPrototype(res: ServerResponse): boolean {
  for (let p = Object.getPrototypeOf(res) as object | null; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (countingPrototypes.has(p)) return true;
  }
  const prototype = expressAppPrototype(res) as Record<string, unknown> | undefined;
  if (prototype === undefined) return false;
  Object.defineProperty(prototype, 'write', {
    configurable: true,
    writable: true,
    value: countingWrite(prototype.write as Write),
  });
  Object.defineProperty(prototype, 'end', { configurable: true, writable: true, value: countingEnd(prototype.end as Write) });
  countingPrototypes.add(prototype);
  return true;
}

function countingWrite(write: Write): Write {
  return function countingWrite(this: ServerResponse, chunk: unknown, encoding?: unknown) {
    const state = counters.get(this.req);
    const counts = state !== undefined && !this.destroyed && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const flushed = write.apply(this, arguments as unknown as unknown[]);
    if (counts) sent(state, chunk, encoding);
    return flushed;
  };
}

function countingEnd(end: Write): Write {
  return function countingEnd(this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    const state = counters.get(this.req);
    const counts =
      state !== undefined && !this.destroyed && !this.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const ended = end.apply(this, arguments as unknown as unknown[]);
    if (counts) sent(state, chunk, encoding);
    return ended;
  };
}

const countingPush = function countingPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
  const state = counters.get(this) as CounterState;
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
