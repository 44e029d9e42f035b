import type { EventConsumer, TelemetryEvent } from './eventBus';
import { parseEventPattern } from './eventPattern';
import { createRingBuffer } from './ringBuffer';

export interface RecentEventsOptions {
  /** Events kept; the oldest is forgotten first. Default 200. */
  readonly capacity?: number;
}

export interface RecentEventsQuery {
  /** At most this many, newest first. Default: all kept. */
  readonly limit?: number;
  /** Only events whose name matches this name or pattern (`pool.*`). */
  readonly name?: string;
}

export interface RecentEvents {
  readonly capacity: number;
  /** Subscribe it to the bus (`bus.subscribe('*', recent.consumer)`). */
  readonly consumer: EventConsumer;
  /**
   * Newest first. A `name` that is not a valid name or pattern matches nothing: it usually
   * comes from a query string, and "no such event" is the true answer.
   */
  list(query?: RecentEventsQuery): TelemetryEvent[];
}

const DEFAULT_CAPACITY = 200;

/** The last events seen, in a fixed ring buffer, for `/ops/events` and dashboards. */
export function createRecentEvents(options: RecentEventsOptions = {}): RecentEvents {
  const { capacity = DEFAULT_CAPACITY } = options;
  const ring = createRingBuffer<TelemetryEvent>(capacity, 'recentEvents');

  return {
    capacity,
    consumer: function keepRecentEvent(event) {
      ring.push(event);
    },
    list(query = {}) {
      const { limit = capacity, name } = query;
      if (!Number.isInteger(limit) || limit < 0) {
        throw new TypeError(`recentEvents.list: limit must be a non-negative integer, got ${String(limit)}`);
      }
      const pattern = name === undefined ? undefined : parseEventPattern(name);
      if (name !== undefined && pattern === undefined) return [];
      return ring.newest(limit, pattern === undefined ? undefined : (event) => pattern.matches(event.name));
    },
  };
}
