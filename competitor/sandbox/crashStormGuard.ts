/** How many crashes within how long stop the pool. */
export interface CrashStormLimits {
  readonly count: number;
  readonly windowMs: number;
}

/**
 * Counts crashes and trips when `count` of them fall within `windowMs`: the pool then stops
 * spawning until an operator resets it. It only keeps the time of each crash in the window.
 */
export class CrashStormGuard {
  readonly #limits: CrashStormLimits;
  readonly #now: () => number;
  #recent: number[] = [];
  #total = 0;
  #tripped = false;

  constructor(limits: CrashStormLimits, now: () => number) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Crashes since the pool was created, resets included. */
  get total(): number {
    return this.#total;
  }

  /** True from the crash that made a storm until `reset()`. */
  get tripped(): boolean {
    return this.#tripped;
  }

  /** Counts one crash; true when it makes a storm (once: it stays tripped until `reset()`). */
  record(): boolean {
    this.#total += 1;
    this.#recent.push(this.#now());
    if (this.#tripped || this.inWindow() < this.#limits.count) return false;
    this.#tripped = true;
    return true;
  }

  /** Crashes within the last `windowMs`. */
  inWindow(): number {
    const since = this.#now() - this.#limits.windowMs;
    this.#recent = this.#recent.filter((time) => time > since);
    return this.#recent.length;
  }

  /** Forgets the crashes in the window and untrips; false when it was not tripped. */
  reset(): boolean {
    if (!this.#tripped) return false;
    this.#tripped = false;
    this.#recent = [];
    return true;
  }
}
