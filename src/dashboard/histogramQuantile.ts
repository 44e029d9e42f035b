/** Cumulative bucket counts of a histogram, by upper bound (`+Inf` last). */
export interface BucketCounts {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

/**
 * The `q` quantile of the observations between two readings of a cumulative histogram,
 * interpolated within its bucket the way PromQL's `histogram_quantile` does. Undefined when
 * nothing was observed in between; the highest finite bound when it falls in `+Inf`.
 */
export function quantileBetween(before: BucketCounts | undefined, after: BucketCounts, q: number): number | undefined {
  const { bounds, counts } = after;
  const delta = counts.map((count, i) => count - (before?.counts[i] ?? 0));
  const total = delta[delta.length - 1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = delta[i] ?? 0;
    if (cumulative < rank) continue;
    const upper = bounds[i] as number;
    if (upper === Infinity) return bounds[i - 1] ?? undefined;
    const lower = i === 0 ? 0 : (bounds[i - 1] as number);
    const below = i === 0 ? 0 : (delta[i - 1] ?? 0);
    const inBucket = cumulative - below;
    return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return undefined;
}
