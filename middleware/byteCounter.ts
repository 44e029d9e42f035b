import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../src/context';
import { expressAppPrototype, type MethodWrapper, type PatchSet } from './patches';
import { attachRequestContext, requestRecordOf, responseRecordOf, type RequestRecord } from './requestState';

/** Body bytes of one request and its response, counted as they pass. */
export interface ByteCounts {
  bytesIn: number;
  bytesOut: number;
}

type Chunk = string | Uint8Array;

/** What already counts for responses of a given prototype: that prototype or one of its own. */
const countingByPrototype = new WeakMap<object, object>();

/**
 * Counts body bytes actually written (right for chunked and streamed responses, and for
 * responses cut short) and read. Written chunks are also handed to the request's stream
 * observation, when there is one, once they are on their way: measuring never delays the
 * bytes it measures. Idempotent: every consumer shares one count.
 */
export function countBytes(patches: PatchSet, req: IncomingMessage, res: ServerResponse, context: RequestContext): ByteCounts {
  // The counts live in the request's record: a response reaches them through `res.req`.
  const record = requestRecordOf(req) ?? attachRequestContext(req, context);
  if (record.bytes !== undefined) return record.bytes;
  const contentLength = req.headers['content-length'];
  const state: ByteCounts = { bytesIn: contentLength === undefined ? 0 : Number(contentLength) || 0, bytesOut: 0 };
  record.bytes = state;
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
  // Every response of an app has the same prototype: the walk is made once per prototype, and
  // its answer checked (a shutdown removes the patch).
  const prototype = Object.getPrototypeOf(res) as object | null;
  const known = prototype === null ? undefined : countingByPrototype.get(prototype);
  if (known !== undefined && patches.isPatched(known, 'end')) return known;
  for (let p: object | null = res; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (!patches.isPatched(p, 'end')) continue;
    if (p !== res && prototype !== null) countingByPrototype.set(prototype, p);
    return p;
  }
  return undefined;
}

const countingWrite: MethodWrapper = (below) =>
  function countingWrite(this: ServerResponse, chunk: unknown, encoding?: unknown) {
    const record = responseRecordOf(this);
    const counts = record?.bytes !== undefined && !this.destroyed && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const flushed = below().apply(this, arguments as unknown as unknown[]);
    if (counts) sent(record, chunk, encoding);
    return flushed;
  };

const countingEnd: MethodWrapper = (below) =>
  function countingEnd(this: ServerResponse, chunk?: unknown, encoding?: unknown) {
    const record = responseRecordOf(this);
    const counts =
      record?.bytes !== undefined && !this.destroyed && !this.writableEnded && (typeof chunk === 'string' || chunk instanceof Uint8Array);
    // eslint-disable-next-line prefer-rest-params
    const ended = below().apply(this, arguments as unknown as unknown[]);
    if (counts) sent(record, chunk, encoding);
    return ended;
  };

const countingPush: MethodWrapper = (below) =>
  function countingPush(this: IncomingMessage, chunk: unknown, encoding?: BufferEncoding) {
    const bytes = requestRecordOf(this)?.bytes;
    if (bytes !== undefined && chunk !== null && chunk !== undefined) bytes.bytesIn += byteLength(chunk as Chunk, encoding);
    return below().call(this, chunk, encoding);
  };

function sent(record: RequestRecord, chunk: Chunk, encoding: unknown): void {
  (record.bytes as ByteCounts).bytesOut += byteLength(chunk, encoding);
  const stream = record.context.stream;
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
