import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../src/context';
import { expressAppPrototype, type MethodWrapper, type PatchSet } from './patches';

/** Body bytes of one request and its response, counted as they pass. */
export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

type Chunk = string | Uint8Array;

interface CounterState extends ByteCounts {
  readonly context: RequestContext;
}

/** By request: a response reaches its counts through `res.req` (see patches for why not a property). */
const counters = new WeakMap<IncomingMessage, CounterState>();

/**
 * Counts body bytes actually written (right for chunked and streamed responses, and for
 * responses cut short) and read. Written chunks are also handed to the request's stream
 * observation, when there is one, once they are on their way: measuring never delays the
 * bytes it measures. Idempotent: every consumer shares one count.
 */
export function countBytes(patches: PatchSet, req: IncomingMessage, res: ServerResponse, context: RequestContext): ByteCounts {
  const existing = counters.get(req);
  if (existing !== undefined) return existing;
  const contentLength = req.headers['content-length'];
  const state: CounterState = {
    bytesIn: contentLength === undefined ? 0 : Number(contentLength) || 0,
    bytesOut: 0,
    context,
  };
  counters.set(req, state);
  // An Express app's response prototype (one per app, inherited by apps mounted in it) is
  // wrapped once and counts only responses whose request has counter state; wrapping each
  // response instead costs two property additions and two closures per request.
  const counting = countingObject(patches, res);
  const prototype = counting ?? expressAppPrototype(res);
  const wrap = prototype === undefined ? patches.wrapInstanceMethod : patches.wrapMethod;
  wrap(prototype ?? res, 'write', countingWrite);
  wrap(prototype ?? res, 'end', countingEnd);
  if (contentLength === undefined && req.headers['transfer-encoding'] !== undefined) {
    // A chunked body has no length up front: count what the parser hands over.
    patches.wrapInstanceMethod(req, 'push', countingPush);
  }
  return state;
}

/** The response or prototype of it that already counts (wrapping a second one would count twice). */
function countingObject(patches: PatchSet, res: ServerResponse): object | undefined {
  for (let p: object | null = res; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (patches.isPatched(p, 'end')) return p;
  }
  return undefined;
}

const countingWrite: MethodWrapper = (below) =>
  function countingWrite(this: ServerResponse, chunk: unknown, encoding?: unknown) {
    const state = counters.get(this.req);
    const counts = state !== undefined && !this.destroyed && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const flushed = below().apply(this, arguments as unknown as unknown[]);
    if (counts) sent(state, chunk, encoding);
    return flushed;
  };

const countingEnd: MethodWrapper = (below) =>
  function countingEnd(this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    const state = counters.get(this.req);
    const counts =
      state !== undefined && !this.destroyed && !this.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const ended = below().apply(this, arguments as unknown as unknown[]);
    if (counts) sent(state, chunk, encoding);
    return ended;
  };

const countingPush: MethodWrapper = (below) =>
  function countingPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    const state = counters.get(this);
    if (state !== undefined && chunk !== null && chunk !== undefined) state.bytesIn += byteLength(chunk as Chunk, encoding);
    return below().call(this, chunk, encoding);
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
