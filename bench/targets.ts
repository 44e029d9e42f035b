import type { Sample } from './measure';
import { formulaOf, roundSums, signedSum, type Term, type VariantSummary } from './summary';
import type { VariantName } from './variants';

/** A variant's req/s at least `minRatio` of bare's, same run. */
export interface RatioTarget {
  readonly kind: 'ratio';
  readonly variant: VariantName;
  readonly minRatio: number;
}

/** A difference of variants' median server CPU per request at most `maxMicros`, same run. */
export interface CostTarget {
  readonly kind: 'cost';
  readonly label: string;
  readonly terms: readonly Term[];
  readonly maxMicros: number;
}

export type Target = RatioTarget | CostTarget;

export interface TargetVerdict {
  readonly target: Target;
  /** The ratio or the µs difference of the medians; `undefined` when a variant was not measured. */
  readonly value: number | undefined;
  readonly pass: boolean | undefined;
  /** How far inside the target (positive) or outside it (negative), in the target's unit. */
  readonly margin: number | undefined;
  /** Rounds whose own value meets the target. */
  readonly roundsMeeting: number;
  readonly rounds: number;
}

/** The request pipeline's targets on the pinned runtime. */
export const TARGETS: readonly Target[] = [
  {
    kind: 'cost',
    label: 'full suite, tracing off, rate 1',
    terms: [[1, 'sightline-rate1'], [-1, 'bare']],
    maxMicros: 20,
  },
  {
    kind: 'cost',
    label: 'full suite, tracing off, rate 0.1',
    terms: [[1, 'sightline-rate0.1'], [-1, 'bare']],
    maxMicros: 14,
  },
  {
    kind: 'cost',
    label: 'tracing on, every request sampled, on top of OpenTelemetry alone',
    terms: [[1, 'sightline-tracing'], [-1, 'opentelemetry']],
    maxMicros: 25,
  },
  { kind: 'ratio', variant: 'sightline-disabled', minRatio: 0.97 },
];

export function judgeTargets(summaries: readonly VariantSummary[], samples: readonly Sample[]): TargetVerdict[] {
  return TARGETS.map((target) => (target.kind === 'ratio' ? judgeRatio(target, summaries) : judgeCost(target, summaries, samples)));
}

function judgeRatio(target: RatioTarget, summaries: readonly VariantSummary[]): TargetVerdict {
  const summary = summaries.find((s) => s.variant === target.variant);
  if (summary === undefined) return notMeasured(target);
  const value = summary.ratioToBaseline;
  return {
    target,
    value,
    pass: value >= target.minRatio,
    margin: value - target.minRatio,
    roundsMeeting: summary.roundRatios.filter((r) => r >= target.minRatio).length,
    rounds: summary.rounds,
  };
}

function judgeCost(target: CostTarget, summaries: readonly VariantSummary[], samples: readonly Sample[]): TargetVerdict {
  const medians = new Map(summaries.map((s) => [s.variant, s.medianCpuMicrosPerRequest]));
  if (!target.terms.every(([, variant]) => medians.has(variant))) return notMeasured(target);
  const value = signedSum(target.terms, (variant) => medians.get(variant) ?? Number.NaN);
  const byRound = roundSums(target.terms, samples);
  return {
    target,
    value,
    pass: value <= target.maxMicros,
    margin: target.maxMicros - value,
    roundsMeeting: byRound.filter((micros) => micros <= target.maxMicros).length,
    rounds: byRound.length,
  };
}

function notMeasured(target: Target): TargetVerdict {
  return { target, value: undefined, pass: undefined, margin: undefined, roundsMeeting: 0, rounds: 0 };
}

/** `sightline-rate1 − bare ≤ 20 µs/req` or `sightline-disabled ≥ 0.97 of bare`, with `wrap` around variant names. */
export function targetText(target: Target, wrap: (variant: string) => string = (v) => v): string {
  if (target.kind === 'ratio') return `${wrap(target.variant)} ≥ ${target.minRatio} of bare (req/s)`;
  return `${target.label}: ${formulaOf(target, wrap)} ≤ ${target.maxMicros} µs/req`;
}

export function verdictText(v: TargetVerdict): string {
  if (v.pass === undefined || v.value === undefined || v.margin === undefined) return 'NOT MEASURED';
  const cost = v.target.kind === 'cost';
  const value = cost ? `${v.value.toFixed(1)} µs/req` : v.value.toFixed(3);
  const margin = `margin ${v.margin >= 0 ? '+' : '−'}${Math.abs(v.margin).toFixed(cost ? 1 : 3)}`;
  return `${v.pass ? 'PASS' : 'MISS'} (${value}, ${margin}; ${v.roundsMeeting}/${v.rounds} rounds meet it)`;
}
