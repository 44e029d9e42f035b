import { performance } from 'node:perf_hooks';

export interface EventLoopLagOptions {
  /** How often the loop is sampled. Default 20 ms. */
  readonly resolutionMs?: number;
  /** A delay is remembered for one to two windows. Default 1000 ms. */
  readonly windowMs?: number;
}

export interface EventLoopLag {
  /** Idempotent. */
  start(): void;
  /** Idempotent. */
  stop(): void;
  /** The longest recent delay of the loop in ms, including a sample overdue right now; 0 when stopped. */
  lagMs(): number;
}

/**
 * Measures how late an unref'd timer fires. A sample still overdue counts too: a request
 * handled straight after a long block sees the block even before the timer has run.
 */
export function createEventLoopLag(options: EventLoopLagOptions = {}): EventLoopLag {
  const { resolutionMs = 20, windowMs = 1000 } = options;
  for (const [name, value] of Object.entries({ resolutionMs, windowMs })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(
        `eventLoopLag: ${name} must be a finite number of milliseconds above 0, got ${typeof value === 'number' ? value : JSON.stringify(value)}`,
      );
    }
  }
  if (windowMs < resolutionMs) {
    throw new TypeError(`eventLoopLag: windowMs (${windowMs}) must be at least resolutionMs (${resolutionMs})`);
  }

  let timer: NodeJS.Timeout | undefined;
  let expectedAt = 0;
  let windowStartedAt = 0;
  let currentMax = 0;
  let previousMax = 0;

  function rotate(at: number): void {
    const elapsed = at - windowStartedAt;
    if (elapsed < windowMs) return;
    previousMax = elapsed < 2 * windowMs ? currentMax : 0;
    currentMax = 0;
    windowStartedAt = at;
  }

  function schedule(from: number): void {
    expectedAt = from + resolutionMs;
    timer = setTimeout(sample, resolutionMs);
    timer.unref();
  }

  function sample(): void {
    const at = performance.now();
    rotate(at);
    currentMax = Math.max(currentMax, at - expectedAt);
    schedule(at);
  }

  return {
    start() {
      if (timer !== undefined) return;
      const at = performance.now();
      windowStartedAt = at;
      currentMax = 0;
      previousMax = 0;
      schedule(at);
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
    lagMs() {
      if (timer === undefined) return 0;
      const at = performance.now();
      rotate(at);
      return Math.max(previousMax, currentMax, at - expectedAt, 0);
    },
  };
}
