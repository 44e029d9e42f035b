import type { Registry } from 'prom-client';
import type { TelemetryEvent } from '../eventBus';
import type { HealthReport } from '../healthRegistry';
import type { SightlineMetrics } from '../metrics';
import { roundToThousandths } from '../roundToThousandths';
import type {
  DashboardCheck,
  DashboardEvent,
  DashboardHttp,
  DashboardPool,
  DashboardSnapshot,
  DashboardUpstream,
} from './dashboardSnapshot';
import { quantileBetween, type BucketCounts } from './histogramQuantile';
import type { RecentErrors } from './recentErrors';

export interface DashboardSources {
  readonly service: string;
  readonly version: string;
  readonly metrics: SightlineMetrics;
  /** Runs the health checks (each check's own caching applies). */
  readonly health: () => Promise<HealthReport>;
  readonly draining: () => boolean;
  /** Every pool's statistics, by name. */
  readonly pools: () => Record<string, unknown>;
  readonly errors: RecentErrors;
  readonly events: (limit: number) => readonly TelemetryEvent[];
  readonly eventLoopLagMs: () => number;
  /** Epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

interface Reading {
  readonly time: number;
  readonly requests: number;
  readonly errors: number;
  readonly latency: BucketCounts | undefined;
  readonly ttft: ReadonlyMap<string, BucketCounts>;
  readonly gap: ReadonlyMap<string, BucketCounts>;
  readonly poolRequests: ReadonlyMap<string, number>;
}

const LATENCY_WINDOW_MS = 10_000;
const STREAM_WINDOW_MS = 60_000;
const EVENTS_SHOWN = 20;
const ERRORS_SHOWN = 20;

/**
 * Turns the instance's metrics, health checks, pools and recent errors and events into
 * dashboard snapshots. Rates and quantiles come from the difference between readings, so
 * it keeps the last minute of readings; call `sample()` about once a second.
 */
export function createDashboardSampler(sources: DashboardSources): { sample(): Promise<DashboardSnapshot> } {
  const { metrics, now = Date.now } = sources;
  const readings: Reading[] = [];
  const names = {
    requests: metrics.nameOf('httpRequests'),
    duration: metrics.nameOf('httpRequestDuration'),
    inFlight: metrics.nameOf('httpRequestsInFlight'),
    active: metrics.nameOf('streamsActive'),
    ttft: metrics.nameOf('streamTimeToFirstEvent'),
    gap: metrics.nameOf('streamMaxGap'),
  };

  return {
    async sample() {
      const [report, requestValues, duration, inFlight, active, ttft, gap] = await Promise.all([
        sources.health(),
        valuesOf(metrics.registry, names.requests),
        valuesOf(metrics.registry, names.duration),
        valuesOf(metrics.registry, names.inFlight),
        valuesOf(metrics.registry, names.active),
        valuesOf(metrics.registry, names.ttft),
        valuesOf(metrics.registry, names.gap),
      ]);
      const time = now();
      const pools = sources.pools();
      const memory = process.memoryUsage();
      const reading: Reading = {
        time,
        requests: sum(requestValues),
        errors: sum(requestValues.filter((v) => Number(v.labels.status_code) >= 500)),
        latency: bucketsBy(duration, `${names.duration}_bucket`, () => '').get(''),
        ttft: bucketsBy(ttft, `${names.ttft}_bucket`, (labels) => String(labels.upstream)),
        gap: bucketsBy(gap, `${names.gap}_bucket`, (labels) => String(labels.upstream)),
        poolRequests: poolRequestCounts(pools),
      };
      const previous = readings[readings.length - 1];
      readings.push(reading);
      while (readings.length > 0 && (readings[0] as Reading).time < time - STREAM_WINDOW_MS) readings.shift();

      return {
        time,
        service: sources.service,
        version: sources.version,
        status: report.status === 'pass' ? 'ok' : report.status,
        draining: sources.draining(),
        checks: checksOf(report),
        http: httpOf(reading, previous, readingAt(time - LATENCY_WINDOW_MS), sum(inFlight)),
        streams: { active: sum(active), upstreams: upstreamsOf(reading, readings[0], active) },
        pools: poolsOf(pools, reading, previous),
        errors: sources.errors.list(ERRORS_SHOWN),
        events: sources.events(EVENTS_SHOWN).map(eventOf),
        process: {
          rss_bytes: memory.rss,
          heap_used_bytes: memory.heapUsed,
          event_loop_lag_ms: roundToThousandths(sources.eventLoopLagMs()),
        },
      };
    },
  };

  /** The oldest kept reading at or after `time`. */
  function readingAt(time: number): Reading | undefined {
    return readings.find((reading) => reading.time >= time);
  }
}

interface MetricValue {
  readonly labels: Record<string, string | number | undefined>;
  readonly value: number;
  readonly metricName?: string;
}

async function valuesOf(registry: Registry, name: string): Promise<readonly MetricValue[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return [];
  return (await metric.get()).values as MetricValue[];
}

function sum(values: readonly MetricValue[]): number {
  let total = 0;
  for (const { value } of values) total += value;
  return total;
}

function bucketsBy(values: readonly MetricValue[], bucketName: string, keyOf: (labels: MetricValue['labels']) => string): Map<string, BucketCounts> {
  const byKey = new Map<string, Map<number, number>>();
  for (const { metricName, labels, value } of values) {
    if (metricName !== bucketName) continue;
    const key = keyOf(labels);
    const bound = labels.le === '+Inf' ? Infinity : Number(labels.le);
    let counts = byKey.get(key);
    if (counts === undefined) byKey.set(key, (counts = new Map()));
    counts.set(bound, (counts.get(bound) ?? 0) + value);
  }
  const result = new Map<string, BucketCounts>();
  for (const [key, counts] of byKey) {
    const bounds = [...counts.keys()].sort((a, b) => a - b);
    result.set(key, { bounds, counts: bounds.map((bound) => counts.get(bound) ?? 0) });
  }
  return result;
}

const toMs = (seconds: number | undefined): number | null => (seconds === undefined ? null : roundToThousandths(seconds * 1000));

function httpOf(now: Reading, previous: Reading | undefined, windowStart: Reading | undefined, inFlight: number): DashboardHttp {
  const seconds = previous === undefined ? 0 : (now.time - previous.time) / 1000;
  const requests = previous === undefined ? 0 : now.requests - previous.requests;
  const errors = previous === undefined ? 0 : now.errors - previous.errors;
  const start = windowStart === now ? undefined : windowStart?.latency;
  return {
    requests_per_s: seconds > 0 ? roundToThousandths(requests / seconds) : 0,
    errors_per_s: seconds > 0 ? roundToThousandths(errors / seconds) : 0,
    error_ratio: requests > 0 ? roundToThousandths(errors / requests) : 0,
    p50_ms: now.latency === undefined ? null : toMs(quantileBetween(start, now.latency, 0.5)),
    p95_ms: now.latency === undefined ? null : toMs(quantileBetween(start, now.latency, 0.95)),
    in_flight: inFlight,
    requests_total: now.requests,
    errors_total: now.errors,
  };
}

function upstreamsOf(now: Reading, windowStart: Reading | undefined, active: readonly MetricValue[]): DashboardUpstream[] {
  const start = windowStart === now ? undefined : windowStart;
  const names = new Set([...now.ttft.keys(), ...now.gap.keys(), ...active.map((v) => String(v.labels.upstream))]);
  return [...names].sort().map((upstream) => {
    const ttft = now.ttft.get(upstream);
    const gap = now.gap.get(upstream);
    const before = start?.ttft.get(upstream);
    const streams = ttft === undefined ? 0 : (ttft.counts[ttft.counts.length - 1] ?? 0) - (before?.counts[before.counts.length - 1] ?? 0);
    return {
      upstream,
      active: sum(active.filter((v) => String(v.labels.upstream) === upstream)),
      streams,
      ttft_p50_ms: ttft === undefined ? null : toMs(quantileBetween(before, ttft, 0.5)),
      ttft_p95_ms: ttft === undefined ? null : toMs(quantileBetween(before, ttft, 0.95)),
      max_gap_p95_ms: gap === undefined ? null : toMs(quantileBetween(start?.gap.get(upstream), gap, 0.95)),
    };
  });
}

function checksOf(report: HealthReport): DashboardCheck[] {
  return Object.entries(report.checks).map(([name, result]) => ({
    name,
    status: result.ok ? 'pass' : result.critical ? 'fail' : 'warn',
    critical: result.critical,
    message: result.message ?? null,
  }));
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function statsOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function poolRequestCounts(pools: Record<string, unknown>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [name, value] of Object.entries(pools)) {
    const stats = statsOf(value);
    const succeeded = numberOr(stats.requests_succeeded);
    const failed = numberOr(stats.requests_failed);
    if (succeeded !== null || failed !== null) counts.set(name, (succeeded ?? 0) + (failed ?? 0));
  }
  return counts;
}

function poolsOf(pools: Record<string, unknown>, now: Reading, previous: Reading | undefined): DashboardPool[] {
  const seconds = previous === undefined ? 0 : (now.time - previous.time) / 1000;
  return Object.entries(pools).map(([name, value]) => {
    const stats = statsOf(value);
    const requests = now.poolRequests.get(name);
    const before = previous?.poolRequests.get(name);
    return {
      name,
      state: typeof stats.state === 'string' ? stats.state : null,
      total: numberOr(stats.total),
      available: numberOr(stats.available),
      busy: numberOr(stats.busy),
      queue: numberOr(stats.queue_size ?? stats.queued ?? stats.queue),
      requests_per_s: requests === undefined || seconds <= 0 ? null : roundToThousandths((requests - (before ?? requests)) / seconds),
      crashes: numberOr(stats.workers_crashed ?? stats.crashes),
    };
  });
}

function eventOf(event: TelemetryEvent): DashboardEvent {
  const parts: string[] = [];
  for (const [key, value] of [...Object.entries(event.metadata), ...Object.entries(event.measurements)]) {
    if (parts.length === 6) break;
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(`${key}=${(shown ?? 'null').slice(0, 60)}`);
  }
  return { time: event.time, name: event.name, request_id: event.request_id ?? null, summary: parts.join(' ') };
}
