import { GATEWAY_EVENTS } from '../gateway/gatewayMetrics';
import { EVENT_CATALOGUE, type EventDefinition } from '../src/eventCatalogue';
import { METRIC_CATALOGUE } from '../src/metricCatalogue';
import { replaceBetween } from './replaceBetween';

export const EVENTS_START = '<!-- events:start (npm run docs:metrics) -->';
export const EVENTS_END = '<!-- events:end -->';

const code = (names: readonly string[]): string => names.map((name) => `\`${name}\``).join(', ');

/** The README's event table, rendered from src/eventCatalogue.ts. */
export function renderEventTable(): string {
  const rows = ['| event | meaning | measurements | metadata | metrics |', '|---|---|---|---|---|'];
  for (const [name, definition] of Object.entries(EVENT_CATALOGUE) as [string, EventDefinition][]) {
    const metrics = definition.metrics.map((key) => METRIC_CATALOGUE[key].name);
    rows.push(`| \`${name}\` | ${definition.description} | ${code(definition.measurements)} | ${code(definition.metadata)} | ${code(metrics)} |`);
  }
  for (const event of GATEWAY_EVENTS) {
    rows.push(`| \`${event.name}\` (gateway) | ${event.description} | ${code(event.measurements)} | ${code(event.metadata)} | |`);
  }
  return rows.join('\n');
}

export function withEventTable(readme: string): string {
  return replaceBetween(readme, EVENTS_START, EVENTS_END, renderEventTable());
}
