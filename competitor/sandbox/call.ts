import { AsyncResource } from 'node:async_hooks';
import { context as otelContext, type Context } from '@opentelemetry/api';
import type { EventBus, SightlineLogger } from '../../src';
import { toolLabel, type SandboxPoolMetrics } from './poolMetrics';
import type { EncodedRunRequest, SandboxRunRequest, SandboxRunResult } from './runRequest';
import { SandboxError, type SandboxErrorDetails, type SandboxErrorType } from './sandboxError';

/** What every call of a pool reports to. */
export interface CallContext {
  readonly pool: string;
  readonly metrics: SandboxPoolMetrics;
  readonly events: Pick<EventBus, 'emit'>;
  readonly logger: SightlineLogger;
  readonly now: () => number;
}

/** What a call needs of the execution serving it. */
export interface CallExecution {
  readonly pid: number | undefined;
  /** A result line arrived: the call's outcome is the child's. */
  readonly answered: boolean;
  kill(): void;
  /** Ends the execution's spans, as errors unless the outcome is `ok`. */
  endSpans(errorType: SandboxErrorType | undefined): void;
}

/**
 * `arrived`: not yet in the pool (refused at once, it gets no `request.completed`);
 * `accepted`: queued or running; `settled`: answered or failed, once.
 */
type CallPhase = 'arrived' | 'accepted' | 'settled';

/**
 * One call as the caller sees it: its promise, settled exactly once, with the call's
 * telemetry (`sandbox_calls_total`, `request.completed`, the spans' status) recorded in the
 * caller's async context, wherever the settling happens.
 */
export class SandboxCall {
  readonly callId: string;
  readonly tool: string;
  /** The request as the child reads it, serialised when the call arrives. */
  readonly requestLine: string;
  readonly onProgress: SandboxRunRequest['onProgress'];
  readonly onStart: SandboxRunRequest['onStart'];
  readonly signal: AbortSignal | undefined;
  readonly acceptedAt: number;
  readonly promise: Promise<SandboxRunResult>;
  readonly #context: CallContext;
  /** The caller's async context (sightline's request context among it) and trace context. */
  readonly #scope = new AsyncResource('SandboxCall');
  readonly #parentContext: Context = otelContext.active();
  #phase: CallPhase = 'arrived';
  #execution: CallExecution | undefined;
  #removeAbortListener: (() => void) | undefined;
  #resolve: (result: SandboxRunResult) => void = noop;
  #reject: (error: SandboxError) => void = noop;

  constructor(request: SandboxRunRequest, encoded: EncodedRunRequest, context: CallContext) {
    this.callId = encoded.callId;
    this.tool = request.tool;
    this.requestLine = encoded.requestLine;
    this.onProgress = request.onProgress;
    this.onStart = request.onStart;
    this.signal = request.signal;
    this.#context = context;
    this.acceptedAt = context.now();
    this.promise = new Promise<SandboxRunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get settled(): boolean {
    return this.#phase === 'settled';
  }

  get execution(): CallExecution | undefined {
    return this.#execution;
  }

  /** From here on the call gets a `request.completed` event, whatever happens to it; `onAbort` runs in the caller's context. */
  accept(onAbort: (call: SandboxCall) => void): void {
    if (this.#phase !== 'arrived') throw new Error(`sandbox call ${this.callId} is already ${this.#phase}`);
    this.#phase = 'accepted';
    const { signal } = this;
    if (signal === undefined) return;
    const abortListener = (): void => this.#scope.runInAsyncScope(onAbort, null, this);
    signal.addEventListener('abort', abortListener, { once: true });
    this.#removeAbortListener = () => signal.removeEventListener('abort', abortListener);
  }

  attach(execution: CallExecution): void {
    this.#execution = execution;
  }

  /**
   * Runs `fn` in the caller's async and trace context: a call queued by one request may be
   * dispatched on another's turn, and its telemetry and the child's trace must be the caller's.
   */
  inCallerContext(fn: () => void): void {
    this.#scope.runInAsyncScope(() => otelContext.with(this.#parentContext, fn));
  }

  /** Calls a caller's hook; its throw is logged, never passed on. */
  runHook(hook: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      const { logger, pool } = this.#context;
      logger.warn('sandbox hook failed', { target: 'sandbox', pool, hook, call_id: this.callId, tool: this.tool, error });
    }
  }

  succeed(result: SandboxRunResult): void {
    this.#settle('ok', () => this.#resolve(result));
  }

  fail(type: SandboxErrorType, message: string, extra: Partial<SandboxErrorDetails> = {}, retryAfterS?: number): void {
    const details: SandboxErrorDetails = { pool: this.#context.pool, callId: this.callId, tool: this.tool, ...extra };
    const error = new SandboxError(type, message, details, retryAfterS);
    this.#settle(type, () => this.#reject(error));
  }

  #settle(outcome: 'ok' | SandboxErrorType, deliver: () => void): void {
    if (this.#phase === 'settled') return;
    const wasAccepted = this.#phase === 'accepted';
    this.#phase = 'settled';
    this.#removeAbortListener?.();
    this.#scope.runInAsyncScope(() => this.#recordOutcome(outcome, wasAccepted));
    deliver();
  }

  #recordOutcome(outcome: 'ok' | SandboxErrorType, wasAccepted: boolean): void {
    const { metrics, events, logger, pool, now } = this.#context;
    try {
      metrics.calls.inc({ tool: toolLabel(this.tool), outcome });
      this.#execution?.endSpans(outcome === 'ok' ? undefined : outcome);
      if (wasAccepted) {
        const success = outcome === 'ok';
        events.emit('request.completed', { duration_ms: now() - this.acceptedAt }, {
          correlation_id: this.callId,
          pool,
          success,
          ...(success ? {} : { error_type: outcome }),
        });
      }
    } catch (error) {
      logger.warn('sandbox telemetry failed', { target: 'sandbox', pool, call_id: this.callId, error });
    }
  }
}

function noop(): void {}
