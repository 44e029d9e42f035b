import { classifyLine, ms, type RowKind, type ServiceFacts } from './classifyLine';
import type { LogFields, LogRecord, LogSource } from './readLogLines';
import { selectRequestLines, type RequestLines } from './selectRequestLines';

export interface TimelineOptions {
  /** A silence between two lines longer than this gets a `gap` row. Default 2000 (the streaming contract). */
  readonly gapMs?: number;
}

export interface TimelineRow {
  /** Milliseconds since the first line; undefined for a line without a readable timestamp. */
  readonly offsetMs: number | undefined;
  readonly timestamp: string | undefined;
  /** `service` of the line; empty for a `gap` row. */
  readonly service: string;
  readonly kind: RowKind;
  readonly label: string;
  readonly message: string;
  readonly detail: string;
  readonly level: string | undefined;
  /** The line as logged, and where it was read; undefined for a `gap` row. */
  readonly line: { readonly fields: LogFields; readonly source: string; readonly lineNumber: number } | undefined;
}

export interface Timeline {
  readonly id: string;
  readonly requestIds: readonly string[];
  readonly traceIds: readonly string[];
  /** In order of first appearance. */
  readonly services: readonly string[];
  readonly startedAt: string | undefined;
  /** From the first line to the last. */
  readonly durationMs: number | undefined;
  readonly gapMs: number;
  readonly rows: readonly TimelineRow[];
  /** Lines of the request listed last, for want of a timestamp. */
  readonly untimed: number;
  readonly notJson: RequestLines['notJson'];
}

export interface TimelineResult {
  /** Undefined when no line names the id. */
  readonly timeline: Timeline | undefined;
  /** JSON lines read in all. */
  readonly jsonLines: number;
  readonly notJson: RequestLines['notJson'];
}

export const DEFAULT_GAP_MS = 2000;

/** Reads the sources and builds the timeline of `id` (a request id or a trace id). */
export async function timelineFromLogs(sources: readonly LogSource[], id: string, options: TimelineOptions = {}): Promise<TimelineResult> {
  const gapMs = resolveGapMs(options.gapMs);
  const selection = await selectRequestLines(sources, id);
  return {
    timeline: selection.records.length === 0 ? undefined : buildTimeline(id, selection, gapMs),
    jsonLines: selection.jsonLines,
    notJson: selection.notJson,
  };
}

export function resolveGapMs(gapMs: number | undefined): number {
  if (gapMs === undefined) return DEFAULT_GAP_MS;
  if (!Number.isFinite(gapMs) || gapMs < 0) throw new RangeError(`timeline: gapMs must be a number of milliseconds >= 0, got ${String(gapMs)}`);
  return gapMs;
}

interface Timed {
  readonly record: LogRecord;
  readonly time: number | undefined;
}

/**
 * Orders the lines by `timestamp` (stable: lines with the same millisecond keep the order
 * they were read in), names each, and adds a `gap` row wherever no line was written for
 * longer than `gapMs`.
 */
export function buildTimeline(id: string, selection: RequestLines, gapMs: number = DEFAULT_GAP_MS): Timeline {
  const timed: Timed[] = selection.records.map((record) => ({ record, time: timeOf(record.fields.timestamp) }));
  const dated = timed.filter((entry): entry is Timed & { time: number } => entry.time !== undefined).sort((a, b) => a.time - b.time);
  const undated = timed.filter((entry) => entry.time === undefined);
  const start = dated[0]?.time;
  const facts = factsByService(dated);

  const rows: TimelineRow[] = [];
  let previous: number | undefined;
  for (const { record, time } of dated) {
    if (previous !== undefined && start !== undefined && time - previous > gapMs) rows.push(gapRow(previous - start, time - previous, gapMs));
    previous = time;
    rows.push(lineRow(record, start === undefined ? undefined : time - start, facts.get(serviceOf(record.fields)), time));
  }
  for (const { record } of undated) rows.push(lineRow(record, undefined, facts.get(serviceOf(record.fields)), undefined));

  const services: string[] = [];
  for (const row of rows) if (row.line !== undefined && !services.includes(row.service)) services.push(row.service);
  const last = dated.at(-1)?.time;
  return {
    id,
    requestIds: selection.requestIds,
    traceIds: selection.traceIds,
    services,
    startedAt: start === undefined ? undefined : new Date(start).toISOString(),
    durationMs: start === undefined || last === undefined ? undefined : last - start,
    gapMs,
    rows,
    untimed: undated.length,
    notJson: selection.notJson,
  };
}

function lineRow(record: LogRecord, offsetMs: number | undefined, facts: ServiceFacts | undefined, time: number | undefined): TimelineRow {
  const { fields } = record;
  const { kind, label, detail } = classifyLine(fields, facts, time);
  return {
    offsetMs,
    timestamp: typeof fields.timestamp === 'string' ? fields.timestamp : undefined,
    service: serviceOf(fields),
    kind,
    label,
    message: typeof fields.message === 'string' ? fields.message : '',
    detail,
    level: typeof fields.level === 'string' ? fields.level : undefined,
    line: { fields, source: record.source, lineNumber: record.lineNumber },
  };
}

function gapRow(offsetMs: number, gap: number, gapMs: number): TimelineRow {
  return {
    offsetMs,
    timestamp: undefined,
    service: '',
    kind: 'gap',
    label: `gap (${ms(gap)})`,
    message: `no line for ${gap} ms`,
    detail: `over ${gapMs} ms`,
    level: undefined,
    line: undefined,
  };
}

/** Per service: its access log's TTFT and arrival, for the `first token` row. */
function factsByService(dated: readonly (Timed & { time: number })[]): Map<string, ServiceFacts> {
  const facts = new Map<string, { ttftMs?: number; arrivedAt?: number }>();
  for (const { record, time } of dated) {
    const { fields } = record;
    const service = serviceOf(fields);
    const entry = facts.get(service) ?? {};
    facts.set(service, entry);
    if (fields.message === 'request started' && entry.arrivedAt === undefined) entry.arrivedAt = time;
    if (fields.message === 'request completed' && typeof fields.ttft_ms === 'number') entry.ttftMs = fields.ttft_ms;
  }
  return facts;
}

function serviceOf(fields: LogFields): string {
  return typeof fields.service === 'string' && fields.service !== '' ? fields.service : '?';
}

function timeOf(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string') return undefined;
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? undefined : time;
}
