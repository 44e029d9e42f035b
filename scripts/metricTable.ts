import { METRIC_CATALOGUE, type MetricDefinition } from '../src/metricCatalogue';

export const TABLE_START = '<!-- metrics:start (npm run docs:metrics) -->';
export const TABLE_END = '<!-- metrics:end -->';

const SECTION_TITLES: Record<MetricDefinition['section'], string> = {
  http: 'HTTP (`obs.middleware()`)',
  stream: 'Streams (`obs.observeSse()`, `obs.observeStream()`)',
  logging: 'Logging',
  health: 'Health checks (`obs.health`)',
  ops: 'Ops routes and admin guard',
  events: 'Telemetry event bus (`obs.events`)',
  pool: 'Pools and sessions (from events, by the metrics consumer)',
};

/** The README's metric table, rendered from the catalogue in src/metricCatalogue.ts. */
export function renderMetricTable(): string {
  const rows = ['| metric | type | labels | meaning |', '|---|---|---|---|'];
  for (const section of Object.keys(SECTION_TITLES) as MetricDefinition['section'][]) {
    rows.push(`| **${SECTION_TITLES[section]}** | | | |`);
    for (const metric of Object.values(METRIC_CATALOGUE) as MetricDefinition[]) {
      if (metric.section !== section) continue;
      const labels = metric.labelNames.map((l) => `\`${l}\``).join(', ') || '—';
      const buckets = metric.buckets === undefined ? '' : ` Buckets: ${metric.buckets.join(', ')}.`;
      rows.push(`| \`${metric.name}\` | ${metric.type} | ${labels} | ${metric.help}${buckets} |`);
    }
  }
  return [TABLE_START, ...rows, TABLE_END].join('\n');
}

/** `readme` with its table replaced by a fresh rendering; throws when the markers are missing. */
export function withMetricTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md has no metric table between ${TABLE_START} and ${TABLE_END}`);
  }
  return readme.slice(0, start) + renderMetricTable() + readme.slice(end + TABLE_END.length);
}
