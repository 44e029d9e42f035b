import { SANDBOX_WORKER_STATES, type SandboxPoolMetrics, type SandboxWorkerState } from './poolMetrics';

/** One place for a child: `worker_id` in events and logs. */
export interface Slot {
  readonly id: number;
  readonly state: SandboxWorkerState;
}

interface SlotRecord {
  readonly id: number;
  state: SandboxWorkerState;
  /** Crashes since this slot's last answer: the exponent of its backoff. */
  consecutiveCrashes: number;
  backoffTimer: NodeJS.Timeout | undefined;
}

/** How long a slot waits after a crash, before jitter. */
export interface BackoffLimits {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The pool's slots and their states (idle, spawning, busy, backoff), kept in the
 * `sandbox_workers` gauge. A slot whose child crashed backs off before it is idle again:
 * `initialMs` doubled per consecutive crash, at most `maxMs`, half of it random.
 */
export class SlotSet {
  readonly #slots: SlotRecord[];
  readonly #backoff: BackoffLimits;
  readonly #random: () => number;
  readonly #gauge: SandboxPoolMetrics['workers'];

  constructor(size: number, backoff: BackoffLimits, random: () => number, gauge: SandboxPoolMetrics['workers']) {
    this.#slots = Array.from({ length: size }, (_, id) => ({ id, state: 'idle', consecutiveCrashes: 0, backoffTimer: undefined }));
    this.#backoff = backoff;
    this.#random = random;
    this.#gauge = gauge;
    this.#updateGauge();
  }

  get size(): number {
    return this.#slots.length;
  }

  /** The first idle slot, if any. */
  idle(): Slot | undefined {
    return this.#slots.find((slot) => slot.state === 'idle');
  }

  count(state: SandboxWorkerState): number {
    return this.#slots.filter((slot) => slot.state === state).length;
  }

  setState(slot: Slot, state: SandboxWorkerState): void {
    this.#record(slot).state = state;
    this.#updateGauge();
  }

  /** Its child answered: the next crash backs off from `initialMs` again. */
  answered(slot: Slot): void {
    this.#record(slot).consecutiveCrashes = 0;
  }

  /** Its child crashed: one more consecutive crash to back off from. */
  crashed(slot: Slot): void {
    this.#record(slot).consecutiveCrashes += 1;
  }

  /** Puts the slot in backoff; once over, it is idle and `onOver` runs. */
  backOff(slot: Slot, onOver: () => void): void {
    const record = this.#record(slot);
    const exponential = this.#backoff.initialMs * 2 ** Math.min(record.consecutiveCrashes - 1, 30);
    const capped = Math.min(this.#backoff.maxMs, exponential);
    // Half fixed, half random: slots that crashed together do not all come back together.
    const delay = capped / 2 + (capped / 2) * this.#random();
    this.setState(record, 'backoff');
    record.backoffTimer = setTimeout(() => {
      record.backoffTimer = undefined;
      this.setState(record, 'idle');
      onOver();
    }, delay);
    record.backoffTimer.unref();
  }

  /** Ends every backoff at once; `forgetCrashes` also restarts every slot's backoff from `initialMs`. */
  endBackoffs(forgetCrashes: boolean): void {
    for (const record of this.#slots) {
      if (forgetCrashes) record.consecutiveCrashes = 0;
      if (record.state !== 'backoff') continue;
      clearTimeout(record.backoffTimer);
      record.backoffTimer = undefined;
      record.state = 'idle';
    }
    this.#updateGauge();
  }

  #record(slot: Slot): SlotRecord {
    const record = this.#slots[slot.id];
    if (record !== slot) throw new Error(`sandbox pool: slot ${slot.id} is not one of this pool's`);
    return record;
  }

  #updateGauge(): void {
    const counts: Record<SandboxWorkerState, number> = { idle: 0, spawning: 0, busy: 0, backoff: 0 };
    for (const slot of this.#slots) counts[slot.state] += 1;
    for (const state of SANDBOX_WORKER_STATES) this.#gauge.set({ state }, counts[state]);
  }
}
