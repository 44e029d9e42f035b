import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { StreamObservation } from './streamObservation';

/** What sightline knows about the request being served. One object per request, mutated in place. */
export interface RequestContext {
  /**
   * The request's id (`request_id` on its log lines): the caller's valid `X-Request-Id`, else a
   * new one (a UUID v4 unless `requestId.generate` says otherwise).
   */
  readonly requestId: string;
  /** When the request arrived (`performance.now()`). */
  readonly startedAt: number;
  /** The W3C trace id, 32 lowercase hex digits: the caller's from `traceparent`, else a new one (`trace_id` on log lines). */
  traceId: string;
  /** This service's span id for the request, 16 lowercase hex digits (with tracing on, the server span's). */
  spanId: string;
  /** W3C trace flags as a number; bit `0x01` is `sampled`. Without tracing only that bit is kept. */
  traceFlags: number;
  /** The caller's `tracestate`, passed on to calls onward; undefined when there was none or no valid `traceparent`. */
  tracestate: string | undefined;
  /** The log-sampling decision for this request: when false, lines at info and below are dropped. */
  sampled: boolean;
  /** Route template (`/v1/items/:id`) once the router has matched one. */
  route: string | undefined;
  /** Set when the response is observed as a stream; its figures join the `request completed` line. */
  stream: StreamObservation | undefined;
  /** What failed, as the error handler saw a server error; for the dashboard's recent errors. */
  failure: string | undefined;
  /** Fields a handler added with `context.set()`; written on every later log line of the request. */
  readonly fields: Record<string, unknown>;
}

/**
 * Key of a log line's own request context, for lines written where the request's
 * AsyncLocalStorage scope is not active (before it is entered, or from `finish`/`close`).
 */
export const LINE_CONTEXT = Symbol('sightline.lineContext');

/**
 * The current request's context, carried across `await` and callbacks (an AsyncLocalStorage
 * of the instance's own): `obs.context`.
 */
export interface ContextStore {
  /** Runs `fn` with `context` as the current request context. */
  run<T>(context: RequestContext, fn: () => T): T;
  /** The current request context, or undefined outside a request. */
  get(): RequestContext | undefined;
  /** Adds a field to every later log line of the current request. A no-op outside a request. */
  set(key: string, value: unknown): void;
}

export function createRequestContext(requestId: string): RequestContext {
  return {
    requestId,
    startedAt: performance.now(),
    traceId: '',
    spanId: '',
    traceFlags: 0,
    tracestate: undefined,
    sampled: true,
    route: undefined,
    stream: undefined,
    failure: undefined,
    fields: {},
  };
}

/** Each store has its own AsyncLocalStorage: two sightline instances never see each other's requests. */
export function createContextStore(): ContextStore {
  const storage = new AsyncLocalStorage<RequestContext>();
  return {
    run: (context, fn) => storage.run(context, fn),
    get: () => storage.getStore(),
    set(key, value) {
      const context = storage.getStore();
      if (context !== undefined) context.fields[key] = value;
    },
  };
}
