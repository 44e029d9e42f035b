export interface ErrorRateDetails {
  /** errors / requests over the window. */
  readonly rate: number;
  readonly threshold: number;
  readonly window_s: number;
  readonly requests: number;
  readonly errors: number;
}

export interface ErrorRateMonitorOptions {
  /** Length of the sliding window, in whole seconds. Default 60 000. */
  readonly windowMs?: number;
  /** Rate above which `onExceeded` fires. Default 0.05. */
  readonly threshold?: number;
  /** Fewer requests in the window never count as exceeding: 1 error in 2 requests is not an outage. Default 20. */
  readonly minRequests?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Called once when the rate passes the threshold, and again only after it has fallen back
   * to the threshold or below. Its details fit the `error_rate.exceeded` event's measurements.
   * A throw is ignored: record() runs on every response.
   */
  readonly onExceeded: (details: ErrorRateDetails) => void;
}

export interface ErrorRate {
  readonly requests: number;
  readonly errors: number;
  /** 0 when there were no requests. */
  readonly rate: number;
}

export interface ErrorRateMonitor {
  /** O(1) and allocation-free: call it on every response. */
  record(isError: boolean): void;
  rate(): ErrorRate;
}

const SECOND_MS = 1000;

/**
 * Share of failed responses over a sliding window of per-second buckets in fixed arrays,
 * with running totals: recording touches one bucket, and moving on a second expires at most
 * one window's worth of buckets.
 */
export function createErrorRateMonitor(options: ErrorRateMonitorOptions): ErrorRateMonitor {
  const { windowMs = 60_000, threshold = 0.05, minRequests = 20, now = Date.now, onExceeded } = options;
  if (!Number.isInteger(windowMs) || windowMs < SECOND_MS || windowMs % SECOND_MS !== 0) {
    throw new TypeError(`errorRateMonitor: windowMs must be a whole number of seconds (a multiple of 1000), got ${String(windowMs)}`);
  }
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw new TypeError(`errorRateMonitor: threshold must be a number from 0 to 1, got ${String(threshold)}`);
  }
  if (!Number.isInteger(minRequests) || minRequests < 1) {
    throw new TypeError(`errorRateMonitor: minRequests must be a positive integer, got ${String(minRequests)}`);
  }
  if (typeof onExceeded !== 'function') throw new TypeError('errorRateMonitor: onExceeded must be a function');

  const windowSeconds = windowMs / SECOND_MS;
  const requestsPerSecond = new Float64Array(windowSeconds);
  const errorsPerSecond = new Float64Array(windowSeconds);
  let requests = 0;
  let errors = 0;
  let currentSecond = Math.floor(now() / SECOND_MS);
  let exceeded = false;

  function slotOf(second: number): number {
    return ((second % windowSeconds) + windowSeconds) % windowSeconds;
  }

  /** Moves the window to the current second; a clock that went back keeps the current bucket. */
  function advance(): void {
    const second = Math.floor(now() / SECOND_MS);
    if (!(second > currentSecond)) return;
    const expired = Math.min(second - currentSecond, windowSeconds);
    for (let s = second - expired + 1; s <= second; s += 1) {
      const slot = slotOf(s);
      requests -= requestsPerSecond[slot] as number;
      errors -= errorsPerSecond[slot] as number;
      requestsPerSecond[slot] = 0;
      errorsPerSecond[slot] = 0;
    }
    currentSecond = second;
    // Expiry can bring the rate down (an empty window has none): that re-arms the alert too.
    if (requests === 0 || errors / requests <= threshold) exceeded = false;
  }

  return {
    record(isError) {
      advance();
      const slot = slotOf(currentSecond);
      requestsPerSecond[slot] = (requestsPerSecond[slot] as number) + 1;
      requests += 1;
      if (isError) {
        errorsPerSecond[slot] = (errorsPerSecond[slot] as number) + 1;
        errors += 1;
      }
      const rate = errors / requests;
      if (rate <= threshold) {
        exceeded = false;
      } else if (!exceeded && requests >= minRequests) {
        exceeded = true;
        try {
          onExceeded({ rate, threshold, window_s: windowSeconds, requests, errors });
        } catch {
          // The alert is telemetry: it must never fail the response that tripped it.
        }
      }
    },
    rate() {
      advance();
      return { requests, errors, rate: requests === 0 ? 0 : errors / requests };
    },
  };
}
