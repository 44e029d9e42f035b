import type { IncomingMessage } from 'node:http';
import { createRequestContext, type RequestContext } from '../src/context';
import { newRequestId } from '../src/requestId';
import { expressAppPrototype, type PatchSet } from './patches';

type WithId = IncomingMessage & { id?: unknown };

/** Module-wide, yet instances never collide: each request has one context, whichever instance made it. */
const contexts = new WeakMap<IncomingMessage, RequestContext>();

/** The request's context, created on first use so each middleware also works alone. */
export function requestContextOf(req: IncomingMessage): RequestContext {
  const existing = contexts.get(req);
  if (existing !== undefined) return existing;
  // An id another library gave the request first (pino-http counts with numbers) is kept.
  const given = (req as WithId).id;
  const context = createRequestContext(typeof given === 'string' || typeof given === 'number' ? String(given) : newRequestId());
  attachRequestContext(req, context);
  return context;
}

/** Links the context to the request; with `patches`, `req.id` reads it through the app's request prototype. */
export function attachRequestContext(req: IncomingMessage, context: RequestContext, patches?: PatchSet): void {
  contexts.set(req, context);
  // An own `id` (set before sightline ran, or on a request that is not Express's) is overwritten, as always.
  if (patches === undefined || Object.prototype.hasOwnProperty.call(req, 'id') || expressAppPrototype(req) === undefined) {
    (req as WithId).id = context.requestId;
    return;
  }
  patches.defineOnAppPrototype(req, 'id', REQUEST_ID_ACCESSOR);
}

export function existingRequestContext(req: IncomingMessage): RequestContext | undefined {
  return contexts.get(req);
}

/**
 * The id sightline assigned to the request, or undefined when none of its middlewares ran.
 * (`req.id` holds it too, the name other Express loggers use; it is left untyped here so
 * that it never clashes with their declarations.)
 */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return contexts.get(req)?.requestId;
}

/** `req.id` of an Express app's requests; whoever assigns `req.id` gets an own property, as without sightline. */
const REQUEST_ID_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: true,
  get(this: IncomingMessage) {
    return contexts.get(this)?.requestId;
  },
  set(this: IncomingMessage, value: unknown) {
    Object.defineProperty(this, 'id', { configurable: true, enumerable: true, writable: true, value });
  },
};
