import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENT_TABLE_PAGE, withEnvironmentTables } from './environmentTable';
import { EVENT_TABLE_PAGE, withEventTable } from './eventTable';
import { METRIC_TABLE_PAGE, withMetricTable } from './metricTable';

/**
 * Rewrites the generated tables of docs/ (`npm run docs:metrics`): the metric catalogue, the
 * event catalogue and the one table of every environment variable, each on its page between
 * its markers, from the catalogues in the code.
 */
const root = path.resolve(__dirname, '..', '..');
const tables: readonly { readonly page: string; readonly update: (text: string) => string }[] = [
  { page: METRIC_TABLE_PAGE, update: withMetricTable },
  { page: EVENT_TABLE_PAGE, update: withEventTable },
  { page: ENVIRONMENT_TABLE_PAGE, update: withEnvironmentTables },
];
for (const { page, update } of tables) {
  const file = path.join(root, page);
  const text = readFileSync(file, 'utf8');
  const updated = update(text);
  if (updated === text) {
    console.log(`${page}: tables are up to date`);
  } else {
    writeFileSync(file, updated);
    console.log(`${page}: tables rewritten from the catalogues`);
  }
}
