/** What a `RequestError` tells the client beside its status and message; every field optional. */
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
  /** The HTTP status answered, 400 to 599 (checked by the constructor). */
  readonly status: number;
  /** Whether the client sees `message`; when false it gets the catalogue's generic message for the status. */
  readonly expose: boolean;
  /** The request field at fault, written in the error body; undefined when not given. */
  readonly param: string | undefined;
  /** The machine-readable reason written in the error body; undefined when not given. */
  readonly reason: string | undefined;
  /** Seconds sent as `Retry-After` (rounded up to a whole number); undefined sends no header. */
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
