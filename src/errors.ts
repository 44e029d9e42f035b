/**
 * Every error sightline answers with, by stable code. Codes are greppable and never
 * change meaning; messages are safe to show a client.
 */
export const ERROR_CATALOGUE = {
  SIGHTLINE_ERR_MALFORMED_JSON: { status: 400, message: 'Request body is not valid JSON' },
  SIGHTLINE_ERR_MALFORMED_HTTP: { status: 400, message: 'The request is not valid HTTP' },
  SIGHTLINE_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  SIGHTLINE_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or invalid credentials' },
  SIGHTLINE_ERR_FORBIDDEN: { status: 403, message: 'Forbidden' },
  SIGHTLINE_ERR_NOT_FOUND: { status: 404, message: 'No route matches this request' },
  SIGHTLINE_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  SIGHTLINE_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time' },
  SIGHTLINE_ERR_CONFLICT: { status: 409, message: 'The resource is busy' },
  SIGHTLINE_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  SIGHTLINE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type or encoding' },
  SIGHTLINE_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  SIGHTLINE_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'Request headers are too large' },
  SIGHTLINE_ERR_CLIENT: { status: 400, message: 'The request could not be processed' },
  SIGHTLINE_ERR_INTERNAL: { status: 500, message: 'Internal server error' },
  SIGHTLINE_ERR_JOB_FAILED: { status: 500, message: 'The job failed' },
  SIGHTLINE_ERR_UPSTREAM: { status: 502, message: 'An upstream service failed' },
  SIGHTLINE_ERR_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
  SIGHTLINE_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'An upstream service did not answer in time' },
} as const satisfies Record<string, { status: number; message: string }>;

/** One of the stable `SIGHTLINE_ERR_*` codes of `ERROR_CATALOGUE`, as written in error bodies. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The JSON body of every error response. */
export interface ErrorBody {
  /**
   * The error: its stable code, a message safe to show the client, and the request's id
   * (undefined when the request went through no sightline middleware) to quote when reporting it.
   */
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly request_id: string | undefined;
  };
}

export function errorBody(code: ErrorCode, requestId: string | undefined, message?: string): ErrorBody {
  return { error: { code, message: message ?? ERROR_CATALOGUE[code].message, request_id: requestId } };
}

/** An error as every error response describes it, before it is put in a body. */
export interface ErrorDescription {
  /** The HTTP status of the response, 400 to 599. */
  readonly status: number;
  /** The stable catalogue code for the error. */
  readonly code: ErrorCode;
  /** Safe to show the client. */
  readonly message: string;
  /** The request's id (`request_id` on its log lines); undefined when the request went through no sightline middleware. */
  readonly requestId: string | undefined;
  /** The request field at fault, when one is. */
  readonly param?: string;
  /** A short machine-readable reason finer than `code` (`model_not_found`, `circuit_open`). */
  readonly reason?: string;
}

/** Turns an error description into a response body (`sightlineErrorFormat`, `openAiErrorFormat`). */
export type ErrorFormat = (error: ErrorDescription) => unknown;

/** `{ error: { code, message, request_id } }`, plus `param` and `reason` when known. */
export const sightlineErrorFormat: ErrorFormat = function sightlineErrorFormat(error) {
  const body = errorBody(error.code, error.requestId, error.message);
  if (error.param === undefined && error.reason === undefined) return body;
  return { error: { ...body.error, param: error.param, reason: error.reason } };
};
