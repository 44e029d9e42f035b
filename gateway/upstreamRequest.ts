import { request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RequestError } from '../middleware';
import type { Competitor } from './competitors';
import type { UPSTREAM_FAILURE_REASONS } from './gatewayMetrics';

export type UpstreamFailureReason = (typeof UPSTREAM_FAILURE_REASONS)[number];

const TIMEOUT_REASONS: ReadonlySet<UpstreamFailureReason> = new Set(['connect', 'first_token', 'idle', 'total']);

/** Why an upstream call failed; every one counts against the competitor's circuit. */
export class UpstreamFailure extends Error {
  readonly reason: UpstreamFailureReason;
  /** The stream outcome sightline records. */
  readonly outcome: 'timeout' | 'upstream_error';
  /** The competitor's status, for `http_status`. */
  readonly upstreamStatus: number | undefined;

  constructor(reason: UpstreamFailureReason, message: string, upstreamStatus?: number) {
    super(message);
    this.name = 'UpstreamFailure';
    this.reason = reason;
    this.outcome = TIMEOUT_REASONS.has(reason) ? 'timeout' : 'upstream_error';
    this.upstreamStatus = upstreamStatus;
  }

  /** What the client is told: 504 for timeouts, 502 otherwise. */
  get status(): 502 | 504 {
    return this.outcome === 'timeout' ? 504 : 502;
  }

  /** `code` of the OpenAI-shaped error: `idle_timeout`, `upstream_http_status`, … */
  get code(): string {
    return this.outcome === 'timeout' ? `${this.reason}_timeout` : `upstream_${this.reason}`;
  }
}

/** How a call went, for the competitor's circuit: `inconclusive` when the client left before the competitor answered. */
export type Verdict = 'success' | 'failure' | 'inconclusive';

export interface UpstreamOutcome {
  readonly verdict: Verdict;
  /** Set when nothing was written to the client yet: the route throws it for the error handler to answer. */
  readonly error: RequestError | undefined;
}

/** The client-facing error for a failure before anything was written. */
export function requestErrorOf(failure: UpstreamFailure): RequestError {
  return new RequestError(failure.status, failure.message, { reason: failure.code });
}

export interface UpstreamCallOptions {
  readonly path: string;
  /** The JSON body, already serialised. */
  readonly body: Buffer;
  readonly stream: boolean;
  /** Sent as well: trace context and request id (`obs.outgoingHeaders()`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly connectTimeoutMs: number;
}

/** A call in flight. A handle of its own rather than an AbortSignal, which costs a stream listener and an EventTarget per call. */
export interface UpstreamCall {
  /** Destroys the call; no handler is called after that. Idempotent. */
  abort(): void;
  readonly aborted: boolean;
}

export interface UpstreamHandlers {
  /** The connection is open (at once for a pooled one). */
  onConnected(): void;
  onResponse(response: IncomingMessage): void;
  /** The call failed before a response arrived. Not called after `onResponse` or an abort. */
  onError(failure: UpstreamFailure): void;
}

const RETRYABLE_ON_REUSE = new Set(['ECONNRESET', 'EPIPE']);

/**
 * POSTs the body to the competitor with `http.request` on its keep-alive agent. The connect
 * timeout covers waiting for a connection and opening it; a pooled connection the competitor
 * closed just as it was reused is retried once on a fresh one (nothing was processed).
 */
export function callUpstream(competitor: Competitor, options: UpstreamCallOptions, handlers: UpstreamHandlers): UpstreamCall {
  const headers: OutgoingHttpHeaders = {
    ...options.headers,
    'content-type': 'application/json',
    'content-length': options.body.byteLength,
    accept: options.stream ? 'text/event-stream' : 'application/json',
  };
  const send = competitor.secure ? httpsRequest : httpRequest;
  let aborted = false;
  let current: ClientRequest | undefined;
  attempt(false);
  return {
    abort() {
      if (aborted) return;
      aborted = true;
      current?.destroy();
    },
    get aborted() {
      return aborted;
    },
  };

  function attempt(isRetry: boolean): void {
    if (aborted) return;
    let settled = false;
    const req: ClientRequest = send({
      protocol: competitor.url.protocol,
      hostname: competitor.url.hostname,
      port: competitor.url.port,
      method: 'POST',
      path: options.path,
      agent: competitor.agent,
      headers,
    });
    current = req;
    const connectTimer = setTimeout(() => {
      // Settled here, not in the `error` listener: a request still queued for a pooled socket
      // emits its error only once a socket frees, which may be much later.
      if (settled || aborted) return;
      settled = true;
      const waiting = req.socket === null ? `every one of its ${competitor.agent.maxSockets} connections stayed busy` : 'the connection did not open';
      req.destroy();
      handlers.onError(new UpstreamFailure('connect', `no connection to ${competitor.id} within ${options.connectTimeoutMs} ms: ${waiting}`));
    }, options.connectTimeoutMs);
    connectTimer.unref();

    req.on('socket', (socket) => {
      if (!socket.connecting) {
        clearTimeout(connectTimer);
        handlers.onConnected();
        return;
      }
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        if (!settled) handlers.onConnected();
      });
    });
    req.on('response', (response) => {
      settled = true;
      clearTimeout(connectTimer);
      handlers.onResponse(response);
    });
    // Kept for the whole call: an `error` without a listener would take the process down.
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (settled || aborted) return;
      settled = true;
      if (error instanceof UpstreamFailure) {
        handlers.onError(error);
        return;
      }
      if (!isRetry && req.reusedSocket && error.code !== undefined && RETRYABLE_ON_REUSE.has(error.code)) {
        attempt(true);
        return;
      }
      const code = error.code === undefined ? '' : ` (${error.code})`;
      handlers.onError(new UpstreamFailure('connection_error', `${competitor.id}: ${error.message || 'connection failed'}${code}`));
    });
    req.end(options.body);
  }
}
