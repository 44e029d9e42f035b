import type { Sample } from './measure';
import { median, roundSums, type VariantSummary } from './summary';
import { beforeOf, isSightlineVariant, type VariantName } from './variants';

/** One sightline variant on this checkout and on the earlier build, measured in the same rounds. */
export interface BuildComparison {
  readonly variant: VariantName;
  readonly ratioBefore: number;
  readonly ratioAfter: number;
  readonly cpuBefore: number;
  readonly cpuAfter: number;
  /** Median over rounds of (after − before) server CPU µs/req within the round, and its range. */
  readonly cpuChange: number;
  readonly minRoundCpuChange: number;
  readonly maxRoundCpuChange: number;
}

export function compareBuilds(summaries: readonly VariantSummary[], samples: readonly Sample[]): BuildComparison[] {
  const byName = new Map(summaries.map((s) => [s.variant, s]));
  return summaries.flatMap((after) => {
    if (!isSightlineVariant(after.variant)) return [];
    const before = byName.get(beforeOf(after.variant));
    if (before === undefined) return [];
    const changes = roundSums([[1, after.variant], [-1, before.variant]], samples);
    return [
      {
        variant: after.variant,
        ratioBefore: before.ratioToBaseline,
        ratioAfter: after.ratioToBaseline,
        cpuBefore: before.medianCpuMicrosPerRequest,
        cpuAfter: after.medianCpuMicrosPerRequest,
        cpuChange: median(changes),
        minRoundCpuChange: Math.min(...changes),
        maxRoundCpuChange: Math.max(...changes),
      },
    ];
  });
}
