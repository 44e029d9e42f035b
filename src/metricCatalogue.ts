export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  /** Without the instance's prefix. */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Default buckets of a histogram. */
  readonly buckets?: readonly number[];
  /** What the metric is for, in the README's table. */
  readonly section: 'http' | 'stream' | 'logging';
}

const HTTP_LABELS = ['method', 'route', 'status_code'] as const;

/** Every metric sightline defines. The README's metric table is rendered from this list. */
export const METRIC_CATALOGUE = {
  httpRequestDuration: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from a request arriving to its response ending, for responses that are not streams.',
    labelNames: ['status_code', 'method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    section: 'http',
  },
  httpRequests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'Requests answered (streams and aborted requests included), by route template and status.',
    labelNames: HTTP_LABELS,
    section: 'http',
  },
  httpRequestsInFlight: {
    name: 'http_requests_in_flight',
    type: 'gauge',
    help: 'Requests arrived whose response has not ended yet.',
    labelNames: [],
    section: 'http',
  },
  httpResponseSize: {
    name: 'http_response_size_bytes',
    type: 'histogram',
    help: 'Body bytes written per response that is not a stream.',
    labelNames: HTTP_LABELS,
    buckets: [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000],
    section: 'http',
  },
  streamsActive: {
    name: 'streams_active',
    type: 'gauge',
    help: 'Streamed responses open now.',
    labelNames: ['upstream'],
    section: 'stream',
  },
  streams: {
    name: 'streams_total',
    type: 'counter',
    help: 'Streamed responses ended, by how they ended (completed, client_aborted, upstream_error, timeout).',
    labelNames: ['upstream', 'outcome'],
    section: 'stream',
  },
  streamTimeToFirstEvent: {
    name: 'stream_time_to_first_event_seconds',
    type: 'histogram',
    help: 'Time from a request arriving to the first stream event that carries content (keep-alives excluded).',
    labelNames: ['upstream'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    section: 'stream',
  },
  streamMaxGap: {
    name: 'stream_max_gap_seconds',
    type: 'histogram',
    help: 'Longest silence between two consecutive frames of a stream (keep-alive comments count as frames).',
    labelNames: ['upstream'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    section: 'stream',
  },
  streamDuration: {
    name: 'stream_duration_seconds',
    type: 'histogram',
    help: 'Time from a request arriving to its stream ending.',
    labelNames: ['upstream'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    section: 'stream',
  },
  streamEvents: {
    name: 'stream_events_total',
    type: 'counter',
    help: 'Stream events written (data events; keep-alive comments excluded).',
    labelNames: ['upstream'],
    section: 'stream',
  },
  streamBytes: {
    name: 'stream_bytes_total',
    type: 'counter',
    help: 'Body bytes written on streams.',
    labelNames: ['upstream'],
    section: 'stream',
  },
  logLinesDropped: {
    name: 'sightline_log_lines_dropped_total',
    type: 'counter',
    help: 'Log lines left out on purpose (reason: sampling).',
    labelNames: ['reason'],
    section: 'logging',
  },
  logFailures: {
    name: 'sightline_log_failures_total',
    type: 'counter',
    help: 'Log lines a transport failed to take, or whose fields could not be serialised (kind: transport, format).',
    labelNames: ['kind'],
    section: 'logging',
  },
} as const satisfies Record<string, MetricDefinition>;

export type CatalogueKey = keyof typeof METRIC_CATALOGUE;

/** prom-client's default process metrics whose `_total` suffix on a gauge breaks Prometheus naming rules. */
export const EXCLUDED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;
