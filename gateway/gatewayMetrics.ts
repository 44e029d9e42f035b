import type { Counter, Gauge, Histogram } from 'prom-client';
import type { SightlineMetrics } from '../middleware';

export type GatewayMetricType = 'counter' | 'gauge' | 'histogram';

export interface GatewayMetricDefinition {
  readonly key: string;
  readonly name: string;
  readonly type: GatewayMetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

export interface GatewayEventDefinition {
  readonly name: string;
  readonly description: string;
  readonly measurements: readonly string[];
  readonly metadata: readonly string[];
}

/** Why the gateway gave up on an upstream call; bounded, used as a label and as `outcome_reason`. */
export const UPSTREAM_FAILURE_REASONS = [
  'connect',
  'first_token',
  'idle',
  'total',
  'connection_error',
  'http_status',
  'error_event',
  'interrupted',
  'not_event_stream',
  'frame_too_large',
] as const;

/** Why the gateway cut its own call to a competitor short. */
export const UPSTREAM_ABORT_REASONS = ['client_closed', 'slow_client', 'timeout'] as const;

export const CONTRACT_KINDS = ['ttft', 'gap'] as const;

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30];

/**
 * The gateway's own metrics, beside sightline's (`streams_*`, `stream_*` labelled by
 * `upstream` = competitor id). Every `competitor` label is a configured id.
 */
export const GATEWAY_METRICS = [
  {
    key: 'circuitState',
    name: 'gateway_circuit_state',
    type: 'gauge',
    help: "State of a competitor's circuit breaker: 0 closed, 1 half-open, 2 open.",
    labelNames: ['competitor'],
  },
  {
    key: 'circuitRejections',
    name: 'gateway_circuit_rejections_total',
    type: 'counter',
    help: 'Requests answered 503 at once because the competitor\'s circuit was open (or half-open with its probe in flight).',
    labelNames: ['competitor'],
  },
  {
    key: 'upstreamFailures',
    name: 'gateway_upstream_failures_total',
    type: 'counter',
    help: `Upstream calls that failed, by reason (${UPSTREAM_FAILURE_REASONS.join(', ')}); each counts against the circuit.`,
    labelNames: ['competitor', 'reason'],
  },
  {
    key: 'upstreamAborts',
    name: 'gateway_upstream_aborts_total',
    type: 'counter',
    help: `Upstream calls the gateway cut short, by reason (${UPSTREAM_ABORT_REASONS.join(', ')}).`,
    labelNames: ['competitor', 'reason'],
  },
  {
    key: 'upstreamTtft',
    name: 'gateway_upstream_ttft_seconds',
    type: 'histogram',
    help: 'Time from the gateway starting its upstream call to the first content event of the stream.',
    labelNames: ['competitor'],
    buckets: SECONDS_BUCKETS,
  },
  {
    key: 'keepalivesSent',
    name: 'gateway_keepalives_sent_total',
    type: 'counter',
    help: 'Keep-alive comments (`: ping`) the gateway wrote itself because nothing reached the client for the keep-alive interval.',
    labelNames: ['competitor'],
  },
  {
    key: 'streamOverflows',
    name: 'gateway_stream_overflows_total',
    type: 'counter',
    help: 'Streams cut because the client did not drain its buffer in time or the buffer passed its limit.',
    labelNames: ['competitor'],
  },
  {
    key: 'contractViolations',
    name: 'gateway_contract_violations_total',
    type: 'counter',
    help: 'Streams that broke the latency contract, by kind (ttft: first content too late or never; gap: a silence between frames too long).',
    labelNames: ['competitor', 'kind'],
  },
  {
    key: 'streamParseErrors',
    name: 'gateway_stream_parse_errors_total',
    type: 'counter',
    help: 'Data events of a relayed stream that are not a JSON object nor `[DONE]`, or whose JSON the gateway read (error and janus events) and could not parse; `stream_events_total` counts all of them.',
    labelNames: ['competitor'],
  },
  {
    key: 'partialFramesDropped',
    name: 'gateway_stream_partial_frames_dropped_total',
    type: 'counter',
    help: 'Unfinished events a stream ended with (the upstream failed, idled, sent one over GATEWAY_MAX_FRAME_BYTES or closed mid-event): held back, never written, so the final error event reaches the client whole.',
    labelNames: ['competitor'],
  },
] as const satisfies readonly GatewayMetricDefinition[];

/** Events the gateway emits on `obs.events` (each is also a log line, message `event`). */
export const GATEWAY_EVENTS = [
  {
    name: 'circuit.state_changed',
    description: "A competitor's circuit breaker changed state (closed, half_open, open).",
    measurements: [],
    metadata: ['competitor', 'from', 'to'],
  },
  {
    name: 'stream.cut',
    description: 'The gateway cut a stream whose client did not keep up (reason slow_client or buffer_limit).',
    measurements: ['buffered_bytes'],
    metadata: ['competitor', 'reason'],
  },
] as const satisfies readonly GatewayEventDefinition[];

type Definitions = (typeof GATEWAY_METRICS)[number];
type MetricOf<D extends Definitions> = D['type'] extends 'counter'
  ? Counter<D['labelNames'][number]>
  : D['type'] extends 'gauge'
    ? Gauge<D['labelNames'][number]>
    : Histogram<D['labelNames'][number]>;

export type GatewayMetrics = { readonly [D in Definitions as D['key']]: MetricOf<D> };

/**
 * Creates (or gets, on the same registry) every catalogued metric, with each competitor's
 * series present from the start so dashboards see zeros rather than gaps.
 */
export function createGatewayMetrics(metrics: SightlineMetrics, competitors: readonly string[]): GatewayMetrics {
  const created: Record<string, unknown> = {};
  for (const definition of GATEWAY_METRICS as readonly GatewayMetricDefinition[]) {
    const spec = { name: definition.name, help: definition.help, labelNames: definition.labelNames };
    if (definition.type === 'counter') created[definition.key] = metrics.counter(spec);
    else if (definition.type === 'gauge') created[definition.key] = metrics.gauge(spec);
    else created[definition.key] = metrics.histogram({ ...spec, buckets: definition.buckets });
  }
  const gateway = created as GatewayMetrics;
  for (const competitor of competitors) {
    gateway.circuitState.set({ competitor }, 0);
    gateway.circuitRejections.inc({ competitor }, 0);
    gateway.keepalivesSent.inc({ competitor }, 0);
    gateway.streamOverflows.inc({ competitor }, 0);
    gateway.upstreamTtft.zero({ competitor });
    gateway.streamParseErrors.inc({ competitor }, 0);
    gateway.partialFramesDropped.inc({ competitor }, 0);
    for (const kind of CONTRACT_KINDS) gateway.contractViolations.inc({ competitor, kind }, 0);
  }
  return gateway;
}
