import type { MetricDefinition, SightlineMetrics } from '../../middleware';

/** sightline's `MetricDefinition` without `section`: that union names sightline's own README sections. */
export type SandboxMetricDefinition = Omit<MetricDefinition, 'section'>;

export type SandboxWorkerState = 'idle' | 'spawning' | 'busy' | 'backoff';

export const SANDBOX_WORKER_STATES: readonly SandboxWorkerState[] = ['idle', 'spawning', 'busy', 'backoff'];

/** Tools labelled by name in `sandbox_calls_total`; any other is `other` (tool names come from requests). */
export const LABELLED_TOOLS: ReadonlySet<string> = new Set(['calc', 'sleep', 'echo']);

const DEFINITIONS = {
  workers: {
    name: 'sandbox_workers',
    type: 'gauge',
    help: 'Sandbox slots by state (idle, spawning, busy, backoff after a crash).',
    labelNames: ['state'],
  },
  queueDepth: {
    name: 'sandbox_queue_depth',
    type: 'gauge',
    help: 'Tool calls waiting for a free sandbox slot.',
    labelNames: [],
  },
  queueWait: {
    name: 'sandbox_queue_wait_seconds',
    type: 'histogram',
    help: 'Time a tool call waited for a sandbox slot (0 when one was free).',
    labelNames: [],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  spawnDuration: {
    name: 'sandbox_spawn_duration_seconds',
    type: 'histogram',
    help: 'Time from asking for a sandbox child process to the operating system starting it.',
    labelNames: [],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  crashes: {
    name: 'sandbox_crashes_total',
    type: 'counter',
    help: 'Sandbox children that ended before answering without being killed by the pool, by exit code or signal name.',
    labelNames: ['exit_code'],
  },
  parseErrors: {
    name: 'sandbox_parse_errors_total',
    type: 'counter',
    help: 'Lines from sandbox children that were not protocol messages (line_too_long, invalid_json, not_an_object, unknown_type, invalid_fields).',
    labelNames: ['type'],
  },
  lines: {
    name: 'sandbox_lines_total',
    type: 'counter',
    help: "Lines read from sandbox children's stdout and checked against the protocol, parse errors included (the denominator of sandbox_parse_errors_total).",
    labelNames: [],
  },
  calls: {
    name: 'sandbox_calls_total',
    type: 'counter',
    help: 'Tool calls the sandbox pool finished or refused, by tool (calc, sleep, echo, other) and outcome (ok or the error type).',
    labelNames: ['tool', 'outcome'],
  },
} as const satisfies Record<string, SandboxMetricDefinition>;

/** The sandbox pool's metrics. The README's metric table is rendered from this list. */
export const SANDBOX_METRICS: readonly SandboxMetricDefinition[] = Object.values(DEFINITIONS);

type Counter = ReturnType<SightlineMetrics['counter']>;
type Gauge = ReturnType<SightlineMetrics['gauge']>;
type Histogram = ReturnType<SightlineMetrics['histogram']>;

export interface SandboxPoolMetrics {
  readonly workers: Gauge;
  readonly queueDepth: Gauge;
  readonly queueWait: Histogram;
  readonly spawnDuration: Histogram;
  readonly crashes: Counter;
  readonly parseErrors: Counter;
  readonly lines: Counter;
  readonly calls: Counter;
}

/** Gets or creates the pool's metrics in the instance's registry (names as given, no prefix). */
export function createSandboxPoolMetrics(metrics: SightlineMetrics): SandboxPoolMetrics {
  const { workers, queueDepth, queueWait, spawnDuration, crashes, parseErrors, lines, calls } = DEFINITIONS;
  return {
    workers: metrics.gauge(workers),
    queueDepth: metrics.gauge(queueDepth),
    queueWait: metrics.histogram(queueWait),
    spawnDuration: metrics.histogram(spawnDuration),
    crashes: metrics.counter(crashes),
    parseErrors: metrics.counter(parseErrors),
    lines: metrics.counter(lines),
    calls: metrics.counter(calls),
  };
}

export function toolLabel(tool: string): string {
  return LABELLED_TOOLS.has(tool) ? tool : 'other';
}
