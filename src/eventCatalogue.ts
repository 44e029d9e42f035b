import type { CatalogueKey } from './metricCatalogue';

export interface EventDefinition {
  /** What happened, for the docs. */
  readonly description: string;
  /** Numeric fields (`measurements`); durations end in `_ms` or `_s`. */
  readonly measurements: readonly string[];
  /** Descriptive fields (`metadata`), any JSON value. */
  readonly metadata: readonly string[];
  /** Catalogue metrics the event metrics consumer updates from this event. */
  readonly metrics: readonly CatalogueKey[];
}

/**
 * The events sightline and its worker pools emit, and the fields each carries. Applications
 * may emit names of their own; these are the ones the built-in consumers understand.
 */
export const EVENT_CATALOGUE = {
  'pool.started': {
    description: 'A worker pool finished starting.',
    measurements: ['startup_ms'],
    metadata: ['pool', 'config'],
    metrics: [],
  },
  'pool.saturated': {
    description: 'A request found no worker free and no room in the queue, and was refused.',
    measurements: ['queue_size', 'available_workers'],
    metadata: ['pool'],
    metrics: ['poolSaturations'],
  },
  'pool.crashed': {
    description: 'Workers crashed so often within the window that the pool stopped taking requests until it is reset.',
    measurements: ['crashes', 'window_s'],
    metadata: ['pool'],
    metrics: [],
  },
  'pool.reset': {
    description: 'An operator reset a crashed pool: it takes requests again.',
    measurements: [],
    metadata: ['pool'],
    metrics: [],
  },
  'worker.started': {
    description: 'A pool started a worker.',
    measurements: ['startup_ms'],
    metadata: ['pool', 'worker_id', 'pid'],
    metrics: ['poolWorkerStarts'],
  },
  'worker.crashed': {
    description: 'A worker exited without being asked to.',
    measurements: ['exit_code'],
    metadata: ['pool', 'worker_id', 'pid', 'signal', 'error', 'stack', 'tool', 'call_id'],
    metrics: ['poolWorkerCrashes'],
  },
  'request.started': {
    description: 'A pool took a request.',
    measurements: ['queue_wait_ms'],
    metadata: ['correlation_id', 'command', 'pool'],
    metrics: [],
  },
  'request.completed': {
    description: 'A pool finished a request, successfully or not.',
    measurements: ['duration_ms'],
    metadata: ['correlation_id', 'pool', 'success', 'error_type'],
    metrics: ['poolRequests', 'poolRequestDuration'],
  },
  'session.created': {
    description: 'A session was created.',
    measurements: ['ttl_s'],
    metadata: ['session_ref', 'metadata'],
    metrics: ['sessionsCreated'],
  },
  'session.cleanup': {
    description: 'Expired sessions were removed.',
    measurements: ['count', 'duration_ms'],
    metadata: [],
    metrics: ['sessionsCleaned'],
  },
  'error_rate.exceeded': {
    description: 'The share of 5xx responses over the window passed its threshold.',
    measurements: ['rate', 'threshold', 'window_s', 'requests', 'errors'],
    metadata: [],
    metrics: ['errorRateExceeded'],
  },
} as const satisfies Record<string, EventDefinition>;

export type CatalogueEventName = keyof typeof EVENT_CATALOGUE;

export function isCatalogueEvent(name: string): name is CatalogueEventName {
  return Object.hasOwn(EVENT_CATALOGUE, name);
}

/** Pool of events that do not name theirs. */
export const DEFAULT_POOL = 'default';

/** The pool a pool, worker or request event belongs to (`metadata.pool`). */
export function poolOf(metadata: Readonly<Record<string, unknown>>): string {
  const pool = metadata.pool;
  return typeof pool === 'string' && pool !== '' ? pool : DEFAULT_POOL;
}
