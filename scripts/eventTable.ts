import { GATEWAY_EVENTS } from '../gateway/gatewayMetrics';
import { EVENT_CATALOGUE, type EventDefinition } from '../src/eventCatalogue';
import { METRIC_CATALOGUE } from '../src/metricCatalogue';
import { relinkSections } from './docPages';
import { replaceBetween } from './replaceBetween';

export const EVENTS_START = '<!-- events:start (npm run docs:metrics) -->';
export const EVENTS_END = '<!-- events:end -->';
/** The page that holds the event table. */
export const EVENT_TABLE_PAGE = 'docs/guide/events.md';

const code = (names: readonly string[]): string => names.map((name) => `\`${name}\``).join(', ');

/** The event table of the telemetry events page, rendered from src/eventCatalogue.ts and the gateway's events. */
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

/** `page` (the text of EVENT_TABLE_PAGE) with its table replaced by a fresh rendering; throws when the markers are missing. */
export function withEventTable(page: string): string {
  return replaceBetween(page, EVENTS_START, EVENTS_END, relinkSections(renderEventTable(), EVENT_TABLE_PAGE));
}
