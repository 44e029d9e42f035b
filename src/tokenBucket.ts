/** A rate limit: holds up to a second's worth of tokens and refills continuously. */
export interface TokenBucket {
  /** Takes one token if there is one; false when the limit is reached. */
  take(): boolean;
}

/**
 * A bucket of `perSecond` tokens a second, full at the start, holding at most
 * `max(1, perSecond)`: a second's events may come at once. `now` is in milliseconds.
 */
export function createTokenBucket(perSecond: number, now: () => number): TokenBucket {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let updatedAt = now();
  return {
    take() {
      const time = now();
      const elapsed = Math.max(0, time - updatedAt);
      tokens = Math.min(capacity, tokens + (elapsed * perSecond) / 1000);
      updatedAt = time;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
