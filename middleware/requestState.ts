import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequestContext, type RequestContext } from '../src/context';
import { newRequestId } from '../src/requestId';
import { expressAppPrototype, type PatchSet } from './patches';

type WithId = IncomingMessage & { id?: unknown };

/** Called once when a response ends (see responseEnd). */
export type EndCallback = (res: ServerResponse) => void;

/**
 * Everything sightline keeps for one request, in one object: a request costs one WeakMap
 * entry, whatever the middlewares that need state (each entry is a key the garbage collector
 * has to trace as an ephemeron).
 */
export interface RequestRecord {
  readonly context: RequestContext;
  /** Body bytes read and written (see byteCounter); undefined until counting starts. */
  bytes: { bytesIn: number; bytesOut: number } | undefined;
  /** What the router assigned to `req.route` (see routeTemplate). */
  route: unknown;
  /** An object that also receives the route template (OpenTelemetry's RPC metadata). */
  routeLender: { route?: string } | undefined;
  /** Called once when the response ends (see responseEnd). */
  ends: EndCallback[] | undefined;
}

/** Module-wide, yet instances never collide: each request has one record, whichever instance made it. */
const records = new WeakMap<IncomingMessage, RequestRecord>();

/** The request's context, created on first use so each middleware also works alone. */
export function requestContextOf(req: IncomingMessage): RequestContext {
  const existing = records.get(req);
  if (existing !== undefined) return existing.context;
  // An id another library gave the request first (pino-http counts with numbers) is kept.
  const given = (req as WithId).id;
  const context = createRequestContext(typeof given === 'string' || typeof given === 'number' ? String(given) : newRequestId());
  attachRequestContext(req, context);
  return context;
}

/** Links the context to the request; with `patches`, `req.id` reads it through the app's request prototype. */
export function attachRequestContext(req: IncomingMessage, context: RequestContext, patches?: PatchSet): RequestRecord {
  const existing = records.get(req);
  const record = { context, bytes: existing?.bytes, route: existing?.route, routeLender: existing?.routeLender, ends: existing?.ends };
  records.set(req, record);
  // An own `id` (set before sightline ran, or on a request that is not Express's) is overwritten, as always.
  if (patches === undefined || Object.prototype.hasOwnProperty.call(req, 'id') || expressAppPrototype(req) === undefined) {
    (req as WithId).id = context.requestId;
  } else {
    patches.defineOnAppPrototype(req, 'id', REQUEST_ID_ACCESSOR);
  }
  return record;
}

/** The request's record, when sightline gave it a context. */
export function requestRecordOf(req: IncomingMessage): RequestRecord | undefined {
  return records.get(req);
}

/** The record of the response's request; none for a response made without a request (tests, adapters). */
export function responseRecordOf(res: ServerResponse): RequestRecord | undefined {
  const req = res.req as ServerResponse['req'] | undefined;
  return req === undefined ? undefined : records.get(req);
}

export function existingRequestContext(req: IncomingMessage): RequestContext | undefined {
  return records.get(req)?.context;
}

/**
 * The id sightline assigned to the request, or undefined when none of its middlewares ran.
 * (`req.id` holds it too, the name other Express loggers use; it is left untyped here so
 * that it never clashes with their declarations.)
 */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return records.get(req)?.context.requestId;
}

/** `req.id` of an Express app's requests; whoever assigns `req.id` gets an own property, as without sightline. */
const REQUEST_ID_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: IncomingMessage) {
    return records.get(this)?.context.requestId;
  },
  set(this: IncomingMessage, value: unknown) {
    Object.defineProperty(this, 'id', { configurable: true, enumerable: true, writable: true, value });
  },
};
