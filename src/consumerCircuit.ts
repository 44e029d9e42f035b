import type { CircuitState } from './eventBusTypes';

/** When a consumer is switched off and for how long. */
export interface ConsumerCircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long it stays open before a trial. */
  readonly coolDownMs: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Told each time the state consumers see changes. */
  readonly onChange: (state: CircuitState) => void;
}

/**
 * One consumer's breaker. A delivery asks `refuses()`; if not refused, `begin()` says whether
 * it is the half-open trial, and that answer goes back to `succeeded` or `failed` once the
 * delivery settles.
 */
export interface ConsumerCircuit {
  state(): CircuitState;
  /** True while open and cooling down, or while the trial is in flight; past the cool-down it turns half-open. */
  refuses(): boolean;
  /** Starts a delivery; true when it is the trial that decides a half-open circuit. */
  begin(): boolean;
  succeeded(trial: boolean): void;
  failed(trial: boolean): void;
}

/** `trial`: half-open with its one trial delivery in flight; consumers see it as `half_open`. */
type Phase = 'closed' | 'open' | 'half_open' | 'trial';

// Not opossum: it cools down on a real timer, not the injected clock, settles a synchronous success a microtask late (refusing the event after a trial), opens on an error share rather than consecutive failures, fails consumers that return undefined, and costs ~0.5 µs of promises per delivery.
/**
 * closed → open after `failureThreshold` consecutive failures → half_open once the cool-down
 * has passed by `now()` → one trial: success closes, failure opens for another cool-down.
 */
export function createConsumerCircuit(options: ConsumerCircuitOptions): ConsumerCircuit {
  const { failureThreshold, coolDownMs, now, onChange } = options;
  let phase: Phase = 'closed';
  let consecutiveFailures = 0;
  let openedAt = 0;

  const stateOf = (of: Phase): CircuitState => (of === 'trial' ? 'half_open' : of);

  function moveTo(next: Phase): void {
    const shown = stateOf(phase);
    phase = next;
    if (next === 'open') openedAt = now();
    if (stateOf(next) !== shown) onChange(stateOf(next));
  }

  return {
    state: () => stateOf(phase),

    refuses() {
      if (phase === 'open') {
        if (now() - openedAt < coolDownMs) return true;
        moveTo('half_open');
      }
      return phase === 'trial';
    },

    begin() {
      if (phase !== 'half_open') return false;
      moveTo('trial');
      return true;
    },

    succeeded(trial) {
      consecutiveFailures = 0;
      // Only the trial closes the circuit: a delivery started before it opened proves little.
      if (trial) moveTo('closed');
    },

    failed(trial) {
      consecutiveFailures += 1;
      if (trial || (phase === 'closed' && consecutiveFailures >= failureThreshold)) moveTo('open');
    },
  };
}
