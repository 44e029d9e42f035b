import type { Sample } from './measure';
import { BASELINE, type VariantName } from './variants';

export interface VariantSummary {
  readonly variant: VariantName;
  readonly rounds: number;
  readonly medianRequestsPerSecond: number;
  readonly ratioToBaseline: number;
  readonly minRoundRatio: number;
  readonly maxRoundRatio: number;
  readonly roundRatios: readonly number[];
  readonly medianLatencyP99Ms: number;
  readonly medianCpuMicrosPerRequest: number;
  readonly minServerCpuShare: number;
  readonly maxLoadCpuShare: number;
  readonly failures: number;
}

export interface Target {
  readonly variant: VariantName;
  readonly minRatio: number;
}

export interface TargetVerdict extends Target {
  readonly ratio: number | undefined;
  readonly pass: boolean | undefined;
  readonly margin: number | undefined;
  readonly roundsAtOrAbove: number;
  readonly rounds: number;
}

export const TARGETS: readonly Target[] = [
  { variant: 'sightline-rate1', minRatio: 0.78 },
  { variant: 'sightline-rate0.1', minRatio: 0.88 },
  { variant: 'sightline-disabled', minRatio: 0.97 },
];

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

export function failuresOf(sample: Sample): number {
  return sample.non2xx + sample.errors + sample.timeouts + sample.warmupFailures;
}

export function summarise(samples: readonly Sample[], variants: readonly VariantName[]): VariantSummary[] {
  const baselineMedian = median(samplesOf(samples, BASELINE).map((s) => s.requestsPerSecond));
  const baselineByRound = new Map(samplesOf(samples, BASELINE).map((s) => [s.round, s.requestsPerSecond]));
  return variants.map((variant) => {
    const own = samplesOf(samples, variant);
    const roundRatios = own.map((s) => s.requestsPerSecond / (baselineByRound.get(s.round) ?? Number.NaN));
    const medianRequestsPerSecond = median(own.map((s) => s.requestsPerSecond));
    return {
      variant,
      rounds: own.length,
      medianRequestsPerSecond,
      ratioToBaseline: medianRequestsPerSecond / baselineMedian,
      minRoundRatio: Math.min(...roundRatios),
      maxRoundRatio: Math.max(...roundRatios),
      roundRatios,
      medianLatencyP99Ms: median(own.map((s) => s.latencyP99Ms)),
      medianCpuMicrosPerRequest: median(own.map((s) => s.serverCpuMicrosPerRequest)),
      minServerCpuShare: Math.min(...own.map((s) => s.serverCpuShare)),
      maxLoadCpuShare: Math.max(...own.map((s) => s.loadCpuShare)),
      failures: own.reduce((sum, s) => sum + failuresOf(s), 0),
    };
  });
}

export function judgeTargets(summaries: readonly VariantSummary[]): TargetVerdict[] {
  return TARGETS.map((target) => {
    const summary = summaries.find((s) => s.variant === target.variant);
    if (summary === undefined) {
      return { ...target, ratio: undefined, pass: undefined, margin: undefined, roundsAtOrAbove: 0, rounds: 0 };
    }
    const ratio = summary.ratioToBaseline;
    return {
      ...target,
      ratio,
      pass: ratio >= target.minRatio,
      margin: ratio - target.minRatio,
      roundsAtOrAbove: summary.roundRatios.filter((r) => r >= target.minRatio).length,
      rounds: summary.rounds,
    };
  });
}

function samplesOf(samples: readonly Sample[], variant: VariantName): Sample[] {
  return samples.filter((s) => s.variant === variant);
}
