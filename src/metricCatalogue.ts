/** The Prometheus type of a metric, as prom-client makes it. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric sightline defines: an entry of `METRIC_CATALOGUE`. */
export interface MetricDefinition {
  /** Without the instance's prefix. */
  readonly name: string;
  /** Whether it is a counter, a gauge or a histogram. */
  readonly type: MetricType;
  /** The `# HELP` text of the exposition. */
  readonly help: string;
  /** The labels its series carry; every value of them is bounded (route templates, known upstreams, fixed sets). */
  readonly labelNames: readonly string[];
  /** Default buckets of a histogram. */
  readonly buckets?: readonly number[];
  /** What the metric is for, in the README's table. */
  readonly section: MetricSection;
}

/** The part of sightline a metric belongs to, which groups it in the README's metric table. */
export type MetricSection = 'http' | 'stream' | 'logging' | 'health' | 'ops' | 'events' | 'pool';

const HTTP_LABELS = ['method', 'route', 'status_code'] as const;

/**
 * Every metric sightline defines, by its stable key. The README's metric table is rendered
 * from this list. Read it, never change it: the registry makes each metric from its entry.
 */
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
  httpClientErrors: {
    name: 'http_client_errors_total',
    type: 'counter',
    help: "Connections whose request Node's HTTP parser refused or that failed before an answer, by Node's error code (HPE_HEADER_OVERFLOW, HPE_INVALID_CHUNK_SIZE, ERR_HTTP_REQUEST_TIMEOUT, ECONNRESET, …), on servers given to obs.attachServer().",
    labelNames: ['code'],
    section: 'http',
  },
  httpObservationFailures: {
    name: 'sightline_http_observation_failures_total',
    type: 'counter',
    help: 'Finished requests one of the HTTP metrics could not record (prom-client refused the observation), by metric; the request itself was answered as usual.',
    labelNames: ['metric'],
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
  streamObservationFailures: {
    name: 'sightline_stream_observation_failures_total',
    type: 'counter',
    help: "Stream events the application's isContent callback threw on (counted as no content), and streams no longer parsed because an unfinished line or event passed maxFrameBytes; either way the stream itself went on.",
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
    help: 'Log lines a transport failed to take, whose fields could not be serialised, or log records the OTLP log export failed to deliver (kind: transport, format, export).',
    labelNames: ['kind'],
    section: 'logging',
  },
  logTruncations: {
    name: 'sightline_log_truncations_total',
    type: 'counter',
    help: 'Log strings cut to OBS_LOG_MAX_STRING_LENGTH (kind: string) and log lines that left fields out or cut their message to stay within OBS_LOG_MAX_LINE_BYTES (kind: line).',
    labelNames: ['kind'],
    section: 'logging',
  },
  healthCheckUp: {
    name: 'sightline_health_check_up',
    type: 'gauge',
    help: 'Whether a health check passed when it last ran (1) or failed (0).',
    labelNames: ['check'],
    section: 'health',
  },
  healthCheckDuration: {
    name: 'sightline_health_check_duration_seconds',
    type: 'histogram',
    help: 'Time a health check took to run, up to its timeout.',
    labelNames: ['check'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    section: 'health',
  },
  adminAuthFailures: {
    name: 'sightline_admin_auth_failures_total',
    type: 'counter',
    help: 'Requests to guarded routes refused for their token (reason: missing, malformed, invalid).',
    labelNames: ['reason'],
    section: 'ops',
  },
  jobRuns: {
    name: 'sightline_job_runs_total',
    type: 'counter',
    help: 'Ops jobs run, by job and result (succeeded, failed, already_running).',
    labelNames: ['job', 'result'],
    section: 'ops',
  },
  jobDuration: {
    name: 'sightline_job_duration_seconds',
    type: 'histogram',
    help: 'Time an ops job took, by job.',
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    section: 'ops',
  },
  eventsEmitted: {
    name: 'sightline_events_emitted_total',
    type: 'counter',
    help: 'Telemetry events accepted by the event bus and passed to its consumers, by event name.',
    labelNames: ['event'],
    section: 'events',
  },
  eventsDropped: {
    name: 'sightline_events_dropped_total',
    type: 'counter',
    help: 'Telemetry events left out, by event name and reason (sampling, rate_limit, overflow of the delivery queue, invalid).',
    labelNames: ['event', 'reason'],
    section: 'events',
  },
  eventConsumerFailures: {
    name: 'sightline_event_consumer_failures_total',
    type: 'counter',
    help: 'Events a consumer did not handle, by consumer and kind (error, timeout, circuit_open, overflow of its deliveries in flight).',
    labelNames: ['consumer', 'kind'],
    section: 'events',
  },
  eventConsumerOpen: {
    name: 'sightline_event_consumer_circuit_open',
    type: 'gauge',
    help: 'Whether a consumer is switched off for a cool-down after repeated failures (1) or receiving events (0).',
    labelNames: ['consumer'],
    section: 'events',
  },
  poolSaturations: {
    name: 'pool_saturations_total',
    type: 'counter',
    help: 'Times a pool had no worker available for a request (event pool.saturated).',
    labelNames: ['pool'],
    section: 'pool',
  },
  poolWorkerStarts: {
    name: 'pool_worker_starts_total',
    type: 'counter',
    help: 'Workers started (event worker.started).',
    labelNames: ['pool'],
    section: 'pool',
  },
  poolWorkerCrashes: {
    name: 'pool_worker_crashes_total',
    type: 'counter',
    help: 'Workers that exited without being asked to (event worker.crashed).',
    labelNames: ['pool'],
    section: 'pool',
  },
  poolRequests: {
    name: 'pool_requests_total',
    type: 'counter',
    help: 'Requests a pool completed, by success (event request.completed).',
    labelNames: ['pool', 'success'],
    section: 'pool',
  },
  poolRequestDuration: {
    name: 'pool_request_duration_seconds',
    type: 'histogram',
    help: 'Time a pool took to complete a request (event request.completed).',
    labelNames: ['pool'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    section: 'pool',
  },
  sessionsCreated: {
    name: 'sessions_created_total',
    type: 'counter',
    help: 'Sessions created (event session.created).',
    labelNames: [],
    section: 'pool',
  },
  sessionsCleaned: {
    name: 'sessions_cleaned_total',
    type: 'counter',
    help: 'Expired sessions removed (event session.cleanup).',
    labelNames: [],
    section: 'pool',
  },
  errorRateExceeded: {
    name: 'sightline_error_rate_exceeded_total',
    type: 'counter',
    help: 'Times the share of 5xx responses passed its threshold (event error_rate.exceeded).',
    labelNames: [],
    section: 'events',
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * The key of one of sightline's own metrics in `METRIC_CATALOGUE` (`httpRequestDuration`,
 * `streamTimeToFirstEvent`, …): stable, unlike the metric's name, which carries the prefix.
 */
export type CatalogueKey = keyof typeof METRIC_CATALOGUE;

/** prom-client's default process metrics whose `_total` suffix on a gauge breaks Prometheus naming rules. */
export const EXCLUDED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;
