import { AsyncResource } from 'node:async_hooks';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { context as otelContext, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { describeConfig, resolvePoolConfig, type SandboxPoolOptions } from './poolConfig';
import { createSandboxPoolMetrics, SANDBOX_WORKER_STATES, toolLabel, type SandboxWorkerState } from './poolMetrics';
import {
  createLineSplitter,
  encodeLine,
  isRecord,
  MAX_LINE_BYTES,
  parseChildLine,
  preview,
  type ErrorDetails,
  type ParseErrorType,
} from './protocol';
import { quote } from './quote';

export { nodeCommand, type SandboxCommand } from './command';
export type { SandboxPoolOptions } from './poolConfig';

export interface SandboxRunRequest {
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Names the call in the protocol, events and logs. Default: a random UUID. */
  readonly callId?: string;
  /** Each progress message of the child; a throw is logged and ignored. */
  readonly onProgress?: (message: string) => void;
  /** Once the child process has started; a throw is logged and ignored. */
  readonly onStart?: (started: { readonly pid: number; readonly spawnMs: number }) => void;
  /** Aborting leaves the queue or kills the child; the call fails `aborted`. */
  readonly signal?: AbortSignal;
}

export interface SandboxRunResult {
  readonly output: unknown;
  /** From starting the child to its result. */
  readonly durationMs: number;
  /** Time spent waiting for a free slot. */
  readonly queueWaitMs: number;
  readonly pid: number;
}

export type SandboxErrorType =
  | 'saturated'
  | 'queue_timeout'
  | 'call_timeout'
  | 'crashed'
  | 'parse_error'
  | 'pool_crashed'
  | 'tool_error'
  | 'aborted'
  | 'closed';

export interface SandboxErrorDetails {
  readonly pool: string;
  readonly callId: string;
  readonly tool: string;
  readonly pid?: number;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** The child's last non-JSON stderr output (at most 2 KB). */
  readonly stderrTail?: string;
  /** The child's own error (`tool_error`, or the `fatal` line of a crash). */
  readonly childError?: ErrorDetails;
  readonly parseErrorType?: ParseErrorType;
  readonly rawLinePreview?: string;
  readonly timeoutMs?: number;
  readonly queueSize?: number;
}

/** How a sandbox call failed: `type` is stable for branching; `retryAfterS` is set when waiting helps. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly type: SandboxErrorType;
  readonly retryAfterS: number | undefined;
  readonly details: SandboxErrorDetails;

  constructor(type: SandboxErrorType, message: string, details: SandboxErrorDetails, retryAfterS?: number) {
    super(message);
    this.type = type;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}

export type SandboxPoolState = 'running' | 'crashed' | 'closed';

export interface SandboxPoolStats {
  readonly state: SandboxPoolState;
  readonly total: number;
  readonly available: number;
  readonly busy: number;
  readonly spawning: number;
  readonly backoff: number;
  readonly queue_size: number;
  readonly crashes: number;
  readonly crashes_in_window: number;
}

export interface SandboxPool {
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  /** JSON-safe, for `obs.health.registerPool`. */
  stats(): SandboxPoolStats;
  /** Leaves the `crashed` state (an operator's decision); true when it was crashed. */
  reset(): boolean;
  /** Kills running children and fails every call; resolves once every child has exited. Idempotent. */
  close(): Promise<void>;
}

const MAX_CALL_ID_LENGTH = 128;
const MAX_TOOL_NAME_LENGTH = 256;
const STDERR_TAIL_BYTES = 2048;
/** A child that answered is given this long to exit by itself before it is killed. */
const EXIT_GRACE_MS = 2000;
/** After a child exits, how long its output may take to drain before the pipes are closed. */
const STDIO_GRACE_MS = 1000;
/** Variables a child inherits; everything else (API keys, admin tokens, …) stays in the pool's process. */
const INHERITED_VARIABLES = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT']);
const INHERITED_PREFIXES = ['NODE_', 'LC_'];
const SECRET_LOOKING = /TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/**
 * A pool of sandbox child processes, one per tool call, `size` at once. Calls beyond that
 * wait in a FIFO queue; a child that dies before answering is a crash, after which its slot
 * backs off before spawning again; too many crashes in a window stop the pool until an
 * operator resets it. Everything lives in the instance.
 */
export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const config = resolvePoolConfig(options);
  const { events, tracer, logger, childEnv, onChildLog } = options;
  const now = options.now ?? (() => performance.now());
  const random = options.random ?? Math.random;
  const createdAt = now();
  const pool = config.name;
  const metrics = createSandboxPoolMetrics(options.metrics);
  const baseEnv = { ...inheritedEnvironment(process.env), ...config.command.env };
  const retryAfterQueueS = Math.max(1, Math.ceil(config.queueTimeoutMs / 1000));
  const retryAfterCrashS = Math.max(1, Math.ceil(config.crashStorm.windowMs / 1000));

  const slots: Slot[] = Array.from({ length: config.size }, (_, id) => ({ id, state: 'idle', consecutiveCrashes: 0, backoffTimer: undefined }));
  const queue: Call[] = [];
  const executions = new Set<Execution>();
  let crashTimes: number[] = [];
  let crashCount = 0;
  let state: 'running' | 'crashed' = 'running';
  let closed = false;
  let closePromise: Promise<void> | undefined;
  let whenAllExited: (() => void) | undefined;

  updateWorkerGauge();
  metrics.queueDepth.set(0);
  events.emit('pool.started', { startup_ms: now() - createdAt }, { pool, config: describeConfig(config) });

  function updateWorkerGauge(): void {
    const counts: Record<SandboxWorkerState, number> = { idle: 0, spawning: 0, busy: 0, backoff: 0 };
    for (const slot of slots) counts[slot.state] += 1;
    for (const workerState of SANDBOX_WORKER_STATES) metrics.workers.set({ state: workerState }, counts[workerState]);
  }

  function setSlotState(slot: Slot, slotState: SandboxWorkerState): void {
    slot.state = slotState;
    updateWorkerGauge();
  }

  function updateQueueGauge(): void {
    metrics.queueDepth.set(queue.length);
  }

  function countOf(slotState: SandboxWorkerState): number {
    return slots.filter((slot) => slot.state === slotState).length;
  }

  function crashesInWindow(): number {
    const since = now() - config.crashStorm.windowMs;
    crashTimes = crashTimes.filter((time) => time > since);
    return crashTimes.length;
  }

  function detailsOf(call: Call, extra: Partial<SandboxErrorDetails> = {}): SandboxErrorDetails {
    return { pool, callId: call.callId, tool: call.tool, ...extra };
  }

  /** Calls a caller's hook; its throw is logged, never passed on. */
  function safely(hook: string, call: Call, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      logger.warn('sandbox hook failed', { target: 'sandbox', pool, hook, call_id: call.callId, tool: call.tool, error });
    }
  }

  function run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    const problem = requestProblem(request);
    if (problem !== undefined) return Promise.reject(new TypeError(`sandboxPool.run: ${problem}`));
    const callId = request.callId ?? randomUUID();
    let requestLine: string;
    try {
      requestLine = encodeLine({ id: callId, tool: request.tool, arguments: request.arguments });
    } catch (error) {
      return Promise.reject(new TypeError(`sandboxPool.run: arguments of ${JSON.stringify(request.tool)} are not JSON-serialisable: ${String(error)}`));
    }
    if (Buffer.byteLength(requestLine) > MAX_LINE_BYTES) {
      return Promise.reject(new TypeError(`sandboxPool.run: the request for ${JSON.stringify(request.tool)} is longer than ${MAX_LINE_BYTES} bytes`));
    }
    const call: Call = {
      callId,
      tool: request.tool,
      requestLine,
      onProgress: request.onProgress,
      onStart: request.onStart,
      signal: request.signal,
      acceptedAt: now(),
      scope: new AsyncResource('SandboxCall'),
      parentContext: otelContext.active(),
      settled: false,
      accepted: false,
      queueTimer: undefined,
      execution: undefined,
      removeAbortListener: undefined,
      resolve: noop,
      reject: noop,
    };
    const promise = new Promise<SandboxRunResult>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });

    if (closed) {
      fail(call, 'closed', `sandbox pool ${pool} is closed`);
    } else if (state === 'crashed') {
      fail(call, 'pool_crashed', `sandbox pool ${pool} stopped after repeated crashes; an operator must reset it`, {}, retryAfterCrashS);
    } else if (call.signal?.aborted) {
      fail(call, 'aborted', 'the call was aborted before it started');
    } else {
      const slot = queue.length === 0 ? slots.find((candidate) => candidate.state === 'idle') : undefined;
      if (slot !== undefined) {
        accept(call);
        start(call, slot);
      } else if (queue.length < config.queueMax) {
        accept(call);
        enqueue(call);
      } else {
        events.emit('pool.saturated', { queue_size: queue.length, available_workers: countOf('idle') }, { pool });
        fail(call, 'saturated', `sandbox pool ${pool} is saturated: no slot free and ${queue.length} calls queued`, { queueSize: queue.length }, retryAfterQueueS);
      }
    }
    return promise;
  }

  /** From here on the call gets a `request.completed` event, whatever happens to it. */
  function accept(call: Call): void {
    call.accepted = true;
    const { signal } = call;
    if (signal === undefined) return;
    const onAbort = (): void => call.scope.runInAsyncScope(abort, null, call);
    signal.addEventListener('abort', onAbort, { once: true });
    call.removeAbortListener = () => signal.removeEventListener('abort', onAbort);
  }

  function abort(call: Call): void {
    if (call.settled || call.execution?.answered) return;
    removeFromQueue(call);
    if (call.execution !== undefined) kill(call.execution);
    fail(call, 'aborted', 'the call was aborted', call.execution?.pid === undefined ? {} : { pid: call.execution.pid });
  }

  function enqueue(call: Call): void {
    queue.push(call);
    updateQueueGauge();
    call.queueTimer = setTimeout(function queueTimedOut() {
      removeFromQueue(call);
      fail(call, 'queue_timeout', `no sandbox slot came free within ${config.queueTimeoutMs} ms`, { timeoutMs: config.queueTimeoutMs }, retryAfterQueueS);
    }, config.queueTimeoutMs);
    call.queueTimer.unref();
  }

  function removeFromQueue(call: Call): void {
    const index = queue.indexOf(call);
    if (index !== -1) {
      queue.splice(index, 1);
      updateQueueGauge();
    }
    clearTimeout(call.queueTimer);
    call.queueTimer = undefined;
  }

  function dispatch(): void {
    while (!closed && state === 'running' && queue.length > 0) {
      const slot = slots.find((candidate) => candidate.state === 'idle');
      if (slot === undefined) return;
      const call = queue.shift() as Call;
      updateQueueGauge();
      clearTimeout(call.queueTimer);
      call.queueTimer = undefined;
      start(call, slot);
    }
  }

  function start(call: Call, slot: Slot): void {
    // The call may have been queued by one request and dispatched on another's turn: its
    // telemetry and the child's trace context must be the caller's.
    call.scope.runInAsyncScope(() => otelContext.with(call.parentContext, launch, null, call, slot));
  }

  function launch(call: Call, slot: Slot): void {
    setSlotState(slot, 'spawning');
    const queueWaitMs = now() - call.acceptedAt;
    metrics.queueWait.observe(queueWaitMs / 1000);
    events.emit('request.started', { queue_wait_ms: queueWaitMs }, { correlation_id: call.callId, command: call.tool, pool });

    const attributes = { 'sandbox.pool': pool, 'sandbox.tool': call.tool, 'sandbox.call_id': call.callId };
    const execSpan = tracer.startSpan('sandbox.exec', { attributes }, otelContext.active());
    const execContext = trace.setSpan(otelContext.active(), execSpan);
    // Inside the exec span: the child's TRACEPARENT names it as the child's parent.
    let traceEnv: Record<string, string> = {};
    try {
      traceEnv = otelContext.with(execContext, childEnv);
    } catch (error) {
      logger.warn('sandbox child trace context unavailable', { target: 'sandbox', pool, call_id: call.callId, error });
    }
    const spawnSpan = tracer.startSpan('sandbox.spawn', { attributes }, execContext);
    const execution: Execution = {
      call,
      slot,
      child: undefined,
      pid: undefined,
      spawnedAt: now(),
      deliverAnswer: undefined,
      spawnSpan,
      execSpan,
      spawnSpanOpen: true,
      execSpanOpen: true,
      killedByUs: false,
      answered: false,
      finished: false,
      fatal: undefined,
      spawnError: undefined,
      stderrTail: '',
      callTimer: undefined,
      exitTimer: undefined,
      stdioTimer: undefined,
    };
    call.execution = execution;
    executions.add(execution);
    execution.callTimer = setTimeout(() => callTimedOut(execution), config.callTimeoutMs);
    execution.callTimer.unref();

    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(config.command.file, config.command.args, {
        env: { ...baseEnv, ...traceEnv },
        windowsHide: true,
      });
    } catch (error) {
      execution.spawnError = error instanceof Error ? error : new Error(String(error));
      finishExecution(execution, null, null);
      return;
    }
    execution.child = child;

    const stdout = createLineSplitter({
      onLine: (line) => onStdoutLine(execution, line),
      onLineTooLong: (head) => {
        if (!execution.answered && !call.settled) metrics.lines.inc();
        invalidOutput(execution, 'line_too_long', 'a line passed 1 MiB', head);
      },
    });
    const stderr = createLineSplitter({
      maxLineBytes: 64 * 1024,
      onLine: (line) => onStderrLine(execution, line),
      onLineTooLong: (head) => keepStderrTail(execution, `${head}…`),
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stdout.once('end', () => stdout.end());
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stderr.once('end', () => stderr.end());
    // A child that exits without reading its request makes writing fail with EPIPE: its exit tells the story.
    child.stdin.on('error', noop);
    child.once('spawn', () => onSpawn(execution, child));
    child.on('error', (error) => {
      if (execution.pid !== undefined) return;
      // The process never started (ENOENT, EACCES, EAGAIN…).
      execution.spawnError = error;
      finishExecution(execution, null, null);
    });
    child.once('exit', () => {
      // 'close' waits for stdio to close: a grandchild holding the pipes must not hold the slot.
      execution.stdioTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, STDIO_GRACE_MS);
      execution.stdioTimer.unref();
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => finishExecution(execution, code, signal));
  }

  function onSpawn(execution: Execution, child: ChildProcessWithoutNullStreams): void {
    const { call, slot } = execution;
    const pid = child.pid as number;
    execution.pid = pid;
    const spawnMs = now() - execution.spawnedAt;
    metrics.spawnDuration.observe(spawnMs / 1000);
    execution.spawnSpan.setAttribute('process.pid', pid);
    execution.execSpan.setAttribute('process.pid', pid);
    endSpawnSpan(execution);
    if (slot.state === 'spawning') setSlotState(slot, 'busy');
    events.emit('worker.started', { startup_ms: spawnMs }, { pool, worker_id: slot.id, pid });
    logger.debug('sandbox spawned', { target: 'sandbox', pool, worker_id: slot.id, pid, spawn_ms: spawnMs, tool: call.tool, call_id: call.callId });
    if (call.settled) return;
    if (call.onStart !== undefined) {
      const onStart = call.onStart;
      safely('onStart', call, () => onStart({ pid, spawnMs }));
    }
    child.stdin.end(call.requestLine);
  }

  function onStdoutLine(execution: Execution, line: string): void {
    const { call } = execution;
    if (execution.answered || call.settled || line.trim() === '') return;
    metrics.lines.inc();
    const parsed = parseChildLine(line);
    if (!parsed.ok) {
      invalidOutput(execution, parsed.errorType, parsed.reason, line);
      return;
    }
    const { message } = parsed;
    if (message.type === 'fatal') {
      execution.fatal = message.error;
      return;
    }
    if (message.id !== call.callId) {
      invalidOutput(execution, 'invalid_fields', `"id" ${JSON.stringify(preview(message.id, 60))} is not the call's ${JSON.stringify(call.callId)}`, line);
      return;
    }
    if (message.type === 'progress') {
      if (call.onProgress !== undefined) {
        const onProgress = call.onProgress;
        safely('onProgress', call, () => onProgress(message.message));
      }
      return;
    }
    execution.answered = true;
    const answeredAt = now();
    clearTimeout(execution.callTimer);
    // It exits by itself after answering; one that lingers is killed (not a crash).
    execution.exitTimer = setTimeout(() => kill(execution), EXIT_GRACE_MS);
    execution.exitTimer.unref();
    execution.slot.consecutiveCrashes = 0;
    endExecSpan(execution, message.ok ? undefined : 'tool_error');
    // Delivered once the child has exited: by then every log line it wrote has reached onChildLog.
    if (message.ok) {
      const result: SandboxRunResult = {
        output: message.output,
        durationMs: answeredAt - execution.spawnedAt,
        queueWaitMs: execution.spawnedAt - call.acceptedAt,
        pid: execution.pid as number,
      };
      execution.deliverAnswer = () => succeed(call, result);
    } else {
      const { error } = message;
      execution.deliverAnswer = () => fail(call, 'tool_error', `tool ${call.tool} failed: ${error.message}`, { pid: execution.pid, childError: error });
    }
  }

  function invalidOutput(execution: Execution, errorType: ParseErrorType, reason: string, rawLine: string): void {
    const { call } = execution;
    if (execution.answered || call.settled) return;
    const rawLinePreview = preview(rawLine);
    metrics.parseErrors.inc({ type: errorType });
    logger.warn('sandbox output invalid', {
      target: 'sandbox',
      pool,
      worker_id: execution.slot.id,
      pid: execution.pid,
      tool: call.tool,
      call_id: call.callId,
      error_type: errorType,
      reason,
      raw_line_preview: rawLinePreview,
    });
    kill(execution);
    fail(call, 'parse_error', `sandbox child wrote an invalid line (${errorType}): ${reason}`, {
      pid: execution.pid,
      parseErrorType: errorType,
      rawLinePreview,
    });
  }

  function onStderrLine(execution: Execution, line: string): void {
    if (line.trim() === '') return;
    if (!isJsonObjectLine(line)) {
      keepStderrTail(execution, line);
    } else if (onChildLog !== undefined) {
      safely('onChildLog', execution.call, () => onChildLog(line));
    }
  }

  function keepStderrTail(execution: Execution, text: string): void {
    const tail = `${execution.stderrTail}${text}\n`;
    execution.stderrTail = tail.length > STDERR_TAIL_BYTES ? tail.slice(tail.length - STDERR_TAIL_BYTES) : tail;
  }

  function callTimedOut(execution: Execution): void {
    const { call } = execution;
    if (execution.answered || call.settled) return;
    logger.warn('sandbox call timed out', {
      target: 'sandbox',
      pool,
      worker_id: execution.slot.id,
      pid: execution.pid,
      tool: call.tool,
      call_id: call.callId,
      timeout_ms: config.callTimeoutMs,
    });
    kill(execution);
    fail(call, 'call_timeout', `tool ${call.tool} did not answer within ${config.callTimeoutMs} ms`, {
      pid: execution.pid,
      timeoutMs: config.callTimeoutMs,
    });
  }

  function kill(execution: Execution): void {
    if (execution.finished || execution.child === undefined) return;
    execution.killedByUs = true;
    execution.child.kill('SIGKILL');
  }

  /** The child has exited (or never started) and its output is read: settle the call if still open, free the slot. */
  function finishExecution(execution: Execution, code: number | null, signal: NodeJS.Signals | null): void {
    if (execution.finished) return;
    execution.finished = true;
    clearTimeout(execution.callTimer);
    clearTimeout(execution.exitTimer);
    clearTimeout(execution.stdioTimer);
    executions.delete(execution);
    const { slot } = execution;
    const crashed = !execution.killedByUs && !execution.answered;
    if (crashed) recordCrash(execution, code, signal);
    execution.deliverAnswer?.();
    endSpawnSpan(execution, crashed ? 'crashed' : undefined);
    if (closed) {
      setSlotState(slot, 'idle');
      if (executions.size === 0) whenAllExited?.();
    } else if (crashed) {
      backOff(slot);
    } else {
      setSlotState(slot, 'idle');
      dispatch();
    }
  }

  function recordCrash(execution: Execution, code: number | null, signal: NodeJS.Signals | null): void {
    const { call, slot } = execution;
    const spawnErrorCode = (execution.spawnError as NodeJS.ErrnoException | undefined)?.code;
    const exitLabel = signal ?? (code === null || code < 0 ? spawnErrorCode ?? String(code) : String(code));
    crashCount += 1;
    crashTimes.push(now());
    metrics.crashes.inc({ exit_code: exitLabel });
    const stderrTail = execution.spawnError === undefined ? execution.stderrTail : `${execution.spawnError.message}\n${execution.stderrTail}`;
    const exitCode = execution.spawnError === undefined ? code : null;
    events.emit('worker.crashed', exitCode === null ? {} : { exit_code: exitCode }, {
      pool,
      worker_id: slot.id,
      pid: execution.pid ?? null,
      signal,
      error: stderrTail,
      stack: execution.fatal?.stack ?? null,
      tool: call.tool,
      call_id: call.callId,
    });
    logger.error('sandbox crashed', {
      target: 'sandbox',
      pool,
      worker_id: slot.id,
      pid: execution.pid,
      exit_code: exitCode,
      signal,
      stderr_tail: stderrTail,
      fatal_error: execution.fatal?.message,
      tool: call.tool,
      call_id: call.callId,
    });
    const how = execution.spawnError !== undefined
      ? `could not start: ${execution.spawnError.message}`
      : signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
    fail(call, 'crashed', `sandbox child ${how} before answering`, {
      pid: execution.pid,
      exitCode,
      signal,
      stderrTail,
      ...(execution.fatal === undefined ? {} : { childError: execution.fatal }),
    });
    slot.consecutiveCrashes += 1;
    if (state === 'running' && crashesInWindow() >= config.crashStorm.count) enterCrashed();
  }

  function backOff(slot: Slot): void {
    const exponential = config.backoff.initialMs * 2 ** Math.min(slot.consecutiveCrashes - 1, 30);
    const capped = Math.min(config.backoff.maxMs, exponential);
    // Half fixed, half random: slots that crashed together do not all come back together.
    const delay = capped / 2 + (capped / 2) * random();
    setSlotState(slot, 'backoff');
    slot.backoffTimer = setTimeout(function backoffOver() {
      slot.backoffTimer = undefined;
      setSlotState(slot, 'idle');
      dispatch();
    }, delay);
    slot.backoffTimer.unref();
  }

  function enterCrashed(): void {
    state = 'crashed';
    const crashes = crashesInWindow();
    events.emit('pool.crashed', { crashes, window_s: config.crashStorm.windowMs / 1000 }, { pool });
    logger.error('sandbox pool crashed', {
      target: 'sandbox',
      pool,
      crashes,
      window_ms: config.crashStorm.windowMs,
      queued_calls_failed: queue.length,
    });
    for (const call of queue.splice(0)) {
      clearTimeout(call.queueTimer);
      fail(call, 'pool_crashed', `sandbox pool ${pool} stopped after ${crashes} crashes within ${config.crashStorm.windowMs} ms`, {}, retryAfterCrashS);
    }
    updateQueueGauge();
  }

  function succeed(call: Call, result: SandboxRunResult): void {
    settle(call, 'ok', () => call.resolve(result));
  }

  function fail(call: Call, type: SandboxErrorType, message: string, extra: Partial<SandboxErrorDetails> = {}, retryAfterS?: number): void {
    const error = new SandboxError(type, message, detailsOf(call, extra), retryAfterS);
    settle(call, type, () => call.reject(error));
  }

  function settle(call: Call, outcome: 'ok' | SandboxErrorType, deliver: () => void): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.queueTimer);
    call.removeAbortListener?.();
    call.scope.runInAsyncScope(function recordOutcome() {
      try {
        metrics.calls.inc({ tool: toolLabel(call.tool), outcome });
        const { execution } = call;
        if (execution !== undefined) {
          endSpawnSpan(execution, outcome === 'ok' ? undefined : outcome);
          endExecSpan(execution, outcome === 'ok' ? undefined : outcome);
        }
        if (call.accepted) {
          const success = outcome === 'ok';
          events.emit('request.completed', { duration_ms: now() - call.acceptedAt }, {
            correlation_id: call.callId,
            pool,
            success,
            ...(success ? {} : { error_type: outcome }),
          });
        }
      } catch (error) {
        logger.warn('sandbox telemetry failed', { target: 'sandbox', pool, call_id: call.callId, error });
      }
    });
    deliver();
  }

  function endExecSpan(execution: Execution, errorType?: string): void {
    if (!execution.execSpanOpen) return;
    execution.execSpanOpen = false;
    if (errorType !== undefined) {
      execution.execSpan.setAttribute('sandbox.error_type', errorType);
      execution.execSpan.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    execution.execSpan.end();
  }

  function endSpawnSpan(execution: Execution, errorType?: string): void {
    if (!execution.spawnSpanOpen) return;
    execution.spawnSpanOpen = false;
    if (errorType !== undefined) execution.spawnSpan.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    execution.spawnSpan.end();
  }

  return {
    run,

    stats() {
      return {
        state: closed ? 'closed' : state,
        total: config.size,
        available: countOf('idle'),
        busy: countOf('busy'),
        spawning: countOf('spawning'),
        backoff: countOf('backoff'),
        queue_size: queue.length,
        crashes: crashCount,
        crashes_in_window: crashesInWindow(),
      };
    },

    reset() {
      if (state !== 'crashed' || closed) return false;
      state = 'running';
      crashTimes = [];
      // The operator vouches for the children: slots backing off may start at once.
      for (const slot of slots) {
        slot.consecutiveCrashes = 0;
        if (slot.state !== 'backoff') continue;
        clearTimeout(slot.backoffTimer);
        slot.backoffTimer = undefined;
        slot.state = 'idle';
      }
      updateWorkerGauge();
      events.emit('pool.reset', {}, { pool });
      logger.info('sandbox pool reset', { target: 'sandbox', pool });
      dispatch();
      return true;
    },

    close() {
      if (closePromise !== undefined) return closePromise;
      closed = true;
      for (const call of queue.splice(0)) fail(call, 'closed', `sandbox pool ${pool} closed before the call started`);
      updateQueueGauge();
      for (const slot of slots) {
        if (slot.state !== 'backoff') continue;
        clearTimeout(slot.backoffTimer);
        slot.backoffTimer = undefined;
        slot.state = 'idle';
      }
      updateWorkerGauge();
      closePromise = new Promise<void>((resolve) => {
        whenAllExited = resolve;
        if (executions.size === 0) resolve();
      });
      for (const execution of [...executions]) {
        kill(execution);
        // One that answered keeps its answer, delivered as it exits.
        if (!execution.answered) fail(execution.call, 'closed', `sandbox pool ${pool} closed during the call`, { pid: execution.pid });
      }
      return closePromise;
    },
  };
}

interface Slot {
  readonly id: number;
  state: SandboxWorkerState;
  consecutiveCrashes: number;
  backoffTimer: NodeJS.Timeout | undefined;
}

interface Call {
  readonly callId: string;
  readonly tool: string;
  /** The request as the child reads it, serialised when the call arrives. */
  readonly requestLine: string;
  readonly onProgress: ((message: string) => void) | undefined;
  readonly onStart: SandboxRunRequest['onStart'];
  readonly signal: AbortSignal | undefined;
  readonly acceptedAt: number;
  /** The caller's async context (sightline's request context among it). */
  readonly scope: AsyncResource;
  readonly parentContext: Context;
  settled: boolean;
  accepted: boolean;
  queueTimer: NodeJS.Timeout | undefined;
  execution: Execution | undefined;
  removeAbortListener: (() => void) | undefined;
  resolve: (result: SandboxRunResult) => void;
  reject: (error: SandboxError) => void;
}

interface Execution {
  readonly call: Call;
  readonly slot: Slot;
  child: ChildProcessWithoutNullStreams | undefined;
  pid: number | undefined;
  readonly spawnedAt: number;
  /** Settles the call with the child's answer, once the child has exited. */
  deliverAnswer: (() => void) | undefined;
  readonly spawnSpan: Span;
  readonly execSpan: Span;
  spawnSpanOpen: boolean;
  execSpanOpen: boolean;
  killedByUs: boolean;
  /** A result line arrived: whatever the child does next is not a crash. */
  answered: boolean;
  finished: boolean;
  fatal: ErrorDetails | undefined;
  spawnError: Error | undefined;
  stderrTail: string;
  callTimer: NodeJS.Timeout | undefined;
  exitTimer: NodeJS.Timeout | undefined;
  stdioTimer: NodeJS.Timeout | undefined;
}

function noop(): void {}

function requestProblem(request: SandboxRunRequest): string | undefined {
  if (!isRecord(request)) return `request must be an object, got ${String(request)}`;
  const { tool, callId } = request;
  if (typeof tool !== 'string' || tool === '' || tool.length > MAX_TOOL_NAME_LENGTH) {
    return `tool must be a string of 1 to ${MAX_TOOL_NAME_LENGTH} characters, got ${quote(tool)}`;
  }
  if (!isRecord(request.arguments)) return `arguments of ${JSON.stringify(tool)} must be an object, got ${quote(request.arguments)}`;
  if (callId !== undefined && (typeof callId !== 'string' || callId === '' || callId.length > MAX_CALL_ID_LENGTH)) {
    return `callId must be a string of 1 to ${MAX_CALL_ID_LENGTH} characters, got ${quote(callId)}`;
  }
  for (const hook of ['onProgress', 'onStart'] as const) {
    if (request[hook] !== undefined && typeof request[hook] !== 'function') return `${hook} must be a function, got ${typeof request[hook]}`;
  }
  return undefined;
}


function isJsonObjectLine(line: string): boolean {
  if (!line.trimStart().startsWith('{')) return false;
  try {
    return isRecord(JSON.parse(line));
  } catch {
    return false;
  }
}

/** Only what a Node program needs to run; never the service's secrets. */
function inheritedEnvironment(environment: NodeJS.ProcessEnv): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined || SECRET_LOOKING.test(name)) continue;
    if (INHERITED_VARIABLES.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix))) inherited[name] = value;
  }
  return inherited;
}
