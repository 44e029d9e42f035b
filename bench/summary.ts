import type { Sample } from './measure';
import { BASELINE, beforeOf, isSightlineVariant, type VariantName } from './variants';

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

/** One term of a difference of variants: `sign` × the variant's server CPU per request. */
export type Term = readonly [sign: 1 | -1, variant: VariantName];

export interface Part {
  readonly part: string;
  readonly terms: readonly Term[];
}

export interface PartCost extends Part {
  /** The signed sum of the variants' median server CPU µs per request. */
  readonly micros: number;
  /** The same sum within each round, lowest and highest: how far noise moves it. */
  readonly minRoundMicros: number;
  readonly maxRoundMicros: number;
}

/**
 * What each part of the pipeline costs in server CPU per request, as differences between
 * variants that differ by that part alone. The second estimates of the access log and the
 * metrics (each removed from the full suite) and the interaction row show whether the parts add up.
 */
export const PARTS: readonly Part[] = [
  { part: 'context: request id, trace context, AsyncLocalStorage', terms: [[1, 'sightline-ids'], [-1, 'bare']] },
  { part: 'access log: both lines', terms: [[1, 'sightline-nometrics'], [-1, 'sightline-ids']] },
  { part: 'HTTP metrics', terms: [[1, 'sightline-nologs'], [-1, 'sightline-ids']] },
  { part: 'tracing, every request sampled', terms: [[1, 'sightline-tracing'], [-1, 'sightline-rate1']] },
  { part: 'full suite, tracing off', terms: [[1, 'sightline-rate1'], [-1, 'bare']] },
  { part: 'access log, with metrics on', terms: [[1, 'sightline-rate1'], [-1, 'sightline-nologs']] },
  { part: 'HTTP metrics, with the access log on', terms: [[1, 'sightline-rate1'], [-1, 'sightline-nometrics']] },
  {
    part: 'interaction: full suite − context − access log − metrics',
    terms: [[1, 'sightline-rate1'], [-1, 'sightline-nometrics'], [-1, 'sightline-nologs'], [1, 'sightline-ids']],
  },
  { part: 'peer: pino-http', terms: [[1, 'pino-http'], [-1, 'bare']] },
  { part: 'peer: express-prom-bundle', terms: [[1, 'prom-bundle'], [-1, 'bare']] },
  { part: 'cls-hooked bridge', terms: [[1, 'sightline-cls'], [-1, 'sightline-rate1']] },
  { part: 'peer: OpenTelemetry alone, every request sampled', terms: [[1, 'opentelemetry'], [-1, 'bare']] },
  { part: 'sightline on top of OpenTelemetry (tracing on)', terms: [[1, 'sightline-tracing'], [-1, 'opentelemetry']] },
];

/** `sightline-ids − bare`, with `wrap` around each variant name (backticks for Markdown); the first term is added. */
export function formulaOf(part: Pick<Part, 'terms'>, wrap: (variant: VariantName) => string = (v) => v): string {
  return part.terms
    .map(([sign, variant], index) => (index === 0 ? wrap(variant) : `${sign < 0 ? '−' : '+'} ${wrap(variant)}`))
    .join(' ');
}

/** The parts whose variants were all measured: medians from the summaries, per-round values from the samples. */
export function costPerPart(summaries: readonly VariantSummary[], samples: readonly Sample[]): PartCost[] {
  const medians = new Map(summaries.map((s) => [s.variant, s.medianCpuMicrosPerRequest]));
  return [...PARTS, ...PARTS.flatMap(beforeTwin)].filter((part) => part.terms.every(([, variant]) => medians.has(variant))).map((part) => {
    const byRound = roundSums(part.terms, samples);
    return {
      ...part,
      micros: signedSum(part.terms, (variant) => medians.get(variant) ?? Number.NaN),
      minRoundMicros: Math.min(...byRound),
      maxRoundMicros: Math.max(...byRound),
    };
  });
}

/** The same part on the earlier build (`BENCH_BEFORE`); none for a part of peers only. */
function beforeTwin(part: Part): Part[] {
  if (!part.terms.some(([, variant]) => isSightlineVariant(variant))) return [];
  const terms = part.terms.map(([sign, variant]): Term => [sign, isSightlineVariant(variant) ? beforeOf(variant) : variant]);
  return [{ part: `${part.part} (before)`, terms }];
}

/** The signed sum of the terms' server CPU µs/req within each round that measured all of them. */
export function roundSums(terms: readonly Term[], samples: readonly Sample[]): number[] {
  const rounds = [...new Set(samples.map((s) => s.round))];
  const inRound = (variant: VariantName, round: number): number =>
    samples.find((s) => s.variant === variant && s.round === round)?.serverCpuMicrosPerRequest ?? Number.NaN;
  return rounds.map((round) => signedSum(terms, (variant) => inRound(variant, round))).filter((value) => !Number.isNaN(value));
}

/** Σ sign × value of each term's variant. */
export function signedSum(terms: readonly Term[], valueOf: (variant: VariantName) => number): number {
  return terms.reduce((sum, [sign, variant]) => sum + sign * valueOf(variant), 0);
}

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

function samplesOf(samples: readonly Sample[], variant: VariantName): Sample[] {
  return samples.filter((s) => s.variant === variant);
}
