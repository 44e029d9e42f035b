import type { ErrorFormat } from './errors';

/** The body OpenAI-compatible clients parse: `{ error: { message, type, param, code } }` */
export interface OpenAiErrorBody {
  /**
   * The error: a message safe to show the client; `type` from the status (401, 403, 404, 429,
   * 503 and 504 have their own, any other 4xx is `invalid_request_error` and 5xx `api_error`);
   * `param` the request field at fault, else null; `code` the finer reason when there is one,
   * else sightline's code; and sightline's request id.
   */
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
    readonly request_id: string | undefined;
  };
}

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  504: 'timeout_error',
};

/**
 * Errors in the OpenAI shape, for OpenAI-compatible services
 * (`obs.errorHandler({ format: openAiErrorFormat })`). `code` is the finer reason when there
 * is one, else sightline's code.
 */
export const openAiErrorFormat: ErrorFormat = function openAiErrorFormat(error): OpenAiErrorBody {
  const type = TYPE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    error: {
      message: error.message,
      type,
      param: error.param ?? null,
      code: error.reason ?? error.code,
      request_id: error.requestId,
    },
  };
};

/** A request field's path as OpenAI names it in `param`: `messages[0].role`; undefined for the body itself. */
export function openAiParamName(path: readonly PropertyKey[]): string | undefined {
  let param = '';
  for (const segment of path) {
    if (typeof segment === 'number') param += `[${segment}]`;
    else param += param === '' ? String(segment) : `.${String(segment)}`;
  }
  return param === '' ? undefined : param;
}
