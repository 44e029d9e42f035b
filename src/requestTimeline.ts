export interface RequestTimelineOptions {
  /** Requests kept; the oldest goes first. Default 500. */
  readonly requests?: number;
  /** Lines kept per request; later ones are counted, not kept. Default 200. */
  readonly linesPerRequest?: number;
}

export interface TimelineEntry extends Record<string, unknown> {
  /** Milliseconds since the request's first line. */
  readonly elapsed_ms: number;
}

export interface RequestTimelineView {
  readonly request_id: string;
  readonly lines: readonly TimelineEntry[];
  /** Lines written for the request beyond `linesPerRequest`. */
  readonly lines_dropped: number;
}

export interface RequestTimeline {
  /** Called by the log format with each line written for a request. */
  record(requestId: string, line: string): void;
  /** The lines of a recent request, parsed, in the order written. */
  get(requestId: string): RequestTimelineView | undefined;
  readonly size: number;
}

interface Entry {
  readonly lines: string[];
  dropped: number;
}

/**
 * The log lines of recent requests, kept as written so that recording costs no parsing:
 * what an operator reads with `GET /ops/requests/:request_id`. Lines sampled out of the
 * log are not here either.
 */
export function createRequestTimeline(options: RequestTimelineOptions = {}): RequestTimeline {
  const { requests = 500, linesPerRequest = 200 } = options;
  for (const [name, value] of Object.entries({ requests, linesPerRequest })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`requestTimeline: ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  const entries = new Map<string, Entry>();

  return {
    record(requestId, line) {
      let entry = entries.get(requestId);
      if (entry === undefined) {
        if (entries.size >= requests) {
          const oldest = entries.keys().next().value;
          if (oldest !== undefined) entries.delete(oldest);
        }
        entry = { lines: [], dropped: 0 };
        entries.set(requestId, entry);
      }
      if (entry.lines.length < linesPerRequest) entry.lines.push(line);
      else entry.dropped += 1;
    },
    get(requestId) {
      const entry = entries.get(requestId);
      if (entry === undefined) return undefined;
      const parsed = entry.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const start = Date.parse(String(parsed[0]?.timestamp));
      const lines = parsed.map((line) => ({ elapsed_ms: Date.parse(String(line.timestamp)) - start, ...line }));
      return { request_id: requestId, lines, lines_dropped: entry.dropped };
    },
    get size() {
      return entries.size;
    },
  };
}
