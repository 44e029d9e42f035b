import CircuitBreaker from 'opossum';
import { RequestError, type EventBus, type SightlineLogger } from '../middleware';
import type { GatewayMetrics } from './gatewayMetrics';
import type { Verdict } from './upstreamRequest';

export type CircuitState = 'closed' | 'half_open' | 'open';

export const CIRCUIT_STATE_VALUES: Readonly<Record<CircuitState, number>> = Object.freeze({ closed: 0, half_open: 1, open: 2 });

export interface CircuitBreakerSettings {
  /** The circuit opens when more than this share (%) of calls in the window failed. */
  readonly errorPercent: number;
  /** Calls in the window before the circuit may open. */
  readonly volumeThreshold: number;
  /** Wait before an open circuit lets one probe through. */
  readonly resetMs: number;
  /** Each wait is `resetMs` varied at random by up to this share either way. */
  readonly jitter: number;
  readonly windowMs: number;
}

export interface CircuitBreakersOptions extends CircuitBreakerSettings {
  readonly competitors: readonly string[];
  readonly metrics: GatewayMetrics;
  readonly logger: SightlineLogger;
  readonly events: EventBus;
  /** For the jitter. Default `Math.random`. */
  readonly random?: () => number;
  /** Epoch ms, for `Retry-After`. Default `Date.now`. */
  readonly now?: () => number;
}

export interface CompetitorCircuit {
  readonly competitor: string;
  state(): CircuitState;
  /**
   * Runs `call` through the circuit: rejects at once with a 503 `RequestError` (reason
   * `circuit_open`, with `Retry-After`) while the circuit is open, or half-open with its
   * probe in flight. The call's verdict is what the circuit counts: `failure` against the
   * competitor; `inconclusive` (the client left before the competitor answered) as nothing
   * learnt, which re-opens a half-open circuit for another probe later. A stream may last
   * minutes: as a half-open probe it settles the circuit when it calls `working()` (its
   * first content), rather than holding every other request off until it ends.
   */
  run<T extends { readonly verdict: Verdict }>(call: (working: () => void) => Promise<T>): Promise<T>;
}

export interface CircuitBreakers {
  get(competitor: string): CompetitorCircuit | undefined;
  states(): Record<string, CircuitState>;
  /** Stops every breaker's timers. Idempotent. */
  close(): void;
}

type Call = () => Promise<{ readonly verdict: Verdict }>;


/** A failed verdict, carried through opossum as a rejection so that it counts. */
class CountedFailure extends Error {
  constructor(readonly outcome: { readonly verdict: Verdict }) {
    super(`upstream call ended ${outcome.verdict}`);
  }
}

/**
 * One opossum breaker per competitor. opossum 9 opens on the error percentage over its rolling
 * window once `volumeThreshold` calls were made; after `resetTimeout` it goes half-open and
 * lets exactly one call through (the next ones are rejected until that call settles): success
 * closes it, failure opens it again.
 */
export function createCircuitBreakers(options: CircuitBreakersOptions): CircuitBreakers {
  const { competitors, random = Math.random, now = Date.now } = options;
  assertSettings(options);
  for (const [name, value] of Object.entries({ random, now })) {
    if (typeof value !== 'function') throw new TypeError(`circuitBreakers: ${name} must be a function, got ${typeof value}`);
  }
  const circuits = new Map<string, { circuit: CompetitorCircuit; breaker: CircuitBreaker<[Call], unknown> }>();
  for (const competitor of competitors) circuits.set(competitor, createCircuit(competitor, { ...options, random, now }));
  let closed = false;

  return {
    get: (competitor) => circuits.get(competitor)?.circuit,
    states() {
      const states: Record<string, CircuitState> = {};
      for (const [competitor, { circuit }] of circuits) states[competitor] = circuit.state();
      return states;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const { breaker } of circuits.values()) breaker.shutdown();
    },
  };

}

type ResolvedOptions = CircuitBreakersOptions & { readonly random: () => number; readonly now: () => number };

/** One competitor's breaker, its state as sightline reports it, and the jittered reset. */
function createCircuit(competitor: string, options: ResolvedOptions): { circuit: CompetitorCircuit; breaker: CircuitBreaker<[Call], unknown> } {
  const { metrics, logger, events, random, now } = options;
  const labels = { competitor };
  // opossum keeps this very object as `breaker.options` and reads `resetTimeout` each time it opens.
  const breakerOptions: CircuitBreaker.Options<[Call]> = {
    name: competitor,
    timeout: false,
    errorThresholdPercentage: options.errorPercent,
    volumeThreshold: options.volumeThreshold,
    resetTimeout: options.resetMs,
    rollingCountTimeout: options.windowMs,
    rollingCountBuckets: 10,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  };
  const breaker = new CircuitBreaker<[Call], unknown>((call: Call) => call(), breakerOptions);
  let state: CircuitState = 'closed';
  let reopensAt = 0;

  // Before opossum's own `open` listener, which starts the reset timer with `resetTimeout`.
  breaker.prependListener('open', () => {
    const spread = options.jitter * (2 * random() - 1);
    breakerOptions.resetTimeout = Math.max(1, Math.round(options.resetMs * (1 + spread)));
    reopensAt = now() + breakerOptions.resetTimeout;
  });
  breaker.on('open', () => transition('open'));
  breaker.on('halfOpen', () => transition('half_open'));
  breaker.on('close', () => transition('closed'));

  function transition(to: CircuitState): void {
    const from = state;
    if (from === to) return;
    state = to;
    metrics.circuitState.set(labels, CIRCUIT_STATE_VALUES[to]);
    const fields = { target: 'gateway', competitor, from, to, ...(to === 'open' ? { reset_ms: breakerOptions.resetTimeout } : {}) };
    logger.log(to === 'open' ? 'warn' : 'info', 'circuit state changed', fields);
    events.emit('circuit.state_changed', {}, { competitor, from, to });
  }

  const circuit: CompetitorCircuit = {
    competitor,
    state: () => state,
    run: (call) => runThroughBreaker(breaker, call, () => {
      metrics.circuitRejections.inc(labels);
      const waitMs = state === 'open' ? Math.max(0, reopensAt - now()) : 0;
      return new RequestError(503, `The circuit for model ${JSON.stringify(competitor)} is open: it failed too often recently`, {
        reason: 'circuit_open',
        retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    }),
  };
  return { circuit, breaker };
}

/**
 * Runs one call through the breaker. A probe (half-open) counts as a success as soon as the
 * call says it works; a failure, or an inconclusive probe, counts against the circuit. A call
 * the breaker refuses is answered by `rejected()`.
 */
async function runThroughBreaker<T extends { readonly verdict: Verdict }>(
  breaker: CircuitBreaker<[Call], unknown>,
  call: (working: () => void) => Promise<T>,
  rejected: () => RequestError,
): Promise<T> {
  let result: Promise<T> | undefined;
  try {
    await breaker.fire(() => {
      const probing = breaker.halfOpen;
      return new Promise<{ readonly verdict: Verdict }>((resolve, reject) => {
        result = call(() => {
          if (probing) resolve({ verdict: 'success' });
        });
        result.then((outcome) => {
          if (outcome.verdict === 'failure' || (outcome.verdict === 'inconclusive' && probing)) reject(new CountedFailure(outcome));
          else resolve(outcome);
        }, reject);
      });
    });
  } catch (error) {
    if (result !== undefined) return result;
    if (!CircuitBreaker.isOurError(error as Error)) throw error;
    throw rejected();
  }
  return result as Promise<T>;
}

function assertSettings(settings: CircuitBreakerSettings): void {
  const checks: [keyof CircuitBreakerSettings, (v: number) => boolean, string][] = [
    ['errorPercent', (v) => v > 0 && v < 100, 'a number above 0 and below 100'],
    ['volumeThreshold', (v) => Number.isInteger(v) && v >= 1, 'a whole number of at least 1'],
    ['resetMs', (v) => v > 0 && Number.isFinite(v), 'a number of milliseconds above 0'],
    ['jitter', (v) => v >= 0 && v < 1, 'a number from 0 to below 1'],
    ['windowMs', (v) => v > 0 && Number.isFinite(v), 'a number of milliseconds above 0'],
  ];
  for (const [name, valid, expected] of checks) {
    const value = settings[name];
    if (typeof value !== 'number' || !valid(value)) {
      throw new TypeError(`circuitBreakers: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
    }
  }
}
