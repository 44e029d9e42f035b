import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { createObservability } from '../../middleware';
import { METRIC_CATALOGUE } from '../../src/metricCatalogue';
import { EXCLUDED_DEFAULT_METRICS, type MetricDefinition } from '../../src/metricCatalogue';
import { withEnvironmentTables } from '../../scripts/environmentTable';
import { withEventTable } from '../../scripts/eventTable';
import { withMetricTable } from '../../scripts/metricTable';

const README = path.join(__dirname, '..', '..', 'README.md');

describe('metric catalogue', () => {
  it('matches the README table (run `npm run docs:metrics` after changing the catalogue)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withMetricTable(readme)).toBe(readme);
  });

  it('has the README event table in step with the event catalogue (`npm run docs:metrics`)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withEventTable(readme)).toBe(readme);
  });

  it('has the README tables of the reference apps\' variables in step with their config modules', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withEnvironmentTables(readme)).toBe(readme);
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
