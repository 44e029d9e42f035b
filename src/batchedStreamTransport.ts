import TransportStream from 'winston-transport';
import { isUrgentLevel, LEVEL, MESSAGE } from './logLevels';

/** Options of `BatchedStreamTransport`, with winston's own transport options (`level`, `format`, …). */
export interface BatchedStreamTransportOptions extends TransportStream.TransportStreamOptions {
  /** Where the lines go (`process.stdout`, a file stream); its `error` events go to `onError`. */
  readonly stream: NodeJS.WritableStream;
  /** Lines held before a write is forced within the same tick. Default 1000. */
  readonly maxBufferedLines?: number;
  /** How long a line may wait for others to share its write. Default 10 ms. */
  readonly flushDelayMs?: number;
  /** Called for every failed write; the transport itself never throws. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Writes formatted lines in one `write` every few milliseconds instead of one per line.
 * The wait is a timer rather than `setImmediate`: a pending immediate keeps the event loop
 * from blocking in poll, so under load it turns more often with fewer sockets each.
 * `error` and `fatal` lines go out at once (with whatever is buffered before them, in
 * order), and anything still buffered is written if the process exits. A message that is
 * not yet text (see logFormat's `transformLater`) becomes text when its batch is written.
 */
export class BatchedStreamTransport extends TransportStream {
  private readonly stream: NodeJS.WritableStream;
  private readonly maxBufferedLines: number;
  private readonly flushDelayMs: number;
  private readonly onError: (error: unknown) => void;
  /** Each line's message: its text, or an object that makes the text when the batch is written. */
  private pending: unknown[] = [];
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(options: BatchedStreamTransportOptions) {
    super(options);
    const { stream, maxBufferedLines = 1000, flushDelayMs = 10, onError = () => undefined } = options;
    if (!(Number.isFinite(flushDelayMs) && flushDelayMs >= 0)) {
      throw new TypeError(`BatchedStreamTransport: flushDelayMs must be a non-negative number, got ${flushDelayMs}`);
    }
    this.flushDelayMs = flushDelayMs;
    if (!Number.isInteger(maxBufferedLines) || maxBufferedLines < 1) {
      throw new TypeError(`BatchedStreamTransport: maxBufferedLines must be a positive integer, got ${maxBufferedLines}`);
    }
    this.stream = stream;
    this.maxBufferedLines = maxBufferedLines;
    this.onError = onError;
    stream.on('error', this.onError);
  }

  /**
   * Called by winston with each line: buffers it, or writes at once for `error` and `fatal`
   * or when `maxBufferedLines` are held.
   */
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.pending.push(info[MESSAGE]);
    if (isUrgentLevel(String(info[LEVEL])) || this.pending.length >= this.maxBufferedLines) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      // Not unref()'d: a destination that writes asynchronously gets its lines before exit.
      setTimeout(this.flushSoon, this.flushDelayMs);
      flushBeforeExit.add(this);
    }
    next();
  }

  /** Writes everything buffered now. Safe to call at any time, including from an exit handler. */
  flush(): void {
    flushBeforeExit.delete(this);
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    let chunk = '';
    for (const line of lines) {
      try {
        chunk += `${String(line)}\n`;
      } catch (error) {
        // A message that cannot become text is one lost line, not a lost batch.
        this.onError(error);
      }
    }
    try {
      this.stream.write(chunk);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Called by winston when the transport is removed or the logger closed: writes what is buffered, then stops listening to the stream's errors (the stream is left open). */
  override close(): void {
    this.flush();
    this.stream.removeListener('error', this.onError);
  }
}

/**
 * Transports holding lines for the next tick. One `exit` listener serves them all and is
 * installed only while something is pending, so an idle process carries no handler of ours.
 */
const flushBeforeExit = new (class PendingFlushes {
  private readonly transports = new Set<BatchedStreamTransport>();
  private readonly onExit = (): void => {
    for (const transport of [...this.transports]) transport.flush();
  };

  add(transport: BatchedStreamTransport): void {
    if (this.transports.size === 0) process.once('exit', this.onExit);
    this.transports.add(transport);
  }

  delete(transport: BatchedStreamTransport): void {
    if (this.transports.delete(transport) && this.transports.size === 0) {
      process.removeListener('exit', this.onExit);
    }
  }
})();
