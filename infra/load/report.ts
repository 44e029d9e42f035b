import type { TallySummary } from './tally';

/** Limits a scenario must meet; an undefined limit is not checked. */
export interface Thresholds {
  /** Requests without a good 2xx answer, in percent: passes while strictly below. */
  readonly maxNon2xxPct: number;
  /** p95 of 2xx latency: passes while strictly below. */
  readonly p95Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Achieved 2xx rate in percent of the target rate: passes at or above (rate-driven runs only). */
  readonly minRatePct: number | undefined;
  /** Gateway RSS growth from after warm-up to the end, in percent: passes at or below. */
  readonly maxRssGrowthPct: number | undefined;
}

export interface RssComparison {
  readonly afterWarmupBytes: number;
  readonly endBytes: number;
  readonly peakBytes: number;
  readonly samples: number;
  /** Where the figures came from: `/proc/<pid>/status` or `<url>/metrics`. */
  readonly source: string;
}

export interface Check {
  readonly name: string;
  readonly passed: boolean;
  /** `0.12% < 1%`, as printed. */
  readonly detail: string;
}

export interface Measured {
  readonly summary: TallySummary;
  /** Requests per second the scenario asked for, when it drives a rate. */
  readonly targetRate?: number;
  readonly rss?: RssComparison;
}

export function rssGrowthPct(rss: RssComparison): number {
  return rss.afterWarmupBytes > 0 ? (100 * (rss.endBytes - rss.afterWarmupBytes)) / rss.afterWarmupBytes : Number.NaN;
}

/** Each threshold against what was measured. A figure that could not be measured (NaN) fails. */
export function evaluate(measured: Measured, thresholds: Thresholds): Check[] {
  const { summary } = measured;
  const checks: Check[] = [];
  const below = (name: string, observed: number, limit: number, unit: string, digits: number): void => {
    checks.push({ name, passed: observed < limit, detail: `${fixed(observed, digits)}${unit} ${observed < limit ? '<' : '>='} ${limit}${unit}` });
  };
  below('non-2xx share', summary.failedPct, thresholds.maxNon2xxPct, '%', 2);
  if (thresholds.p95Ms !== undefined) below('p95', summary.p95Ms, thresholds.p95Ms, ' ms', 1);
  if (thresholds.p99Ms !== undefined) below('p99', summary.p99Ms, thresholds.p99Ms, ' ms', 1);
  if (thresholds.minRatePct !== undefined && measured.targetRate !== undefined) {
    const achievedPct = (100 * summary.okPerSecond) / measured.targetRate;
    const passed = achievedPct >= thresholds.minRatePct;
    checks.push({
      name: 'achieved rate',
      passed,
      detail: `${fixed(summary.okPerSecond, 1)}/s = ${fixed(achievedPct, 1)}% of ${measured.targetRate}/s ${passed ? '>=' : '<'} ${thresholds.minRatePct}%`,
    });
  }
  if (thresholds.maxRssGrowthPct !== undefined) {
    const growth = measured.rss === undefined ? Number.NaN : rssGrowthPct(measured.rss);
    const passed = growth <= thresholds.maxRssGrowthPct;
    checks.push({ name: 'gateway RSS growth', passed, detail: `${signed(growth)}% ${passed ? '<=' : '>'} ${thresholds.maxRssGrowthPct}%` });
  }
  return checks;
}

/** `1.2`, `NaN` shown as `n/a`. */
function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function signed(value: number): string {
  return Number.isFinite(value) && value > 0 ? `+${value.toFixed(2)}` : fixed(value, 2);
}

function mib(bytes: number): string {
  return `${fixed(bytes / 1024 / 1024, 1)} MiB`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `p50 3.1 ms, p95 5.2 ms, p99 8.0 ms` */
export function formatLatency(summary: TallySummary): string {
  return `p50 ${fixed(summary.p50Ms, 1)} ms, p95 ${fixed(summary.p95Ms, 1)} ms, p99 ${fixed(summary.p99Ms, 1)} ms`;
}

/** One ramp step or one workload: `[chat_load] 100 connections, 4.0 s: 2,345 req/s, p50 …, non-2xx 0.00%` */
export function formatPart(scenario: string, label: string, summary: TallySummary): string {
  return `[${scenario}] ${label}, ${fixed(summary.elapsedSeconds, 1)} s: ${count(Math.round(summary.okPerSecond || 0))} req/s, ${formatLatency(summary)}, non-2xx ${fixed(summary.failedPct, 2)}%`;
}

/** The scenario's whole run, with what the non-2xx share is made of. */
export function formatTotal(scenario: string, summary: TallySummary): string {
  const parts = [`${count(summary.non2xx)} non-2xx`, `${count(summary.errors)} errors`, `${count(summary.timeouts)} of them timeouts`];
  if (summary.mismatches > 0) parts.push(`${count(summary.mismatches)} incomplete bodies`);
  return (
    `[${scenario}] total: ${count(summary.requests)} requests in ${fixed(summary.elapsedSeconds, 1)} s, ` +
    `${count(Math.round(summary.okPerSecond || 0))} req/s, ${formatLatency(summary)}, max ${fixed(summary.maxMs, 1)} ms, ` +
    `non-2xx ${fixed(summary.failedPct, 2)}% (${parts.join(', ')})`
  );
}

export function formatRss(scenario: string, rss: RssComparison): string {
  return (
    `[${scenario}] gateway RSS: ${mib(rss.afterWarmupBytes)} after warm-up, ${mib(rss.endBytes)} at the end ` +
    `(${signed(rssGrowthPct(rss))}%), peak ${mib(rss.peakBytes)}, ${rss.samples} samples from ${rss.source}`
  );
}

export function formatChecks(scenario: string, checks: readonly Check[]): string[] {
  const lines = checks.map((check) => `[${scenario}] ${check.passed ? 'PASS' : 'FAIL'} ${check.name}: ${check.detail}`);
  const missed = checks.filter((check) => !check.passed).length;
  lines.push(`[${scenario}] result: ${missed === 0 ? 'PASS' : `FAIL (${missed} of ${checks.length} thresholds missed)`}`);
  return lines;
}
