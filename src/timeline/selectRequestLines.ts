import { readLogLines, type LogRecord, type LogSource, type NotJsonLine } from './readLogLines';

export interface RequestLines {
  /** The lines of the request, in the order read (not sorted yet). */
  readonly records: readonly LogRecord[];
  /** Trace ids carried by the lines that name the id. */
  readonly traceIds: readonly string[];
  /** Request ids carried by the selected lines (a competitor may log its own). */
  readonly requestIds: readonly string[];
  /** JSON lines read, the request's and every other's. */
  readonly jsonLines: number;
  /** Lines that were not JSON objects: how many, and the first one. */
  readonly notJson: { readonly count: number; readonly first: NotJsonLine | undefined };
}

/**
 * The log lines of one request, across services. A line belongs to it when its
 * `request_id` or its `trace_id` is `id`; then the lines that share a trace id with those
 * lines are added, which brings in services that log the trace but another request id,
 * or none (the sandbox child).
 *
 * Two passes over the sources keep memory to the request's own lines: the first parses
 * every line (counting those that are not JSON) and finds the trace ids, the second parses
 * only lines whose text contains one of them.
 */
export async function selectRequestLines(sources: readonly LogSource[], id: string): Promise<RequestLines> {
  const selected = new Map<string, LogRecord>();
  const traceIds = new Set<string>();
  let notJsonCount = 0;
  let jsonLines = 0;
  let firstNotJson: NotJsonLine | undefined;

  for await (const item of readLogLines(sources)) {
    if (item.type === 'not_json') {
      notJsonCount += 1;
      firstNotJson ??= { source: item.source, lineNumber: item.lineNumber };
      continue;
    }
    jsonLines += 1;
    const { fields } = item.record;
    if (fields.request_id !== id && fields.trace_id !== id) continue;
    selected.set(keyOf(item.record), item.record);
    if (typeof fields.trace_id === 'string' && fields.trace_id !== '') traceIds.add(fields.trace_id);
  }

  const others = [...traceIds].filter((traceId) => traceId !== id);
  if (others.length > 0) {
    const keep = (raw: string): boolean => others.some((traceId) => raw.includes(traceId));
    for await (const item of readLogLines(sources, { keep })) {
      if (item.type !== 'json') continue;
      const traceId = item.record.fields.trace_id;
      if (typeof traceId === 'string' && traceIds.has(traceId)) selected.set(keyOf(item.record), item.record);
    }
  }

  const records = [...selected.values()].sort((a, b) => a.sourceIndex - b.sourceIndex || a.lineNumber - b.lineNumber);
  const requestIds = new Set<string>();
  for (const { fields } of records) if (typeof fields.request_id === 'string') requestIds.add(fields.request_id);
  return {
    records,
    traceIds: [...traceIds],
    requestIds: [...requestIds],
    jsonLines,
    notJson: { count: notJsonCount, first: firstNotJson },
  };
}

function keyOf(record: LogRecord): string {
  return `${record.sourceIndex}:${record.lineNumber}`;
}
