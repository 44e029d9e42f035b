export interface RingBuffer<T> {
  readonly capacity: number;
  /** Adds an item, forgetting the oldest when full. */
  push(item: T): void;
  /** At most `limit` items that pass `keep`, newest first. */
  newest(limit: number, keep?: (item: T) => boolean): T[];
}

/** A fixed-size buffer of the last items pushed. `owner` names the caller in a bad-capacity error. */
export function createRingBuffer<T>(capacity: number, owner: string): RingBuffer<T> {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new TypeError(`${owner}: capacity must be a positive integer, got ${String(capacity)}`);
  }
  const slots = new Array<T | undefined>(capacity).fill(undefined);
  let next = 0;
  let size = 0;
  return {
    capacity,
    push(item) {
      slots[next] = item;
      next = (next + 1) % capacity;
      if (size < capacity) size += 1;
    },
    newest(limit, keep) {
      const found: T[] = [];
      for (let age = 1; age <= size && found.length < limit; age += 1) {
        const item = slots[(next - age + capacity) % capacity] as T;
        if (keep === undefined || keep(item)) found.push(item);
      }
      return found;
    },
  };
}
