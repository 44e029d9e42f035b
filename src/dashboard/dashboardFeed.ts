import type { DashboardSnapshot } from './dashboardSnapshot';

/** One point of each chart series, kept so a new viewer sees the last minutes at once. */
export interface DashboardPoint {
  readonly time: number;
  readonly requests_per_s: number;
  readonly errors_per_s: number;
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly in_flight: number;
  readonly streams_active: number;
  readonly rss_bytes: number;
  readonly event_loop_lag_ms: number;
}

/** Gets each snapshot with its chart point: the browser appends the point as given, so charts and history agree. */
export type DashboardListener = (snapshot: DashboardSnapshot, point: DashboardPoint) => void;

export interface DashboardFeedOptions {
  readonly sample: () => Promise<DashboardSnapshot>;
  /** Default 1000. */
  readonly intervalMs?: number;
  /** Points kept for the charts. Default 600 (ten minutes at one a second). */
  readonly historySize?: number;
  /** A sample that failed; the feed carries on at the next tick. */
  readonly onError?: (error: unknown) => void;
}

export interface DashboardFeed {
  /** The listener gets every snapshot from now on (the latest one at once, if any). */
  subscribe(listener: DashboardListener): () => void;
  history(): readonly DashboardPoint[];
  readonly viewers: number;
  /** Stops sampling and drops every listener. */
  close(): void;
}

/**
 * One producer however many viewers: a single timer samples while at least one listener is
 * subscribed and stops with the last one. A listener that throws is dropped, not retried.
 */
export function createDashboardFeed(options: DashboardFeedOptions): DashboardFeed {
  const { sample, intervalMs = 1000, historySize = 600, onError } = options;
  const listeners = new Set<DashboardListener>();
  const points: DashboardPoint[] = [];
  let latest: { snapshot: DashboardSnapshot; point: DashboardPoint } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sampling = false;

  async function tick(): Promise<void> {
    if (sampling) return;
    sampling = true;
    try {
      const snapshot = await sample();
      const point = pointOf(snapshot);
      latest = { snapshot, point };
      points.push(point);
      if (points.length > historySize) points.splice(0, points.length - historySize);
      for (const listener of [...listeners]) deliver(listener, snapshot, point);
    } catch (error) {
      onError?.(error);
    } finally {
      sampling = false;
    }
  }

  function deliver(listener: DashboardListener, snapshot: DashboardSnapshot, point: DashboardPoint): void {
    try {
      listener(snapshot, point);
    } catch (error) {
      listeners.delete(listener);
      onError?.(error);
    }
  }

  function stop(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (latest !== undefined) deliver(listener, latest.snapshot, latest.point);
      if (timer === undefined) {
        timer = setInterval(() => void tick(), intervalMs);
        timer.unref();
        void tick();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    history: () => points.slice(),
    get viewers() {
      return listeners.size;
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}

function pointOf(snapshot: DashboardSnapshot): DashboardPoint {
  return {
    time: snapshot.time,
    requests_per_s: snapshot.http.requests_per_s,
    errors_per_s: snapshot.http.errors_per_s,
    p50_ms: snapshot.http.p50_ms,
    p95_ms: snapshot.http.p95_ms,
    in_flight: snapshot.http.in_flight,
    streams_active: snapshot.streams.active,
    rss_bytes: snapshot.process.rss_bytes,
    event_loop_lag_ms: snapshot.process.event_loop_lag_ms,
  };
}
