import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ERROR_CATALOGUE, errorBody, type ErrorCode } from '../src/errors';
import type { SightlineLogger } from '../src/logger';
import { requestIdOf } from './requestState';

export interface ErrorHandlerOptions {
  readonly logger: SightlineLogger;
}

interface Classified {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
}

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
  503: 'SIGHTLINE_ERR_UNAVAILABLE',
};

/**
 * Answers every error as `{ error: { code, message, request_id } }`. Client errors say
 * what was wrong; server errors say only that something failed, and the stack goes to
 * the log with the request's context, never to the client.
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  const { logger } = options;
  return function sightlineErrorHandler(error: unknown, req, res, next) {
    const { status, code, message } = classify(error);
    const requestId = requestIdOf(req);
    if (status >= 500) {
      logger.error('request failed', { target: 'http', code, status, error });
    } else {
      logger.warn('request rejected', { target: 'http', code, status, reason: message });
    }
    if (res.headersSent) {
      // Too late for a JSON body: Express ends the connection so the client sees a failure.
      next(error);
      return;
    }
    res.status(status).json(errorBody(code, requestId, message));
  };
}

/** A JSON 404 for requests no route matched, in the same shape as every other error. */
export function notFound(): RequestHandler {
  return function sightlineNotFound(req, res) {
    const requestId = requestIdOf(req);
    const path = (req.path ?? '/').slice(0, 200);
    res.status(404).json(errorBody('SIGHTLINE_ERR_NOT_FOUND', requestId, `No route matches ${req.method} ${path}`));
  };
}

function classify(error: unknown): Classified {
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
  const code = status === 503 ? 'SIGHTLINE_ERR_UNAVAILABLE' : 'SIGHTLINE_ERR_INTERNAL';
  return { status: status ?? 500, code, message: ERROR_CATALOGUE[code].message };
}

function httpStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599 ? value : undefined;
}
