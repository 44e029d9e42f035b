import { performance } from 'node:perf_hooks';
import type { SightlineLogger } from '../../src';
import { AdmissionQueue } from './admissionQueue';
import { SandboxCall } from './call';
import { createChildEnvironment } from './childEnvironment';
import { CrashStormGuard } from './crashStormGuard';
import { Execution, type ExecutionContext } from './execution';
import { describeConfig, resolvePoolConfig, type SandboxPoolConfig, type SandboxPoolOptions } from './poolConfig';
import { createSandboxPoolMetrics, type SandboxPoolMetrics } from './poolMetrics';
import { encodeRunRequest, type EncodedRunRequest, type SandboxRunRequest, type SandboxRunResult } from './runRequest';
import { SlotSet, type Slot } from './slots';
import { spawnChildProcess } from './spawnChild';

export { nodeCommand, type SandboxCommand } from './command';
export type { SandboxPoolOptions } from './poolConfig';
export type { SandboxRunRequest, SandboxRunResult } from './runRequest';
export { SandboxError, type SandboxErrorDetails, type SandboxErrorType } from './sandboxError';

/** `running`; `crashed` after a crash storm, until `reset()`; `closed` for good. */
export type SandboxPoolState = 'running' | 'crashed' | 'closed';

/** What `SandboxPool.stats()` answers. */
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

/** A pool of sandbox child processes, as `createSandboxPool` returns it. */
export interface SandboxPool {
  run(request: SandboxRunRequest): Promise<SandboxRunResult>;
  /** JSON-safe, for `obs.health.registerPool`. */
  stats(): SandboxPoolStats;
  /** Leaves the `crashed` state (an operator's decision); true when it was crashed. */
  reset(): boolean;
  /** Kills running children and fails every call; resolves once every child has exited. Idempotent. */
  close(): Promise<void>;
}

/**
 * A pool of sandbox child processes, one per tool call, `size` at once. Calls beyond that
 * wait in a FIFO queue; a child that dies before answering is a crash, after which its slot
 * backs off before spawning again; too many crashes in a window stop the pool until an
 * operator resets it. Everything lives in the instance.
 */
export function createSandboxPool(options: SandboxPoolOptions): SandboxPool {
  const pool = new SandboxPoolRuntime(options);
  return {
    run: (request) => pool.run(request),
    stats: () => pool.stats(),
    reset: () => pool.reset(),
    close: () => pool.close(),
  };
}

/** Set by `close()`: resolves once every child has exited. */
interface Closing {
  readonly promise: Promise<void>;
  readonly allExited: () => void;
}

class SandboxPoolRuntime implements SandboxPool {
  readonly #config: Readonly<SandboxPoolConfig>;
  readonly #name: string;
  readonly #logger: SightlineLogger;
  readonly #events: SandboxPoolOptions['events'];
  readonly #metrics: SandboxPoolMetrics;
  readonly #now: () => number;
  readonly #slots: SlotSet;
  readonly #queue: AdmissionQueue<SandboxCall>;
  readonly #crashStorm: CrashStormGuard;
  readonly #executionContext: ExecutionContext;
  readonly #executions = new Set<Execution>();
  readonly #retryAfterQueueS: number;
  readonly #retryAfterCrashS: number;
  #closing: Closing | undefined;

  constructor(options: SandboxPoolOptions) {
    const config = resolvePoolConfig(options);
    this.#config = config;
    this.#name = config.name;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#now = options.now ?? (() => performance.now());
    const createdAt = this.#now();
    this.#metrics = createSandboxPoolMetrics(options.metrics);
    this.#retryAfterQueueS = Math.max(1, Math.ceil(config.queueTimeoutMs / 1000));
    this.#retryAfterCrashS = Math.max(1, Math.ceil(config.crashStorm.windowMs / 1000));
    this.#slots = new SlotSet(config.size, config.backoff, options.random ?? Math.random, this.#metrics.workers);
    this.#queue = new AdmissionQueue({
      max: config.queueMax,
      timeoutMs: config.queueTimeoutMs,
      onTimeout: (call) => {
        call.fail('queue_timeout', `no sandbox slot came free within ${config.queueTimeoutMs} ms`, { timeoutMs: config.queueTimeoutMs }, this.#retryAfterQueueS);
      },
      onLengthChange: (length) => this.#metrics.queueDepth.set(length),
    });
    this.#crashStorm = new CrashStormGuard(config.crashStorm, this.#now);
    this.#executionContext = this.#createExecutionContext(options);
    this.#metrics.queueDepth.set(0);
    this.#events.emit('pool.started', { startup_ms: this.#now() - createdAt }, { pool: this.#name, config: describeConfig(config) });
  }

  run(request: SandboxRunRequest): Promise<SandboxRunResult> {
    let encoded: EncodedRunRequest;
    try {
      encoded = encodeRunRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const call = new SandboxCall(request, encoded, { pool: this.#name, metrics: this.#metrics, events: this.#events, logger: this.#logger, now: this.#now });
    this.#admit(call);
    return call.promise;
  }

  stats(): SandboxPoolStats {
    const slots = this.#slots;
    return {
      state: this.#state(),
      total: slots.size,
      available: slots.count('idle'),
      busy: slots.count('busy'),
      spawning: slots.count('spawning'),
      backoff: slots.count('backoff'),
      queue_size: this.#queue.length,
      crashes: this.#crashStorm.total,
      crashes_in_window: this.#crashStorm.inWindow(),
    };
  }

  reset(): boolean {
    if (this.#closing !== undefined || !this.#crashStorm.reset()) return false;
    // The operator vouches for the children: slots backing off may start at once.
    this.#slots.endBackoffs(true);
    this.#events.emit('pool.reset', {}, { pool: this.#name });
    this.#logger.info('sandbox pool reset', { target: 'sandbox', pool: this.#name });
    this.#dispatch();
    return true;
  }

  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing.promise;
    let allExited = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      allExited = resolve;
    });
    this.#closing = { promise, allExited };
    for (const call of this.#queue.drain()) call.fail('closed', `sandbox pool ${this.#name} closed before the call started`);
    this.#slots.endBackoffs(false);
    if (this.#executions.size === 0) allExited();
    for (const execution of [...this.#executions]) {
      const { answered } = execution;
      execution.kill();
      // One that answered keeps its answer, delivered as it exits.
      if (!answered) execution.call.fail('closed', `sandbox pool ${this.#name} closed during the call`, { pid: execution.pid });
    }
    return promise;
  }

  #state(): SandboxPoolState {
    if (this.#closing !== undefined) return 'closed';
    return this.#crashStorm.tripped ? 'crashed' : 'running';
  }

  #admit(call: SandboxCall): void {
    const pool = this.#name;
    const state = this.#state();
    if (state === 'closed') {
      call.fail('closed', `sandbox pool ${pool} is closed`);
    } else if (state === 'crashed') {
      call.fail('pool_crashed', `sandbox pool ${pool} stopped after repeated crashes; an operator must reset it`, {}, this.#retryAfterCrashS);
    } else if (call.signal?.aborted === true) {
      call.fail('aborted', 'the call was aborted before it started');
    } else {
      const slot = this.#queue.length === 0 ? this.#slots.idle() : undefined;
      if (slot !== undefined) {
        call.accept((aborted) => this.#abort(aborted));
        this.#start(call, slot);
      } else if (!this.#queue.full) {
        call.accept((aborted) => this.#abort(aborted));
        this.#queue.offer(call);
      } else {
        const queueSize = this.#queue.length;
        this.#events.emit('pool.saturated', { queue_size: queueSize, available_workers: this.#slots.count('idle') }, { pool });
        call.fail('saturated', `sandbox pool ${pool} is saturated: no slot free and ${queueSize} calls queued`, { queueSize }, this.#retryAfterQueueS);
      }
    }
  }

  #abort(call: SandboxCall): void {
    const { execution } = call;
    if (call.settled || execution?.answered === true) return;
    this.#queue.remove(call);
    execution?.kill();
    call.fail('aborted', 'the call was aborted', execution?.pid === undefined ? {} : { pid: execution.pid });
  }

  #dispatch(): void {
    while (this.#state() === 'running') {
      const slot = this.#slots.idle();
      if (slot === undefined) return;
      const call = this.#queue.takeNext();
      if (call === undefined) return;
      this.#start(call, slot);
    }
  }

  #start(call: SandboxCall, slot: Slot): void {
    call.inCallerContext(() => {
      this.#slots.setState(slot, 'spawning');
      const queueWaitMs = this.#now() - call.acceptedAt;
      this.#metrics.queueWait.observe(queueWaitMs / 1000);
      this.#events.emit('request.started', { queue_wait_ms: queueWaitMs }, { correlation_id: call.callId, command: call.tool, pool: this.#name });
      const execution = new Execution(call, slot, this.#executionContext);
      call.attach(execution);
      this.#executions.add(execution);
      execution.start();
    });
  }

  #createExecutionContext(options: SandboxPoolOptions): ExecutionContext {
    const config = this.#config;
    return {
      pool: this.#name,
      command: config.command,
      callTimeoutMs: config.callTimeoutMs,
      spawn: options.spawn ?? spawnChildProcess,
      childEnvironment: createChildEnvironment({
        environment: process.env,
        command: config.command,
        traceVariables: options.childEnv,
        logger: this.#logger,
        pool: this.#name,
      }),
      tracer: options.tracer,
      metrics: this.#metrics,
      events: this.#events,
      logger: this.#logger,
      onChildLog: options.onChildLog,
      now: this.#now,
      onStarted: ({ slot }) => {
        if (slot.state === 'spawning') this.#slots.setState(slot, 'busy');
      },
      onAnswered: ({ slot }) => this.#slots.answered(slot),
      onEnded: (execution) => this.#executionEnded(execution),
    };
  }

  #executionEnded(execution: Execution): void {
    const { slot } = execution;
    this.#executions.delete(execution);
    const crashed = execution.state === 'crashed';
    if (crashed) {
      this.#slots.crashed(slot);
      if (this.#crashStorm.record()) this.#stopAfterCrashStorm();
    }
    if (this.#closing !== undefined) {
      this.#slots.setState(slot, 'idle');
      if (this.#executions.size === 0) this.#closing.allExited();
    } else if (crashed) {
      this.#slots.backOff(slot, () => this.#dispatch());
    } else {
      this.#slots.setState(slot, 'idle');
      this.#dispatch();
    }
  }

  #stopAfterCrashStorm(): void {
    const pool = this.#name;
    const { windowMs } = this.#config.crashStorm;
    const crashes = this.#crashStorm.inWindow();
    this.#events.emit('pool.crashed', { crashes, window_s: windowMs / 1000 }, { pool });
    this.#logger.error('sandbox pool crashed', { target: 'sandbox', pool, crashes, window_ms: windowMs, queued_calls_failed: this.#queue.length });
    for (const call of this.#queue.drain()) {
      call.fail('pool_crashed', `sandbox pool ${pool} stopped after ${crashes} crashes within ${windowMs} ms`, {}, this.#retryAfterCrashS);
    }
  }
}
