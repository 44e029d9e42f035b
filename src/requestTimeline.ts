/** How much of recent requests' log lines the timeline keeps (`GET /ops/requests/:request_id`). */
export interface RequestTimelineOptions {
  /** Requests kept; the oldest goes first. Default 500. */
  readonly requests?: number;
  /** Lines kept per request; later ones are counted, not kept. Default 200. */
  readonly linesPerRequest?: number;
  /** Bytes of lines kept in all, the oldest lines going first. Default 2 MiB. */
  readonly maxBytes?: number;
}

/** One log line of a request as written (its JSON fields), with its time since the request's first line. */
export interface TimelineEntry extends Record<string, unknown> {
  /** Milliseconds since the request's first line. */
  readonly elapsed_ms: number;
}

/** A recent request's log lines, as `GET /ops/requests/:request_id` answers them. */
export interface RequestTimelineView {
  /** The request's id, as asked for. */
  readonly request_id: string;
  /** Its lines in the order written, at most `linesPerRequest`. */
  readonly lines: readonly TimelineEntry[];
  /** Lines written for the request beyond `linesPerRequest`. */
  readonly lines_dropped: number;
}

/** The log lines of recent requests, kept in one fixed-size buffer. */
export interface RequestTimeline {
  /** Called by the log format with each line written for a request. */
  record(requestId: string, line: string): void;
  /** The lines of a recent request, parsed, in the order written. */
  get(requestId: string): RequestTimelineView | undefined;
  /** How many requests it holds lines of now. */
  readonly size: number;
}

const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
/** Record header: u32 record length, u16 id length. */
const HEADER_BYTES = 6;
/** Records are log lines: the index holds one slot per this many bytes of buffer. */
const BYTES_PER_INDEX_SLOT = 64;

/**
 * The log lines of recent requests, for `GET /ops/requests/:request_id`. Lines are copied
 * as written into one fixed buffer, a ring: recording parses nothing and keeps no JS
 * object alive, so the garbage collector never has to move a retained line (that cost
 * more than recording itself). Reading scans the ring; it is an operator's occasional
 * call. Lines sampled out of the log are not here either.
 */
export function createRequestTimeline(options: RequestTimelineOptions = {}): RequestTimeline {
  const { requests = 500, linesPerRequest = 200, maxBytes = DEFAULT_MAX_BYTES } = options;
  for (const [name, value] of Object.entries({ requests, linesPerRequest, maxBytes })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`requestTimeline: ${name} must be a positive integer, got ${String(value)}`);
    }
  }
  const ring = new LineRing(maxBytes);

  function latest(byRequest: Map<string, number[]>): string[] {
    return [...byRequest.keys()].slice(-requests);
  }

  return {
    record: (requestId, line) => ring.record(requestId, line),
    get(requestId) {
      const byRequest = ring.scan();
      if (!latest(byRequest).includes(requestId)) return undefined;
      const slotsOfRequest = byRequest.get(requestId) ?? [];
      const parsed = slotsOfRequest.slice(0, linesPerRequest).map((slot) => JSON.parse(ring.lineOf(slot)) as Record<string, unknown>);
      const start = Date.parse(String(parsed[0]?.timestamp));
      const lines = parsed.map((line) => ({ elapsed_ms: Date.parse(String(line.timestamp)) - start, ...line }));
      return { request_id: requestId, lines, lines_dropped: Math.max(0, slotsOfRequest.length - linesPerRequest) };
    },
    get size() {
      return latest(ring.scan()).length;
    },
  };
}

/**
 * Records of (request id, line) in one fixed buffer, oldest first: a record is a header
 * (u32 record length, u16 id length), the id and the line, in UTF-8. A new record drops
 * those it is written over, and the oldest when the index is full.
 */
class LineRing {
  private readonly ring: Buffer;
  private readonly slots: number;
  // A queue of records, oldest first: their offsets and lengths in the ring.
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;
  private head = 0;
  private count = 0;
  private writeAt = 0;

  constructor(maxBytes: number) {
    this.ring = Buffer.allocUnsafe(Math.max(maxBytes, 1024));
    this.slots = Math.max(16, Math.floor(this.ring.length / BYTES_PER_INDEX_SLOT));
    this.offsets = new Int32Array(this.slots);
    this.lengths = new Int32Array(this.slots);
  }

  record(requestId: string, line: string): void {
    const { ring, offsets } = this;
    const idBytes = Buffer.byteLength(requestId);
    if (idBytes > 0xffff) return;
    // UTF-8 needs at most 3 bytes per UTF-16 unit: room for that is made first, so the line
    // is encoded once, straight into the ring (an exact length would take a pass of its own).
    let room = HEADER_BYTES + idBytes + line.length * 3;
    if (room > ring.length) {
      room = HEADER_BYTES + idBytes + Buffer.byteLength(line);
      if (room > ring.length) return;
    }
    if (this.writeAt + room > ring.length) {
      // Wrap: the records left at the end of the ring are the oldest; they go first.
      while (this.count > 0 && (offsets[this.head] as number) >= this.writeAt) this.dropOldest();
      this.writeAt = 0;
    }
    const writeAt = this.writeAt;
    const lineAt = writeAt + HEADER_BYTES + idBytes;
    const length = HEADER_BYTES + idBytes + ring.write(line, lineAt, room - HEADER_BYTES - idBytes);
    // Records the line was written over are dropped before anything reads the ring.
    while (this.count > 0) {
      const offset = offsets[this.head] as number;
      if (offset < writeAt || offset >= writeAt + length) break;
      this.dropOldest();
    }
    if (this.count === this.slots) this.dropOldest();
    ring.writeUInt32LE(length, writeAt);
    ring.writeUInt16LE(idBytes, writeAt + 4);
    ring.write(requestId, writeAt + HEADER_BYTES, idBytes);
    const tail = (this.head + this.count) % this.slots;
    offsets[tail] = writeAt;
    this.lengths[tail] = length;
    this.count += 1;
    this.writeAt = writeAt + length;
  }

  /** Request ids in the order of their first kept line, with the records (slots) of each. */
  scan(): Map<string, number[]> {
    const byRequest = new Map<string, number[]>();
    for (let index = 0; index < this.count; index += 1) {
      const slot = (this.head + index) % this.slots;
      const offset = this.offsets[slot] as number;
      const idBytes = this.ring.readUInt16LE(offset + 4);
      const id = this.ring.toString('utf8', offset + HEADER_BYTES, offset + HEADER_BYTES + idBytes);
      let records = byRequest.get(id);
      if (records === undefined) {
        records = [];
        byRequest.set(id, records);
      }
      records.push(slot);
    }
    return byRequest;
  }

  lineOf(slot: number): string {
    const offset = this.offsets[slot] as number;
    const idBytes = this.ring.readUInt16LE(offset + 4);
    return this.ring.toString('utf8', offset + HEADER_BYTES + idBytes, offset + (this.lengths[slot] as number));
  }

  private dropOldest(): void {
    this.head = (this.head + 1) % this.slots;
    this.count -= 1;
  }
}
