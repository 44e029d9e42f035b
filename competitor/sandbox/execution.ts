import type { Tracer } from '@opentelemetry/api';
import type { EventBus, SightlineLogger } from '../../src';
import type { CallExecution, SandboxCall } from './call';
import type { ChildEnvironment } from './childEnvironment';
import { ChildStderr } from './childStderr';
import type { SandboxCommand } from './command';
import { ExecutionSpans } from './executionSpans';
import type { SandboxPoolMetrics } from './poolMetrics';
import { createLineSplitter, parseChildLine, preview, type ErrorDetails, type ParseErrorType, type ResultMessage } from './protocol';
import type { SandboxErrorType } from './sandboxError';
import type { Slot } from './slots';
import type { SandboxChildProcess, SpawnSandboxChild } from './spawnChild';

/**
 * `spawning` until the operating system started the child, `running` while it works on the
 * request; then one outcome: `answered` (a result line arrived; whatever the child does next
 * is not a crash), `killed` (by the pool, before answering) or `crashed` (it ended before
 * answering, or never started).
 */
export type ExecutionState = 'spawning' | 'running' | 'answered' | 'crashed' | 'killed';

const NEXT_STATES: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  spawning: ['running', 'killed', 'crashed'],
  running: ['answered', 'killed', 'crashed'],
  answered: [],
  crashed: [],
  killed: [],
};

/** A child that answered is given this long to exit by itself before it is killed. */
const EXIT_GRACE_MS = 2000;
/** After a child exits, how long its output may take to drain before the pipes are closed. */
const STDIO_GRACE_MS = 1000;

/** What every execution of a pool shares, and how it tells the pool about its slot. */
export interface ExecutionContext {
  readonly pool: string;
  readonly command: SandboxCommand;
  readonly callTimeoutMs: number;
  readonly spawn: SpawnSandboxChild;
  readonly childEnvironment: ChildEnvironment;
  readonly tracer: Tracer;
  readonly metrics: SandboxPoolMetrics;
  readonly events: Pick<EventBus, 'emit'>;
  readonly logger: SightlineLogger;
  readonly onChildLog: ((line: string) => void) | undefined;
  readonly now: () => number;
  /** The process started. */
  readonly onStarted: (execution: Execution) => void;
  readonly onAnswered: (execution: Execution) => void;
  /** The child has exited (or never started), its output is read and its call settled: the slot is free. */
  readonly onEnded: (execution: Execution) => void;
}

/**
 * One call run in one child process: spawns it, writes the request, reads its lines, enforces
 * the call timeout, and settles the call. Its `state` moves only forward, through `#moveTo`.
 */
export class Execution implements CallExecution {
  readonly call: SandboxCall;
  readonly slot: Slot;
  readonly #context: ExecutionContext;
  readonly #spans: ExecutionSpans;
  readonly #env: Record<string, string>;
  readonly #spawnedAt: number;
  readonly #stderr: ChildStderr;
  #state: ExecutionState = 'spawning';
  #child: SandboxChildProcess | undefined;
  #pid: number | undefined;
  /** The child's `fatal` line, reported with its crash. */
  #fatal: ErrorDetails | undefined;
  #spawnError: Error | undefined;
  #exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  /** Settles the call with the child's answer, once the child has exited: by then every log line it wrote has reached onChildLog. */
  #deliverAnswer: (() => void) | undefined;
  #callTimer: NodeJS.Timeout | undefined;
  #exitTimer: NodeJS.Timeout | undefined;
  #stdioTimer: NodeJS.Timeout | undefined;

  /** Starts the spans and prepares the child's environment; `start()` spawns it. Call in the caller's context. */
  constructor(call: SandboxCall, slot: Slot, context: ExecutionContext) {
    this.call = call;
    this.slot = slot;
    this.#context = context;
    this.#spans = new ExecutionSpans(context.tracer, { 'sandbox.pool': context.pool, 'sandbox.tool': call.tool, 'sandbox.call_id': call.callId });
    // Inside the exec span: the child's TRACEPARENT names it as the child's parent.
    this.#env = context.childEnvironment(this.#spans.execContext, call.callId);
    this.#spans.startSpawn();
    this.#spawnedAt = context.now();
    const { onChildLog } = context;
    this.#stderr = new ChildStderr(onChildLog === undefined ? noop : (line) => call.runHook('onChildLog', () => onChildLog(line)));
  }

  get state(): ExecutionState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get answered(): boolean {
    return this.#state === 'answered';
  }

  start(): void {
    const { command, spawn, callTimeoutMs } = this.#context;
    this.#callTimer = setTimeout(() => this.#timedOut(), callTimeoutMs);
    this.#callTimer.unref();
    let child: SandboxChildProcess;
    try {
      child = spawn(command.file, command.args, { env: this.#env, windowsHide: true });
    } catch (error) {
      this.#spawnError = error instanceof Error ? error : new Error(String(error));
      this.#finish(null, null);
      return;
    }
    this.#child = child;
    this.#listen(child);
  }

  /** SIGKILLs the child unless it has exited; before an answer, that makes the execution `killed`. */
  kill(): void {
    if (this.#exit !== undefined || this.#child === undefined) return;
    if (this.#state === 'spawning' || this.#state === 'running') this.#moveTo('killed');
    this.#child.kill('SIGKILL');
  }

  endSpans(errorType: SandboxErrorType | undefined): void {
    this.#spans.endSpawn(errorType);
    this.#spans.endExec(errorType);
  }

  #moveTo(next: ExecutionState): void {
    if (!NEXT_STATES[this.#state].includes(next)) {
      throw new Error(`sandbox execution ${this.call.callId}: no way from ${this.#state} to ${next}`);
    }
    this.#state = next;
  }

  #listen(child: SandboxChildProcess): void {
    const stdout = createLineSplitter({
      onLine: (line) => this.#onStdoutLine(line),
      onLineTooLong: (head) => {
        if (this.#state === 'running') this.#context.metrics.lines.inc();
        this.#invalidOutput('line_too_long', 'a line passed 1 MiB', head);
      },
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stdout.once('end', () => stdout.end());
    child.stderr.on('data', (chunk: Buffer) => this.#stderr.push(chunk));
    child.stderr.once('end', () => this.#stderr.end());
    // A child that exits without reading its request makes writing fail with EPIPE: its exit tells the story.
    child.stdin.on('error', noop);
    child.once('spawn', () => this.#onSpawn(child));
    child.on('error', (error) => {
      if (this.#pid !== undefined) return;
      this.#spawnError = error;
      this.#finish(null, null);
    });
    child.once('exit', () => {
      // 'close' waits for stdio to close: a grandchild holding the pipes must not hold the slot.
      this.#stdioTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, STDIO_GRACE_MS);
      this.#stdioTimer.unref();
    });
    child.once('close', (code, signal) => this.#finish(code, signal));
  }

  #onSpawn(child: SandboxChildProcess): void {
    const { metrics, events, logger, pool, now } = this.#context;
    const { call, slot } = this;
    const pid = child.pid as number;
    this.#pid = pid;
    const spawnMs = now() - this.#spawnedAt;
    metrics.spawnDuration.observe(spawnMs / 1000);
    this.#spans.setPid(pid);
    this.#spans.endSpawn();
    this.#context.onStarted(this);
    events.emit('worker.started', { startup_ms: spawnMs }, { pool, worker_id: slot.id, pid });
    logger.debug('sandbox spawned', { target: 'sandbox', pool, worker_id: slot.id, pid, spawn_ms: spawnMs, tool: call.tool, call_id: call.callId });
    // Killed while starting (its call aborted, timed out or closed): nothing to ask it.
    if (this.#state !== 'spawning') return;
    this.#moveTo('running');
    const { onStart } = call;
    if (onStart !== undefined) call.runHook('onStart', () => onStart({ pid, spawnMs }));
    child.stdin.end(call.requestLine);
  }

  #onStdoutLine(line: string): void {
    const { call } = this;
    if (this.#state !== 'running' || line.trim() === '') return;
    this.#context.metrics.lines.inc();
    const parsed = parseChildLine(line);
    if (!parsed.ok) {
      this.#invalidOutput(parsed.errorType, parsed.reason, line);
      return;
    }
    const { message } = parsed;
    if (message.type === 'fatal') {
      this.#fatal = message.error;
      return;
    }
    if (message.id !== call.callId) {
      this.#invalidOutput('invalid_fields', `"id" ${JSON.stringify(preview(message.id, 60))} is not the call's ${JSON.stringify(call.callId)}`, line);
      return;
    }
    if (message.type === 'progress') {
      const { onProgress } = call;
      if (onProgress !== undefined) call.runHook('onProgress', () => onProgress(message.message));
      return;
    }
    this.#answer(message);
  }

  #answer(message: ResultMessage): void {
    const { call } = this;
    this.#moveTo('answered');
    const answeredAt = this.#context.now();
    clearTimeout(this.#callTimer);
    // It exits by itself after answering; one that lingers is killed (not a crash).
    this.#exitTimer = setTimeout(() => this.kill(), EXIT_GRACE_MS);
    this.#exitTimer.unref();
    this.#context.onAnswered(this);
    this.#spans.endExec(message.ok ? undefined : 'tool_error');
    const pid = this.#pid;
    if (message.ok) {
      const result = { output: message.output, durationMs: answeredAt - this.#spawnedAt, queueWaitMs: this.#spawnedAt - call.acceptedAt, pid: pid as number };
      this.#deliverAnswer = () => call.succeed(result);
    } else {
      const { error } = message;
      this.#deliverAnswer = () => call.fail('tool_error', `tool ${call.tool} failed: ${error.message}`, { pid, childError: error });
    }
  }

  #invalidOutput(errorType: ParseErrorType, reason: string, rawLine: string): void {
    if (this.#state !== 'running') return;
    const { metrics, logger, pool } = this.#context;
    const { call } = this;
    const rawLinePreview = preview(rawLine);
    metrics.parseErrors.inc({ type: errorType });
    logger.warn('sandbox output invalid', {
      target: 'sandbox',
      pool,
      worker_id: this.slot.id,
      pid: this.#pid,
      tool: call.tool,
      call_id: call.callId,
      error_type: errorType,
      reason,
      raw_line_preview: rawLinePreview,
    });
    this.kill();
    call.fail('parse_error', `sandbox child wrote an invalid line (${errorType}): ${reason}`, { pid: this.#pid, parseErrorType: errorType, rawLinePreview });
  }

  #timedOut(): void {
    if (this.#state !== 'spawning' && this.#state !== 'running') return;
    const { logger, pool, callTimeoutMs } = this.#context;
    const { call } = this;
    logger.warn('sandbox call timed out', {
      target: 'sandbox',
      pool,
      worker_id: this.slot.id,
      pid: this.#pid,
      tool: call.tool,
      call_id: call.callId,
      timeout_ms: callTimeoutMs,
    });
    this.kill();
    call.fail('call_timeout', `tool ${call.tool} did not answer within ${callTimeoutMs} ms`, { pid: this.#pid, timeoutMs: callTimeoutMs });
  }

  /** The child has exited (or never started) and its output is read: a crash unless it answered or was killed. */
  #finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exit !== undefined) return;
    this.#exit = { code, signal };
    clearTimeout(this.#callTimer);
    clearTimeout(this.#exitTimer);
    clearTimeout(this.#stdioTimer);
    const crashed = this.#state === 'spawning' || this.#state === 'running';
    if (crashed) {
      this.#moveTo('crashed');
      this.#reportCrash(code, signal);
    }
    this.#deliverAnswer?.();
    this.#spans.endSpawn(crashed ? 'crashed' : undefined);
    this.#context.onEnded(this);
  }

  #reportCrash(code: number | null, signal: NodeJS.Signals | null): void {
    const { metrics, events, logger, pool } = this.#context;
    const { call, slot } = this;
    const spawnError = this.#spawnError;
    const spawnErrorCode = (spawnError as NodeJS.ErrnoException | undefined)?.code;
    const exitLabel = signal ?? (code === null || code < 0 ? spawnErrorCode ?? String(code) : String(code));
    metrics.crashes.inc({ exit_code: exitLabel });
    const stderrTail = spawnError === undefined ? this.#stderr.tail : `${spawnError.message}\n${this.#stderr.tail}`;
    const exitCode = spawnError === undefined ? code : null;
    const fatal = this.#fatal;
    events.emit('worker.crashed', exitCode === null ? {} : { exit_code: exitCode }, {
      pool,
      worker_id: slot.id,
      pid: this.#pid ?? null,
      signal,
      error: stderrTail,
      stack: fatal?.stack ?? null,
      tool: call.tool,
      call_id: call.callId,
    });
    logger.error('sandbox crashed', {
      target: 'sandbox',
      pool,
      worker_id: slot.id,
      pid: this.#pid,
      exit_code: exitCode,
      signal,
      stderr_tail: stderrTail,
      fatal_error: fatal?.message,
      tool: call.tool,
      call_id: call.callId,
    });
    const how = spawnError !== undefined
      ? `could not start: ${spawnError.message}`
      : signal !== null ? `was killed by ${signal}` : `exited with code ${String(code)}`;
    call.fail('crashed', `sandbox child ${how} before answering`, {
      pid: this.#pid,
      exitCode,
      signal,
      stderrTail,
      ...(fatal === undefined ? {} : { childError: fatal }),
    });
  }
}

function noop(): void {}
