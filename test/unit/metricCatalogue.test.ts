import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createObservability } from '../../middleware';
import { METRIC_CATALOGUE } from '../../src/metricCatalogue';
import { EXCLUDED_DEFAULT_METRICS, type MetricDefinition } from '../../src/metricCatalogue';
import { ENVIRONMENT_TABLE_PAGE, withEnvironmentTables } from '../../scripts/environmentTable';
import { EVENT_TABLE_PAGE, withEventTable } from '../../scripts/eventTable';
import { METRIC_TABLE_PAGE, withMetricTable } from '../../scripts/metricTable';

const page = (file: string): string => readFileSync(path.join(__dirname, '..', '..', file), 'utf8');

describe('metric catalogue', () => {
  it(`matches the table of ${METRIC_TABLE_PAGE} (run \`npm run docs:metrics\` after changing the catalogue)`, () => {
    const text = page(METRIC_TABLE_PAGE);
    expect(withMetricTable(text)).toBe(text);
  });

  it(`has the event table of ${EVENT_TABLE_PAGE} in step with the event catalogue (\`npm run docs:metrics\`)`, () => {
    const text = page(EVENT_TABLE_PAGE);
    expect(withEventTable(text)).toBe(text);
  });

  it(`has the table of every environment variable in ${ENVIRONMENT_TABLE_PAGE} in step with the config modules`, () => {
    const text = page(ENVIRONMENT_TABLE_PAGE);
    expect(withEnvironmentTables(text)).toBe(text);
  });

  it('keeps the generated tables out of the README, whose sections moved to docs/', () => {
    expect(page('README.md')).not.toMatch(/<!-- (metrics|events|env):start/);
  });

  it('lists exactly the metrics an instance registers, with their types and labels', async () => {
    const obs = createObservability({ environment: {}, metrics: { processMetrics: false } });
    const app = express();
    app.use(obs.middleware());
    app.get('/x', (_req, res) => {
      res.json({});
    });
    await request(app).get('/x');
    const registered = await obs.metrics.registry.getMetricsAsJSON();
    const catalogue = Object.values(METRIC_CATALOGUE) as MetricDefinition[];
    expect(registered.map((m) => m.name).sort()).toEqual(catalogue.map((m) => m.name).sort());
    for (const definition of catalogue) {
      const metric = registered.find((m) => m.name === definition.name);
      expect({ name: definition.name, type: metric?.type, help: metric?.help }).toEqual({
        name: definition.name,
        type: definition.type,
        help: definition.help,
      });
      const labels = obs.metrics.registry.getSingleMetric(definition.name) as unknown as { labelNames: string[] };
      expect([...labels.labelNames].sort()).toEqual([...definition.labelNames].sort());
    }
  });

  it('keeps process metrics apart from the catalogue, without the gauges named like counters', async () => {
    const obs = createObservability({ environment: {} });
    const names = (await obs.metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_gc_duration_seconds');
    for (const excluded of EXCLUDED_DEFAULT_METRICS) expect(names).not.toContain(excluded);
  });
});
