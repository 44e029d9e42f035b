import { COMPETITOR_METRICS } from '../competitor/competitorMetrics';
import { SANDBOX_METRICS } from '../competitor/sandbox/poolMetrics';
import { GATEWAY_METRICS } from '../gateway/gatewayMetrics';
import { METRIC_CATALOGUE, type MetricDefinition } from '../src/metricCatalogue';
import { relinkSections } from './docPages';
import { replaceBetween } from './replaceBetween';

export const TABLE_START = '<!-- metrics:start (npm run docs:metrics) -->';
export const TABLE_END = '<!-- metrics:end -->';
/** The page that holds the metric table. */
export const METRIC_TABLE_PAGE = 'docs/guide/metrics.md';

type AppMetric = Omit<MetricDefinition, 'section'>;

const SECTION_TITLES: Record<MetricDefinition['section'], string> = {
  http: 'HTTP (`obs.middleware()`)',
  stream: 'Streams (`obs.observeSse()`, `obs.observeStream()`)',
  logging: 'Logging',
  health: 'Health checks (`obs.health`)',
  ops: 'Ops routes and admin guard',
  events: 'Telemetry event bus (`obs.events`)',
  pool: 'Pools and sessions (from events, by the metrics consumer)',
};

/** The reference apps' own metrics, after sightline's. */
const APP_SECTIONS: readonly { readonly title: string; readonly metrics: readonly AppMetric[] }[] = [
  { title: 'Gateway (`gateway/gatewayMetrics.ts`)', metrics: GATEWAY_METRICS },
  { title: 'Competitor: sandbox pool (`competitor/sandbox/poolMetrics.ts`)', metrics: SANDBOX_METRICS },
  { title: 'Competitor: model (`competitor/competitorMetrics.ts`)', metrics: Object.values(COMPETITOR_METRICS) },
];

function row(metric: AppMetric): string {
  const labels = metric.labelNames.map((l) => `\`${l}\``).join(', ') || '—';
  const buckets = metric.buckets === undefined ? '' : ` Buckets: ${metric.buckets.join(', ')}.`;
  return `| \`${metric.name}\` | ${metric.type} | ${labels} | ${metric.help}${buckets} |`;
}

/** The metric table of the metrics page, rendered from the catalogues. */
export function renderMetricTable(): string {
  const rows = ['| metric | type | labels | meaning |', '|---|---|---|---|'];
  for (const section of Object.keys(SECTION_TITLES) as MetricDefinition['section'][]) {
    rows.push(`| **${SECTION_TITLES[section]}** | | | |`);
    for (const metric of Object.values(METRIC_CATALOGUE) as MetricDefinition[]) {
      if (metric.section === section) rows.push(row(metric));
    }
  }
  for (const { title, metrics } of APP_SECTIONS) {
    rows.push(`| **${title}** | | | |`);
    for (const metric of metrics) rows.push(row(metric));
  }
  return rows.join('\n');
}

/** `page` (the text of METRIC_TABLE_PAGE) with its table replaced by a fresh rendering; throws when the markers are missing. */
export function withMetricTable(page: string): string {
  return replaceBetween(page, TABLE_START, TABLE_END, relinkSections(renderMetricTable(), METRIC_TABLE_PAGE));
}
