import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ERROR_CATALOGUE, sightlineErrorFormat, type ErrorCode, type ErrorDescription, type ErrorFormat } from '../src/errors';
import type { SightlineLogger } from '../src/logger';
import { RequestError } from '../src/requestError';
import { existingRequestContext, requestIdOf } from './requestState';

export interface ErrorHandlerOptions {
  readonly logger: SightlineLogger;
  /** The body of error responses. Default `sightlineErrorFormat`. */
  readonly format?: ErrorFormat;
}

type Classified = Omit<ErrorDescription, 'requestId'> & { readonly retryAfterS?: number };

/** body-parser's error types, by what they mean for the client. */
const BODY_ERRORS: Readonly<Record<string, ErrorCode>> = {
  'entity.parse.failed': 'SIGHTLINE_ERR_MALFORMED_JSON',
  'entity.too.large': 'SIGHTLINE_ERR_BODY_TOO_LARGE',
  'entity.verify.failed': 'SIGHTLINE_ERR_BAD_REQUEST',
  'encoding.unsupported': 'SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'SIGHTLINE_ERR_CLIENT',
  'request.size.invalid': 'SIGHTLINE_ERR_BAD_REQUEST',
};

const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'SIGHTLINE_ERR_BAD_REQUEST',
  401: 'SIGHTLINE_ERR_UNAUTHORIZED',
  403: 'SIGHTLINE_ERR_FORBIDDEN',
  404: 'SIGHTLINE_ERR_NOT_FOUND',
  405: 'SIGHTLINE_ERR_METHOD_NOT_ALLOWED',
  413: 'SIGHTLINE_ERR_BODY_TOO_LARGE',
  415: 'SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'SIGHTLINE_ERR_RATE_LIMITED',
  502: 'SIGHTLINE_ERR_UPSTREAM',
  503: 'SIGHTLINE_ERR_UNAVAILABLE',
  504: 'SIGHTLINE_ERR_UPSTREAM_TIMEOUT',
};

/**
 * Answers every error as `{ error: { code, message, request_id } }` (or the body `format`
 * makes). Client errors say what was wrong; server errors say only that something failed
 * unless raised as a `RequestError`, and the stack goes to the log with the request's
 * context, never to the client.
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  const { logger, format = sightlineErrorFormat } = options;
  return function sightlineErrorHandler(error: unknown, req, res, next) {
    const classified = classify(error);
    const { status, code, message } = classified;
    const requestId = requestIdOf(req);
    if (status >= 500) {
      const context = existingRequestContext(req);
      if (context !== undefined) context.failure = error instanceof Error ? error.message : message;
      logger.error('request failed', { target: 'http', code, status, error });
    } else {
      logger.warn('request rejected', { target: 'http', code, status, reason: message, param: classified.param });
    }
    if (res.headersSent) {
      // Too late for a JSON body: Express ends the connection so the client sees a failure.
      next(error);
      return;
    }
    if (classified.retryAfterS !== undefined) res.setHeader('Retry-After', String(Math.ceil(classified.retryAfterS)));
    const { retryAfterS: _retryAfter, ...description } = classified;
    res.status(status).json(format({ ...description, requestId }));
  };
}

/** A JSON 404 for requests no route matched, in the same shape as every other error. */
export function notFound(format: ErrorFormat = sightlineErrorFormat): RequestHandler {
  return function sightlineNotFound(req, res) {
    const requestId = requestIdOf(req);
    const path = (req.path ?? '/').slice(0, 200);
    const message = `No route matches ${req.method} ${path}`;
    res.status(404).json(format({ status: 404, code: 'SIGHTLINE_ERR_NOT_FOUND', message, requestId }));
  };
}

function classify(error: unknown): Classified {
  if (error instanceof RequestError) {
    const code = CODE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'SIGHTLINE_ERR_INTERNAL' : 'SIGHTLINE_ERR_CLIENT');
    const message = error.expose ? error.message : ERROR_CATALOGUE[code].message;
    return { status: error.status, code, message, param: error.param, reason: error.reason, retryAfterS: error.retryAfterS };
  }
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    type?: unknown;
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
    limit?: unknown;
  };
  const status = httpStatus(fields.status ?? fields.statusCode);
  const bodyCode = typeof fields.type === 'string' ? BODY_ERRORS[fields.type] : undefined;
  if (bodyCode !== undefined) {
    const catalogued = ERROR_CATALOGUE[bodyCode];
    let message: string = catalogued.message;
    if (bodyCode === 'SIGHTLINE_ERR_MALFORMED_JSON' && typeof fields.message === 'string') {
      message = `${catalogued.message}: ${fields.message}`;
    } else if (bodyCode === 'SIGHTLINE_ERR_BODY_TOO_LARGE' && typeof fields.limit === 'number') {
      message = `${catalogued.message}: the limit is ${fields.limit} bytes`;
    }
    return { status: status ?? catalogued.status, code: bodyCode, message };
  }
  if (status !== undefined && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'SIGHTLINE_ERR_CLIENT';
    const exposed = fields.expose !== false && typeof fields.message === 'string' && fields.message !== '';
    return { status, code, message: exposed ? (fields.message as string) : ERROR_CATALOGUE[code].message };
  }
  const code = status !== undefined && CODE_BY_STATUS[status] !== undefined ? CODE_BY_STATUS[status] : 'SIGHTLINE_ERR_INTERNAL';
  return { status: status ?? 500, code, message: ERROR_CATALOGUE[code].message };
}

function httpStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined;
}
