import {
  isValidSpanId,
  isValidTraceId,
  ROOT_CONTEXT,
  SeverityNumber,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type LogRecord,
} from '@opentelemetry/api';

/**
 * Severity of each sightline level, as OpenTelemetry's winston bridge maps npm levels
 * (`http` DEBUG3, `verbose` DEBUG2, `debug` DEBUG, `silly` TRACE), with `fatal` FATAL.
 */
const SEVERITY: Readonly<Record<string, SeverityNumber>> = {
  fatal: SeverityNumber.FATAL,
  error: SeverityNumber.ERROR,
  warn: SeverityNumber.WARN,
  info: SeverityNumber.INFO,
  http: SeverityNumber.DEBUG3,
  verbose: SeverityNumber.DEBUG2,
  debug: SeverityNumber.DEBUG,
  silly: SeverityNumber.TRACE,
};

/** Members that become the record's own fields rather than attributes. */
const RECORD_MEMBERS: ReadonlySet<string> = new Set(['timestamp', 'level', 'message', 'trace_id', 'span_id']);

/**
 * The OpenTelemetry log record of one finished line (sightline's JSON, already redacted):
 * `level` the severity, `message` the body, `timestamp` the time, `trace_id`/`span_id` the
 * record's trace context, every other member (`service`, `request_id`, `route`, `status`,
 * `latency_ms`, …) an attribute. Undefined for text that is not a JSON object.
 */
export function logRecordOfLine(text: string): LogRecord | undefined {
  const line: unknown = JSON.parse(text);
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return undefined;
  const members = line as Record<string, unknown>;
  const attributes: Attributes = {};
  for (const key in members) {
    if (!RECORD_MEMBERS.has(key)) attributes[key] = members[key];
  }
  const level = typeof members.level === 'string' ? members.level : undefined;
  const time = typeof members.timestamp === 'string' ? Date.parse(members.timestamp) : Number.NaN;
  return {
    // A Date: a number this small could be read as time since the process started.
    timestamp: Number.isNaN(time) ? undefined : new Date(time),
    severityNumber: (level === undefined ? undefined : SEVERITY[level]) ?? SeverityNumber.UNSPECIFIED,
    severityText: level,
    body: typeof members.message === 'string' ? members.message : '',
    attributes,
    // Always a context of its own: the line may be written from another request's scope.
    context: traceContextOf(members.trace_id, members.span_id),
  };
}

/**
 * The ids as the record's trace context. The line carries no trace flags, so none are set:
 * the ids correlate the record with its trace whichever way that trace was sampled.
 */
function traceContextOf(traceId: unknown, spanId: unknown): Context {
  if (typeof traceId !== 'string' || typeof spanId !== 'string' || !isValidTraceId(traceId) || !isValidSpanId(spanId)) {
    return ROOT_CONTEXT;
  }
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.NONE, isRemote: true });
}
