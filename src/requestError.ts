export interface RequestErrorOptions {
  /** The request field at fault (`messages[0].role`). */
  readonly param?: string;
  /** A short machine-readable reason (`model_not_found`). */
  readonly reason?: string;
  /** Sent as `Retry-After`, in seconds. */
  readonly retryAfterS?: number;
  /** Whether the message may reach the client. Default true: it was written for the client. */
  readonly expose?: boolean;
}

/**
 * An error the application means the client to see: `errorHandler()` answers it with its
 * status and message (5xx included), the field at fault and a `Retry-After` when given.
 */
export class RequestError extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly param: string | undefined;
  readonly reason: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(status: number, message: string, options: RequestErrorOptions = {}) {
    super(message);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new TypeError(`RequestError: status must be an HTTP error status (400-599), got ${String(status)}`);
    }
    if (options.retryAfterS !== undefined && !(Number.isFinite(options.retryAfterS) && options.retryAfterS >= 0)) {
      throw new TypeError(`RequestError: retryAfterS must be a non-negative number, got ${String(options.retryAfterS)}`);
    }
    this.name = 'RequestError';
    this.status = status;
    this.expose = options.expose ?? true;
    this.param = options.param;
    this.reason = options.reason;
    this.retryAfterS = options.retryAfterS;
  }
}
