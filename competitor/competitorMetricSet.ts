import type { SightlineMetrics } from '../middleware';
import { COMPETITOR_METRICS } from './competitorMetrics';

type Counter = ReturnType<SightlineMetrics['counter']>;

export interface CompetitorMetricSet {
  readonly tokens: Counter;
  readonly completions: Counter;
}

export function createCompetitorMetricSet(metrics: SightlineMetrics): CompetitorMetricSet {
  const { tokens, completions } = COMPETITOR_METRICS;
  return {
    tokens: metrics.counter({ name: tokens.name, help: tokens.help, labelNames: [...tokens.labelNames] }),
    completions: metrics.counter({ name: completions.name, help: completions.help, labelNames: [...completions.labelNames] }),
  };
}
