/** The queue's bounds, and what to do with an entry that waited too long (already removed). */
export interface AdmissionQueueOptions<Entry> {
  /** Entries waiting at most; `offer` refuses one more. */
  readonly max: number;
  readonly timeoutMs: number;
  readonly onTimeout: (entry: Entry) => void;
  /** Told the queue's length after every change. */
  readonly onLengthChange: (length: number) => void;
}

/**
 * A bounded FIFO of calls waiting for a slot, each with its own deadline. Whatever leaves the
 * queue (taken, removed, timed out, drained) leaves with its timer cleared.
 */
export class AdmissionQueue<Entry> {
  readonly #options: AdmissionQueueOptions<Entry>;
  /** A Map keeps insertion order: its first key is the longest waiting. */
  readonly #deadlines = new Map<Entry, NodeJS.Timeout>();

  constructor(options: AdmissionQueueOptions<Entry>) {
    this.#options = options;
  }

  get length(): number {
    return this.#deadlines.size;
  }

  get full(): boolean {
    return this.#deadlines.size >= this.#options.max;
  }

  /** Queues `entry` behind the others; false (and nothing queued) when the queue is full. */
  offer(entry: Entry): boolean {
    if (this.full) return false;
    const deadline = setTimeout(() => {
      this.remove(entry);
      this.#options.onTimeout(entry);
    }, this.#options.timeoutMs);
    deadline.unref();
    this.#deadlines.set(entry, deadline);
    this.#options.onLengthChange(this.#deadlines.size);
    return true;
  }

  /** Takes the longest-waiting entry out, if any. */
  takeNext(): Entry | undefined {
    const next = this.#deadlines.keys().next();
    if (next.done === true) return undefined;
    this.remove(next.value);
    return next.value;
  }

  /** Takes `entry` out wherever it is; false when it was not queued. */
  remove(entry: Entry): boolean {
    const deadline = this.#deadlines.get(entry);
    if (deadline === undefined) return false;
    clearTimeout(deadline);
    this.#deadlines.delete(entry);
    this.#options.onLengthChange(this.#deadlines.size);
    return true;
  }

  /** Takes every entry out, longest waiting first. */
  drain(): Entry[] {
    const entries = [...this.#deadlines.keys()];
    for (const deadline of this.#deadlines.values()) clearTimeout(deadline);
    this.#deadlines.clear();
    this.#options.onLengthChange(0);
    return entries;
  }
}
