import type { LogFields } from './readLogLines';

/** What a timeline row shows; `gap` rows are added by the timeline, not read from a line. */
export const ROW_KINDS = [
  'arrival',
  'upstream_call',
  'upstream_answer',
  'first_token',
  'stream_event',
  'tool_start',
  'tool_end',
  'sandbox_start',
  'sandbox_end',
  'gap_over_contract',
  'gap',
  'error',
  'warning',
  'completion',
  'event',
  'log',
] as const;

export type RowKind = (typeof ROW_KINDS)[number];

export interface Classification {
  readonly kind: RowKind;
  /** Short, with the figures that matter: `first token (ttft 37.8 ms)`. */
  readonly label: string;
  /** More of the line, after its message: `POST /v1/chat/completions`. Empty when nothing to add. */
  readonly detail: string;
}

/** What other lines of the same service tell about a line (the client's TTFT is only on the completed line). */
export interface ServiceFacts {
  /** `ttft_ms` of the service's `request completed` line. */
  readonly ttftMs?: number;
  /** Time (ms since the epoch) of the service's `request started` line. */
  readonly arrivedAt?: number;
}

/** Events that mean something failed. */
const ERROR_EVENTS: ReadonlySet<string> = new Set(['worker.crashed', 'pool.crashed', 'pool.saturated', 'stream.cut', 'error_rate.exceeded']);

/** Lines below `error` level that report a failure of the request. */
const FAILURE_MESSAGES: ReadonlySet<string> = new Set([
  'upstream failed',
  'stream cut',
  'model failed mid-stream',
  'request failed',
  'request rejected',
  'sandbox crashed',
  'sandbox call timed out',
  'sandbox output invalid',
  'sandbox fatal error',
  'upstream model unreachable',
  'upstream model refused',
  'upstream model stream failed',
]);

/**
 * Names a line by what the services actually log: the access log (`request started`,
 * `request completed`), the gateway's relay (`upstream call started`, `upstream answered`,
 * `first token`, `stream event`, `gap over contract`, `upstream failed`, `stream cut`), the
 * competitor's tool calls and sandbox (`tool call started|finished|failed`,
 * `sandbox started`), the sandbox child (`sandbox call started|finished`), and telemetry
 * events (`event`). Anything else is `error`, `warning` or `log` by its level.
 */
export function classifyLine(fields: LogFields, facts: ServiceFacts = {}, timeMs?: number): Classification {
  const message = text(fields.message);
  const level = text(fields.level);
  switch (message) {
    case 'request started':
      return row('arrival', 'arrival', join([text(fields.method), text(fields.url)], ' '));
    case 'request completed':
      return completion(fields);
    case 'upstream call started':
      return row('upstream_call', labelled('upstream call', [text(fields.competitor_id)]), '');
    case 'upstream answered':
      return row('upstream_answer', labelled('upstream answered', [text(fields.upstream_status), named('after', ms(fields.upstream_headers_ms))]), '');
    case 'first token':
      return firstToken(fields, facts, timeMs);
    case 'stream event':
      return row('stream_event', labelled('stream event', [text(fields.janus_event)]), callOf(fields.payload));
    case 'gap over contract':
      return row('gap_over_contract', labelled('gap over contract', [ms(fields.gap_ms)]), named('contract', ms(fields.contract_gap_ms)));
    case 'tool call started':
      return row('tool_start', labelled('tool start', [text(fields.tool)]), text(fields.call_id));
    case 'tool call finished':
      return row('tool_end', labelled('tool end', [text(fields.tool), text(fields.outcome), ms(fields.duration_ms)]), text(fields.call_id));
    case 'tool call failed':
      return row('tool_end', labelled('tool failed', [text(fields.tool), text(fields.outcome), ms(fields.duration_ms)]), join([text(fields.call_id), text(fields.error)], ': '));
    case 'sandbox started':
    case 'sandbox spawned':
      return row('sandbox_start', labelled('sandbox start', [named('pid', fields.pid), named('spawn', ms(fields.spawn_ms))]), text(fields.call_id));
    case 'sandbox call started':
      return row('sandbox_start', labelled('sandbox call start', [text(fields.tool)]), join([text(fields.call_id), named('pid', fields.pid)], ', '));
    case 'sandbox call finished':
      return row('sandbox_end', labelled('sandbox end', [fields.ok === false ? 'failed' : 'ok', ms(fields.duration_ms)]), join([text(fields.call_id), named('pid', fields.pid)], ', '));
    case 'event':
      return telemetryEvent(fields);
  }
  if (FAILURE_MESSAGES.has(message) || level === 'error' || level === 'fatal') {
    return row('error', reasonLabel('error', fields), text(fields.error).split('\n')[0] ?? '');
  }
  if (level === 'warn') return row('warning', reasonLabel('warning', fields), '');
  return row('log', 'log', '');
}

function completion(fields: LogFields): Classification {
  const label = labelled('completion', [text(fields.status), bytes(fields.bytes_out), text(fields.outcome)]);
  const detail = join(
    [
      ms(fields.latency_ms),
      named('ttft', ms(fields.ttft_ms)),
      named('max gap', ms(fields.max_gap_ms)),
      named('events', fields.events),
      named('reason', fields.outcome_reason),
      named('error', fields.upstream_error),
    ],
    ', ',
  );
  return row('completion', label, detail);
}

function firstToken(fields: LogFields, facts: ServiceFacts, timeMs: number | undefined): Classification {
  // The client's TTFT is measured by the access log from the request's arrival; without that
  // line, the distance from the service's own `request started` line (millisecond timestamps).
  const ttft = facts.ttftMs ?? (facts.arrivedAt !== undefined && timeMs !== undefined ? timeMs - facts.arrivedAt : undefined);
  const upstream = named('upstream ttft', ms(fields.upstream_ttft_ms));
  const label = labelled('first token', [ttft === undefined ? upstream : `ttft ${ms(ttft)}`]);
  return row('first_token', label, ttft === undefined ? '' : upstream);
}

function telemetryEvent(fields: LogFields): Classification {
  const name = text(fields.event);
  const metadata = (typeof fields.metadata === 'object' && fields.metadata !== null ? fields.metadata : {}) as Record<string, unknown>;
  const detail = join([text(metadata.correlation_id ?? metadata.call_id), named('pid', metadata.pid), named('error_type', metadata.error_type), text(metadata.error).split('\n')[0] ?? ''], ', ');
  return row(ERROR_EVENTS.has(name) || metadata.success === false ? 'error' : 'event', labelled('event', [name]), detail);
}

function reasonLabel(kind: string, fields: LogFields): string {
  return labelled(kind, [text(fields.reason) || text(fields.code)]);
}

/** `name (a, b)`, or `name` alone when no part has a value. */
function labelled(name: string, parts: readonly string[]): string {
  const shown = join(parts, ', ');
  return shown === '' ? name : `${name} (${shown})`;
}

function callOf(payload: unknown): string {
  if (typeof payload !== 'object' || payload === null) return '';
  const { tool, call_id: callId } = payload as Record<string, unknown>;
  return join([text(tool), text(callId)], ' ');
}

function row(kind: RowKind, label: string, detail: string): Classification {
  return { kind, label, detail };
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function named(name: string, value: unknown): string {
  const shown = text(value);
  return shown === '' ? '' : `${name} ${shown}`;
}

function join(parts: readonly string[], separator: string): string {
  return parts.filter((part) => part !== '').join(separator);
}

/** `37.8 ms`, `2.35 s`; empty when not a number. */
export function ms(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${Math.round(value * 10) / 10} ms`;
}

function bytes(value: unknown): string {
  return typeof value === 'number' ? `${value} bytes` : '';
}
