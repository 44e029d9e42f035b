import type { IncomingMessage } from 'node:http';
import { createRequestContext, type RequestContext } from '../src/context';
import { newRequestId } from '../src/requestId';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id sightline assigned (validated inbound `X-Request-Id` or a new UUID). */
    id?: string;
  }
}

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
