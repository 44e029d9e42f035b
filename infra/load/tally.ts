/**
 * What one load run (or several, merged) observed: answers by class, failures, and the
 * latency of every 2xx answer in milliseconds, kept whole so percentiles are exact (a run
 * of minutes at a few hundred requests per second is well under a million numbers).
 */
export interface Tally {
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors and timeouts (autocannon counts a timeout as an error too). */
  readonly errors: number;
  readonly timeouts: number;
  /** 2xx answers whose body failed the scenario's check (a stream without `data: [DONE]`). */
  readonly mismatches: number;
  readonly elapsedSeconds: number;
  readonly latenciesMs: Float64Array;
}

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface TallySummary extends LatencySummary {
  /** Requests that were answered or failed: ok + non2xx + errors. */
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly mismatches: number;
  /** Requests without a good 2xx answer (non-2xx, errors, timeouts, bad bodies), in percent of `requests`. */
  readonly failedPct: number;
  /** 2xx answers per second of wall time. */
  readonly okPerSecond: number;
  readonly elapsedSeconds: number;
}

export const EMPTY_TALLY: Tally = Object.freeze({
  ok: 0,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  mismatches: 0,
  elapsedSeconds: 0,
  latenciesMs: new Float64Array(0),
});

/**
 * Runs that ran one after another (ramp steps): counts and latencies add up, and so does
 * the time. For runs that ran side by side use `mergeConcurrent`.
 */
export function mergeSequential(tallies: readonly Tally[]): Tally {
  return merge(tallies, (seconds) => seconds.reduce((sum, s) => sum + s, 0));
}

/** Runs that ran at the same time (one per path or workload): the wall time is the longest. */
export function mergeConcurrent(tallies: readonly Tally[]): Tally {
  return merge(tallies, (seconds) => Math.max(0, ...seconds));
}

function merge(tallies: readonly Tally[], wall: (seconds: number[]) => number): Tally {
  const size = tallies.reduce((sum, t) => sum + t.latenciesMs.length, 0);
  const latenciesMs = new Float64Array(size);
  let at = 0;
  for (const t of tallies) {
    latenciesMs.set(t.latenciesMs, at);
    at += t.latenciesMs.length;
  }
  const sum = (key: 'ok' | 'non2xx' | 'errors' | 'timeouts' | 'mismatches'): number => tallies.reduce((total, t) => total + t[key], 0);
  return {
    ok: sum('ok'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    mismatches: sum('mismatches'),
    elapsedSeconds: wall(tallies.map((t) => t.elapsedSeconds)),
    latenciesMs,
  };
}

/**
 * Nearest-rank percentile (the smallest value with at least `p`% of the values at or
 * below it) of values sorted ascending; NaN when there are none.
 */
export function percentile(sorted: Float64Array, p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${String(p)}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function summarize(tally: Tally): TallySummary {
  const sorted = Float64Array.from(tally.latenciesMs).sort();
  const requests = tally.ok + tally.non2xx + tally.errors;
  const failed = tally.non2xx + tally.errors + tally.mismatches;
  return {
    requests,
    ok: tally.ok,
    non2xx: tally.non2xx,
    errors: tally.errors,
    timeouts: tally.timeouts,
    mismatches: tally.mismatches,
    failedPct: requests === 0 ? Number.NaN : (100 * failed) / requests,
    okPerSecond: tally.elapsedSeconds > 0 ? tally.ok / tally.elapsedSeconds : Number.NaN,
    elapsedSeconds: tally.elapsedSeconds,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}
