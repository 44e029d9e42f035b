import type { MetricDefinition } from '../middleware';

export type CompetitorMetricDefinition = Omit<MetricDefinition, 'section'>;

/** The competitor's own metrics, besides sightline's and the sandbox pool's. */
export const COMPETITOR_METRICS = {
  tokens: {
    name: 'competitor_tokens_streamed_total',
    type: 'counter',
    help: 'Answer tokens the model produced (content deltas), streamed or not.',
    labelNames: [],
  },
  completions: {
    name: 'competitor_completions_total',
    type: 'counter',
    help: 'Chat completions answered, by mode (stream, json) and outcome (completed, failed, client_aborted).',
    labelNames: ['mode', 'outcome'],
  },
} as const satisfies Record<string, CompetitorMetricDefinition>;
