/** One failed request as the dashboard lists it. */
export interface RecentError {
  /** ISO 8601. */
  readonly time: string;
  readonly request_id: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly message: string;
}

export interface RecentErrors {
  record(error: RecentError): void;
  /** Newest first. */
  list(limit?: number): RecentError[];
}

/** The last failed requests in a fixed ring buffer. */
export function createRecentErrors(capacity = 50): RecentErrors {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new TypeError(`recentErrors: capacity must be a positive integer, got ${String(capacity)}`);
  }
  const slots: (RecentError | undefined)[] = new Array<RecentError | undefined>(capacity).fill(undefined);
  let next = 0;
  let size = 0;
  return {
    record(error) {
      slots[next] = error;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    list(limit = capacity) {
      const listed: RecentError[] = [];
      for (let i = 1; i <= Math.min(size, limit); i++) {
        const slot = slots[(next - i + capacity) % capacity];
        if (slot !== undefined) listed.push(slot);
      }
      return listed;
    },
  };
}
