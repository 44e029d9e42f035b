import type { Counter, Histogram } from 'prom-client';

export type HttpLabels = Record<'status_code' | 'method' | 'route', string | number>;

export interface HttpMetricSet {
  readonly requests: Counter<string>;
  readonly latency: Histogram<string>;
  readonly responseSize: Histogram<string>;
}

export interface HttpMetricBatch {
  /** One finished request; a stream (kept out of the histograms) has no duration. */
  record(labels: HttpLabels, durationSeconds: number | undefined, bytesOut: number): void;
}

/** Applied at the latest when this many requests are waiting, whatever the timer. */
const MAX_WAITING = 4096;
const DELAY_MS = 10;

const batches = new WeakMap<Counter<string>, HttpMetricBatch>();

/**
 * Finished requests are applied to prom-client in batches, every few milliseconds and
 * whenever one of the metrics is read (prom-client calls `collect` before every read, a
 * scrape included), so no reader ever sees a request missing that had ended before it read.
 * Labelling and bucketing requests back to back costs a fraction of doing it for each
 * request in turn, between whose calls the code and data have gone cold in the CPU caches.
 * One batch per metric set, shared by every middleware that counts into it.
 */
export function httpMetricBatch(metrics: HttpMetricSet): HttpMetricBatch {
  const existing = batches.get(metrics.requests);
  if (existing !== undefined) return existing;
  const { requests, latency, responseSize } = metrics;
  // Three slots per request: labels, duration (NaN for a stream), bytes.
  let waiting: unknown[] = [];
  let timer: NodeJS.Timeout | undefined;

  function apply(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const finished = waiting;
    waiting = [];
    for (let index = 0; index < finished.length; index += 3) {
      const labels = finished[index] as HttpLabels;
      const seconds = finished[index + 1] as number;
      try {
        requests.inc(labels);
        if (Number.isNaN(seconds)) continue;
        latency.observe(labels, seconds);
        responseSize.observe(labels, finished[index + 2] as number);
      } catch {
        // Runs from a timer or a scrape: one bad observation must not take either down.
      }
    }
  }

  for (const metric of [requests, latency, responseSize]) applyBeforeReading(metric, apply);

  const batch: HttpMetricBatch = {
    record(labels, durationSeconds, bytesOut) {
      waiting.push(labels, durationSeconds ?? Number.NaN, bytesOut);
      if (waiting.length >= MAX_WAITING * 3) apply();
      // unref'd: what is still waiting at exit is read by no one.
      else if (timer === undefined) timer = setTimeout(apply, DELAY_MS).unref();
    },
  };
  batches.set(requests, batch);
  return batch;
}

function applyBeforeReading(metric: Counter<string> | Histogram<string>, apply: () => void): void {
  const holder = metric as unknown as { collect?: (this: unknown) => unknown };
  const collect = holder.collect;
  holder.collect = function collectAfterBatch(this: unknown) {
    apply();
    return collect?.call(this);
  };
}
