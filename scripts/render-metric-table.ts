import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withMetricTable } from './metricTable';

/** Rewrites the README's metric table from the catalogue (`npm run docs:metrics`). */
const readmePath = path.resolve(__dirname, '..', '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = withMetricTable(readme);
if (updated === readme) {
  console.log('README.md metric table is up to date');
} else {
  writeFileSync(readmePath, updated);
  console.log('README.md metric table rewritten from src/metricCatalogue.ts');
}
