import { createRingBuffer } from '../ringBuffer';

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
  const ring = createRingBuffer<RecentError>(capacity, 'recentErrors');
  return {
    record: (error) => ring.push(error),
    list: (limit = capacity) => ring.newest(limit),
  };
}
