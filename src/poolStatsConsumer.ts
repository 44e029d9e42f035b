import type { EventConsumer, TelemetryEvent } from './eventBus';
import { poolOf } from './eventCatalogue';

export interface PoolCrash {
  readonly time: string;
  readonly worker_id: string | number | null;
  readonly exit_code: number | null;
  readonly signal: string | null;
}

export interface PoolSaturation {
  readonly time: string;
  readonly queue_size: number | null;
  readonly available_workers: number | null;
}

/** One pool as `/health/detailed` shows it. Error messages and stacks are left out on purpose. */
export interface PoolStats {
  readonly started_at: string | null;
  readonly startup_ms: number | null;
  readonly workers_started: number;
  readonly workers_crashed: number;
  readonly last_crash: PoolCrash | null;
  readonly saturations: number;
  readonly last_saturation: PoolSaturation | null;
  readonly requests_succeeded: number;
  readonly requests_failed: number;
  /** Time of the pool's latest event. */
  readonly last_seen: string;
}

export interface PoolStatsOptions {
  /** Pools tracked; events of further pools are ignored. Default 100. */
  readonly maxPools?: number;
}

export interface PoolStatsTracker {
  /** Subscribe it to `*` (it ignores events that are not about pools, workers or requests). */
  readonly consumer: EventConsumer;
  /** A fresh JSON-safe copy, keyed by pool name. */
  pools(): Record<string, PoolStats>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DEFAULT_MAX_POOLS = 100;
const TRACKED = new Set(['pool.started', 'pool.saturated', 'worker.started', 'worker.crashed', 'request.started', 'request.completed']);

/**
 * Per-pool figures from the pool, worker and request events. They count the events the bus
 * delivered: an event sampled or rate-limited away is not counted.
 */
export function createPoolStats(options: PoolStatsOptions = {}): PoolStatsTracker {
  const { maxPools = DEFAULT_MAX_POOLS } = options;
  if (!Number.isInteger(maxPools) || maxPools < 1) {
    throw new TypeError(`poolStats: maxPools must be a positive integer, got ${String(maxPools)}`);
  }
  const pools = new Map<string, Mutable<PoolStats>>();

  function statsOf(pool: string, time: string): Mutable<PoolStats> | undefined {
    let stats = pools.get(pool);
    if (stats === undefined) {
      if (pools.size >= maxPools) return undefined;
      stats = {
        started_at: null,
        startup_ms: null,
        workers_started: 0,
        workers_crashed: 0,
        last_crash: null,
        saturations: 0,
        last_saturation: null,
        requests_succeeded: 0,
        requests_failed: 0,
        last_seen: time,
      };
      pools.set(pool, stats);
    }
    return stats;
  }

  function record(stats: Mutable<PoolStats>, event: TelemetryEvent): void {
    const { measurements, metadata, time } = event;
    stats.last_seen = time;
    switch (event.name) {
      case 'pool.started':
        stats.started_at = time;
        stats.startup_ms = measurements.startup_ms ?? null;
        return;
      case 'pool.saturated':
        stats.saturations += 1;
        stats.last_saturation = {
          time,
          queue_size: measurements.queue_size ?? null,
          available_workers: measurements.available_workers ?? null,
        };
        return;
      case 'worker.started':
        stats.workers_started += 1;
        return;
      case 'worker.crashed':
        stats.workers_crashed += 1;
        stats.last_crash = {
          time,
          worker_id: typeof metadata.worker_id === 'string' || typeof metadata.worker_id === 'number' ? metadata.worker_id : null,
          exit_code: measurements.exit_code ?? null,
          signal: typeof metadata.signal === 'string' ? metadata.signal : null,
        };
        return;
      case 'request.completed':
        if (metadata.success === true || metadata.success === 'true') stats.requests_succeeded += 1;
        else stats.requests_failed += 1;
        return;
    }
  }

  return {
    consumer: function trackPoolStats(event) {
      if (!TRACKED.has(event.name)) return;
      const stats = statsOf(poolOf(event.metadata), event.time);
      if (stats !== undefined) record(stats, event);
    },
    pools() {
      // fromEntries defines properties: a pool named `__proto__` stays a pool.
      return Object.fromEntries(
        [...pools].map(([pool, stats]): [string, PoolStats] => [
          pool,
          {
            ...stats,
            last_crash: stats.last_crash === null ? null : { ...stats.last_crash },
            last_saturation: stats.last_saturation === null ? null : { ...stats.last_saturation },
          },
        ]),
      );
    },
  };
}
