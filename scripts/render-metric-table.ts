import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withEnvironmentTables } from './environmentTable';
import { withEventTable } from './eventTable';
import { withMetricTable } from './metricTable';

/** Rewrites the README's generated tables (metrics, events, the apps' variables) from the catalogues (`npm run docs:metrics`). */
const readmePath = path.resolve(__dirname, '..', '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = withEnvironmentTables(withEventTable(withMetricTable(readme)));
if (updated === readme) {
  console.log('README.md tables are up to date');
} else {
  writeFileSync(readmePath, updated);
  console.log('README.md tables rewritten from the metric and event catalogues');
}
