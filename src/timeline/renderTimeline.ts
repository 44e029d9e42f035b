import type { Timeline, TimelineRow } from './timelineFromLogs';

/** Labels longer than this are not padded to: one long label must not push every message right. */
const MAX_LABEL_WIDTH = 44;

/**
 * One header line, then one row per line of the timeline:
 *
 * ```
 *     +37 ms  gateway          first token (ttft 37.8 ms)                upstream ttft 27.7 ms
 * ```
 *
 * offset from the first line, service, label, then the line's message and what it adds.
 */
export function renderTimelineText(timeline: Timeline): string {
  const offsets = timeline.rows.map((row) => offsetText(row.offsetMs));
  const offsetWidth = Math.max(...offsets.map((text) => text.length));
  const serviceWidth = Math.max(...timeline.rows.map((row) => row.service.length), 1);
  const labelWidth = Math.min(MAX_LABEL_WIDTH, Math.max(...timeline.rows.map((row) => row.label.length)));
  const lines = [header(timeline)];
  timeline.rows.forEach((row, index) => {
    const message = row.detail === '' ? row.message : `${row.message}: ${row.detail}`;
    lines.push(`${(offsets[index] ?? '').padStart(offsetWidth)}  ${(row.service || '-').padEnd(serviceWidth)}  ${row.label.padEnd(labelWidth)}  ${message}`.trimEnd());
  });
  return `${lines.join('\n')}\n`;
}

/** The timeline as one JSON document, rows with the lines as logged. */
export function renderTimelineJson(timeline: Timeline): string {
  return `${JSON.stringify(
    {
      id: timeline.id,
      request_ids: timeline.requestIds,
      trace_ids: timeline.traceIds,
      services: timeline.services,
      started_at: timeline.startedAt ?? null,
      duration_ms: timeline.durationMs ?? null,
      gap_ms: timeline.gapMs,
      lines_not_json: timeline.notJson.count,
      rows: timeline.rows.map(jsonRow),
    },
    null,
    2,
  )}\n`;
}

function jsonRow(row: TimelineRow): Record<string, unknown> {
  return {
    offset_ms: row.offsetMs ?? null,
    timestamp: row.timestamp ?? null,
    service: row.service,
    kind: row.kind,
    label: row.label,
    message: row.message,
    detail: row.detail,
    level: row.level ?? null,
    source: row.line?.source ?? null,
    line_number: row.line?.lineNumber ?? null,
    fields: row.line?.fields ?? null,
  };
}

function header(timeline: Timeline): string {
  const lineCount = timeline.rows.filter((row) => row.line !== undefined).length;
  const parts = [
    `timeline of ${timeline.id}`,
    idsOtherThan('request', timeline.requestIds, timeline.id),
    idsOtherThan('trace', timeline.traceIds, timeline.id),
    `${lineCount} ${lineCount === 1 ? 'line' : 'lines'} from ${timeline.services.join(', ')}`,
    timeline.startedAt === undefined ? '' : `started ${timeline.startedAt}`,
    timeline.durationMs === undefined ? '' : `lasted ${timeline.durationMs} ms`,
    timeline.untimed === 0 ? '' : `${timeline.untimed} without a timestamp, listed last`,
  ];
  return parts.filter((part) => part !== '').join(' · ');
}

/** `trace 4bf9…`, leaving out the id the timeline was asked for. */
function idsOtherThan(name: string, ids: readonly string[], id: string): string {
  const others = ids.filter((other) => other !== id);
  return others.length === 0 ? '' : `${name} ${others.join(', ')}`;
}

function offsetText(offsetMs: number | undefined): string {
  return offsetMs === undefined ? '?' : `+${offsetMs} ms`;
}
