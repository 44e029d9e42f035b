import { performance } from 'node:perf_hooks';
import { isNativeError } from 'node:util/types';
import type { HealthProbe, ProbeOutcome } from './healthProbes';
import type { SightlineMetrics } from './metrics';
import { roundToThousandths } from './roundToThousandths';

/** A health report's verdict: `pass` when every check passed, `warn` when only non-critical ones failed, `fail` when a critical one did. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** The last run of one check. */
export interface CheckResult {
  /** Whether the probe passed within its timeout. */
  readonly ok: boolean;
  /** Whether the check was registered as critical: failing, it fails readiness. */
  readonly critical: boolean;
  /** How long the probe took, in milliseconds (its timeout when it timed out). */
  readonly latency_ms: number;
  /** The probe's message, or `timed out after … ms`. */
  readonly message?: string;
  /** The value the probe measured, if it reported one. */
  readonly observed?: number;
  /** ISO 8601. */
  readonly checked_at: string;
}

/** The result of running the health checks: the verdict, and each check's result by name. */
export interface HealthReport {
  /** `warn`: only non-critical checks failed. `fail`: a critical one did. */
  readonly status: HealthStatus;
  /** Every registered check's result, by its name. */
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface HealthRegistryOptions {
  /** Records `healthCheckUp{check}` and `healthCheckDuration{check}` on every probe run. */
  readonly metrics?: SightlineMetrics;
  /** Wall clock in epoch ms, for `checked_at` and result caching. Default `Date.now`. */
  readonly now?: () => number;
  /** Timeout of a check registered without one. Default 1000, or `deadlineMs` when that is shorter. */
  readonly defaultTimeoutMs?: number;
  /** No `check()` takes longer: every timeout must fit within it. Default 2000. */
  readonly deadlineMs?: number;
}

/** How a health check runs: its timeout, whether it is critical, and how long its result is reused. */
export interface RegisterCheckOptions {
  /** The probe's signal aborts and the check fails after this long. Default: the registry's `defaultTimeoutMs`. */
  readonly timeoutMs?: number;
  /** A failing critical check fails readiness; a non-critical one only warns. Default true. */
  readonly critical?: boolean;
  /** A result is reused for this long, so callers never reach the dependency more often. Default 0. */
  readonly intervalMs?: number;
}

/** Statistics of an application pool for the detailed view (workers busy, queue length, …). */
export type PoolStatsReader = () => Record<string, unknown>;

/** The health checks and pools of one instance, which `/health` endpoints report. */
export interface HealthRegistry {
  /**
   * Adds a check run by `check()`. `name` is 1 to 64 letters, digits, `_`, `.` or `-`, starting
   * with a letter or digit; throws if the name is taken or invalid or an option is bad.
   */
  register(name: string, probe: HealthProbe, options?: RegisterCheckOptions): void;
  /** False when no check had that name. */
  unregister(name: string): boolean;
  /** Adds a pool whose statistics the detailed health view shows; names follow `register`'s rule, and a taken name throws. */
  registerPool(name: string, stats: PoolStatsReader): void;
  /** False when no pool had that name. */
  unregisterPool(name: string): boolean;
  /** Every pool's statistics; a pool whose function throws reports `{ error }` instead. */
  pools(): Record<string, unknown>;
  /** Runs the checks whose cached result has expired, all at once, and reports every check. */
  check(): Promise<HealthReport>;
  /** The last result of each check that has run, without running anything. */
  lastResults(): Record<string, CheckResult>;
}

interface RegisteredCheck {
  readonly name: string;
  readonly probe: HealthProbe;
  readonly timeoutMs: number;
  readonly critical: boolean;
  readonly intervalMs: number;
  last?: CheckResult;
  lastFinishedAt?: number;
  inFlight?: Promise<CheckResult>;
}

interface Outcome {
  readonly ok: boolean;
  readonly message?: string;
  readonly observed?: number;
}

/** Names end up as metric labels, JSON keys and `name:responseTime` keys: no `:` and nothing odd. */
const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_MESSAGE_LENGTH = 500;

export function createHealthRegistry(options: HealthRegistryOptions = {}): HealthRegistry {
  const { metrics, now = Date.now } = options;
  const limits = timeoutLimits(options);
  const up = metrics?.catalogued('healthCheckUp');
  const duration = metrics?.catalogued('healthCheckDuration');
  const checks = new Map<string, RegisteredCheck>();
  const poolStats = new Map<string, PoolStatsReader>();

  function resultOf(entry: RegisteredCheck): Promise<CheckResult> {
    if (entry.inFlight !== undefined) return entry.inFlight;
    if (entry.last !== undefined && entry.lastFinishedAt !== undefined && now() - entry.lastFinishedAt < entry.intervalMs) {
      return Promise.resolve(entry.last);
    }
    const running = runCheck(entry, now).then((result) => {
      entry.last = result;
      entry.lastFinishedAt = now();
      entry.inFlight = undefined;
      if (checks.get(entry.name) === entry) {
        up?.set({ check: entry.name }, result.ok ? 1 : 0);
        duration?.observe({ check: entry.name }, result.latency_ms / 1000);
      }
      return result;
    });
    entry.inFlight = running;
    return running;
  }

  return {
    register(name, probe, registerOptions = {}) {
      assertName('check', name);
      if (typeof probe !== 'function') {
        throw new TypeError(`healthRegistry: probe of ${JSON.stringify(name)} must be a function, got ${typeof probe}`);
      }
      if (checks.has(name)) throw new TypeError(`healthRegistry: a check named ${JSON.stringify(name)} is already registered`);
      checks.set(name, registeredCheck(name, probe, registerOptions, limits));
    },
    unregister(name) {
      if (!checks.delete(name)) return false;
      // A stale series would claim the check still exists.
      up?.remove({ check: name });
      duration?.remove({ check: name });
      return true;
    },
    registerPool(name, stats) {
      assertName('pool', name);
      if (typeof stats !== 'function') {
        throw new TypeError(`healthRegistry: stats of pool ${JSON.stringify(name)} must be a function, got ${typeof stats}`);
      }
      if (poolStats.has(name)) throw new TypeError(`healthRegistry: a pool named ${JSON.stringify(name)} is already registered`);
      poolStats.set(name, stats);
    },
    unregisterPool: (name) => poolStats.delete(name),
    pools: () => readPools(poolStats),
    async check() {
      const entries = [...checks.values()];
      const results = await Promise.all(entries.map(resultOf));
      const report: Record<string, CheckResult> = {};
      entries.forEach((entry, i) => {
        report[entry.name] = results[i] as CheckResult;
      });
      return { status: statusOf(Object.values(report)), checks: report };
    },
    lastResults() {
      const results: Record<string, CheckResult> = {};
      for (const entry of checks.values()) if (entry.last !== undefined) results[entry.name] = entry.last;
      return results;
    },
  };
}

interface TimeoutLimits {
  readonly deadlineMs: number;
  readonly defaultTimeoutMs: number;
}

function timeoutLimits(options: HealthRegistryOptions): TimeoutLimits {
  const { deadlineMs = 2000 } = options;
  assertPositive('deadlineMs', deadlineMs);
  const { defaultTimeoutMs = Math.min(1000, deadlineMs) } = options;
  assertPositive('defaultTimeoutMs', defaultTimeoutMs);
  if (defaultTimeoutMs > deadlineMs) {
    throw new TypeError(
      `healthRegistry: defaultTimeoutMs (${defaultTimeoutMs}) must not exceed deadlineMs (${deadlineMs}); lower it or raise deadlineMs`,
    );
  }
  return { deadlineMs, defaultTimeoutMs };
}

/** A check as registered, its options checked and defaulted; throws on the first bad one. */
function registeredCheck(name: string, probe: HealthProbe, options: RegisterCheckOptions, limits: TimeoutLimits): RegisteredCheck {
  const { timeoutMs = limits.defaultTimeoutMs, critical = true, intervalMs = 0 } = options;
  assertPositive('timeoutMs', timeoutMs);
  if (timeoutMs > limits.deadlineMs) {
    throw new TypeError(
      `healthRegistry: timeoutMs of ${JSON.stringify(name)} (${timeoutMs}) must not exceed the registry's deadlineMs (${limits.deadlineMs})`,
    );
  }
  if (typeof critical !== 'boolean') {
    throw new TypeError(`healthRegistry: critical must be true or false, got ${JSON.stringify(critical)}`);
  }
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new TypeError(
      `healthRegistry: intervalMs must be a finite number ≥ 0, got ${typeof intervalMs === 'number' ? intervalMs : JSON.stringify(intervalMs)}`,
    );
  }
  return { name, probe, timeoutMs, critical, intervalMs };
}

/** One run of a check's probe, raced against its timeout (which aborts the probe's signal). */
async function runCheck(entry: RegisteredCheck, now: () => number): Promise<CheckResult> {
  const controller = new AbortController();
  const startedAt = performance.now();
  const timeoutMessage = `timed out after ${entry.timeoutMs} ms`;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve({ ok: false, message: timeoutMessage });
      controller.abort(new Error(timeoutMessage));
    }, entry.timeoutMs);
    timer.unref();
  });
  let outcome: Outcome;
  try {
    // A probe that ignores its signal still loses this race at its timeout.
    outcome = await Promise.race([invoke(entry.probe, controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const latency = timedOut ? entry.timeoutMs : performance.now() - startedAt;
  return {
    ok: timedOut ? false : outcome.ok,
    critical: entry.critical,
    latency_ms: roundToThousandths(latency),
    ...(timedOut ? { message: timeoutMessage } : withoutUndefined(outcome)),
    checked_at: new Date(now()).toISOString(),
  };
}

function readPools(poolStats: ReadonlyMap<string, PoolStatsReader>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, stats] of poolStats) {
    try {
      result[name] = stats();
    } catch (error) {
      result[name] = { error: messageOf(error) };
    }
  }
  return result;
}

export function statusOf(results: readonly CheckResult[]): HealthStatus {
  if (results.some((r) => !r.ok && r.critical)) return 'fail';
  return results.some((r) => !r.ok) ? 'warn' : 'pass';
}

async function invoke(probe: HealthProbe, signal: AbortSignal): Promise<Outcome> {
  try {
    return normalise(await probe(signal));
  } catch (error) {
    return { ok: false, message: messageOf(error) };
  }
}

function normalise(value: ProbeOutcome | boolean | void): Outcome {
  if (value === undefined || value === true) return { ok: true };
  if (value === false) return { ok: false, message: 'probe reported failure' };
  if (typeof value !== 'object' || value === null || typeof value.ok !== 'boolean') {
    return { ok: false, message: 'probe returned neither a boolean nor { ok }' };
  }
  return {
    ok: value.ok,
    message: typeof value.message === 'string' ? truncate(value.message) : undefined,
    observed: typeof value.observed === 'number' && Number.isFinite(value.observed) ? value.observed : undefined,
  };
}

/** The message only: a stack would tell a caller of a health endpoint where the code lives. */
function messageOf(error: unknown): string {
  // `isNativeError` also knows errors from another realm (a vm context, Node's own fetch).
  if (error instanceof Error || isNativeError(error)) return truncate(error.message === '' ? error.name : error.message);
  return truncate(String(error));
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}…` : message;
}

function withoutUndefined(outcome: Outcome): { message?: string; observed?: number } {
  return {
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
    ...(outcome.observed === undefined ? {} : { observed: outcome.observed }),
  };
}

function assertName(kind: 'check' | 'pool', name: string): void {
  if (typeof name !== 'string' || !CHECK_NAME.test(name)) {
    throw new TypeError(
      `healthRegistry: ${kind} name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(name)}`,
    );
  }
}

function assertPositive(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `healthRegistry: ${name} must be a finite number of milliseconds above 0, got ${typeof value === 'number' ? value : JSON.stringify(value)}`,
    );
  }
}
