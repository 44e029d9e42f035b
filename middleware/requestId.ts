import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequestContext, type RequestContext } from '../src/context';
import { isValidRequestId, newRequestId } from '../src/requestId';
import { attachRequestContext } from './requestState';
import type { PatchSet } from './patches';

/**
 * How a request gets its id (the `requestId` option of `createObservability`). An inbound id
 * is kept only when it is valid: 1 to 128 characters of letters, digits and `._:-`.
 */
export interface RequestIdOptions {
  /** Header read from the request and written on the response. Default `x-request-id`. */
  readonly header?: string;
  /** Makes an id when the inbound one is missing or invalid. Default: UUID v4. */
  readonly generate?: () => string;
  /** Keep a valid inbound id. Default true; false when ids from callers are not to be trusted. */
  readonly trustInbound?: boolean;
  /** Answer with the id in `header`. Default true. */
  readonly echo?: boolean;
}

export type RequestIdStep = (req: IncomingMessage, res: ServerResponse) => RequestContext;

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Gives the request its identity: keeps a valid inbound id, else makes one, and echoes it. */
export function requestIdStep(options: RequestIdOptions, patches: PatchSet): RequestIdStep {
  const { header = 'x-request-id', generate = newRequestId, trustInbound = true, echo = true } = options;
  if (!HEADER_NAME.test(header)) {
    throw new TypeError(`requestId: header must be a valid HTTP header name, got ${JSON.stringify(header)}`);
  }
  const name = header.toLowerCase();
  return function assignRequestId(req, res) {
    const inbound = trustInbound ? req.headers[name] : undefined;
    const id = isValidRequestId(inbound) ? inbound : generate();
    const context = createRequestContext(id);
    attachRequestContext(req, context, patches);
    if (echo) res.setHeader(header, id);
    return context;
  };
}

