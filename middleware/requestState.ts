import type { IncomingMessage } from 'node:http';
import { createRequestContext, type RequestContext } from '../src/context';
import { newRequestId } from '../src/requestId';

const kContext = Symbol('sightline.requestContext');

type WithContext = IncomingMessage & { [kContext]?: RequestContext; id?: string };

/** The request's context, created on first use so each middleware also works alone. */
export function requestContextOf(req: IncomingMessage): RequestContext {
  const holder = req as WithContext;
  return (holder[kContext] ??= createRequestContext(holder.id ?? newRequestId()));
}

export function attachRequestContext(req: IncomingMessage, context: RequestContext): void {
  const holder = req as WithContext;
  holder[kContext] = context;
  holder.id = context.requestId;
}

export function existingRequestContext(req: IncomingMessage): RequestContext | undefined {
  return (req as WithContext)[kContext];
}

/**
 * The id sightline assigned to the request, or undefined when none of its middlewares ran.
 * (`req.id` holds it too, the name other Express loggers use; it is left untyped here so
 * that it never clashes with their declarations.)
 */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return existingRequestContext(req)?.requestId;
}
