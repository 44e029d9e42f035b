/**
 * Log export in process, with an in-memory exporter in place of OTLP (the real exporters are
 * exercised in test/e2e/logExport.test.ts, out of jest's module sandbox).
 */
import { Writable } from 'node:stream';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import express from 'express';
import request from 'supertest';
import { createObservability, type Observability, type ObservabilityOptions } from '../../middleware';
import { metricValue } from '../../src/testing';

const SECRETS = {
  queryKey: ['sk', 'proj', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4'].join('-'),
  bearer: 'opaque-bearer-value-93b1f0',
  password: 'correct horse battery staple',
};
const KEPT_TRACE = '4bf92f3577b34da6a3ce929d00000000';
const DROPPED_TRACE = '4bf92f3577b34da6a3ce929dffffffff';
const EXPORT_ON = { OTEL_LOGS_EXPORTER: 'otlp', OTEL_BLRP_SCHEDULE_DELAY: '10' };

interface Service {
  readonly obs: Observability;
  readonly app: express.Express;
  /** The lines written to the service's stdout (the default transport's destination). */
  lines(): Record<string, unknown>[];
}

const started: Observability[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((obs) => obs.shutdown()));
});

function service(exporter: LogRecordExporter, options: ObservabilityOptions = {}): Service {
  let written = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.toString('utf8');
      callback();
    },
  });
  const obs = createObservability({
    service: 'orders',
    version: '2.0.1',
    env: 'staging',
    environment: { ...EXPORT_ON, OTEL_RESOURCE_ATTRIBUTES: 'team=checkout,service.name=ignored' },
    ...options,
    logger: { destination, exporter, ...options.logger },
  });
  started.push(obs);
  const app = express();
  app.use(obs.middleware());
  app.use(obs.routes());
  app.get('/v1/orders/:id', (req, res) => {
    obs.logger.info('order loaded', { order_id: req.params.id, headers: req.headers, note: `password=${SECRETS.password}` });
    res.json({ id: req.params.id });
  });
  app.use(obs.notFound());
  const lines = (): Record<string, unknown>[] =>
    written
      .split('\n')
      .filter((text) => text !== '')
      .map((text) => JSON.parse(text) as Record<string, unknown>);
  return { obs, app, lines };
}

async function exported(exporter: InMemoryLogRecordExporter, count: number, timeoutMs = 2_000): Promise<ReadableLogRecord[]> {
  const deadline = Date.now() + timeoutMs;
  while (exporter.getFinishedLogRecords().length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} exported records, got ${exporter.getFinishedLogRecords().length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return exporter.getFinishedLogRecords();
}

const ofRequest = (records: readonly ReadableLogRecord[], requestId: string) =>
  records.filter((record) => record.attributes.request_id === requestId);

describe('log export (OTEL_LOGS_EXPORTER=otlp)', () => {
  it('exports every line as written to stdout: severity, body, attributes, trace ids and resource, no secret', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const { app, lines } = service(exporter);
    await request(app)
      .get(`/v1/orders/7?api_key=${SECRETS.queryKey}&page=2`)
      .set('authorization', `Bearer ${SECRETS.bearer}`)
      .set('x-request-id', 'exp-1')
      .expect(200);

    const records = ofRequest(await exported(exporter, 3), 'exp-1');
    expect(records.map((record) => record.body)).toEqual(['request started', 'order loaded', 'request completed']);
    const completedLine = lines().find((line) => line.message === 'request completed')!;
    const completed = records[2]!;
    expect(completed).toMatchObject({ severityNumber: 9, severityText: 'info' });
    const { timestamp, level, message, trace_id, span_id, ...fields } = completedLine;
    expect(completed.attributes).toEqual(fields);
    expect(fields).toMatchObject({ service: 'orders', request_id: 'exp-1', route: '/v1/orders/:id', status: 200 });
    expect(typeof fields.latency_ms).toBe('number');
    expect({ level, message }).toEqual({ level: 'info', message: 'request completed' });
    expect(completed.hrTime[0] * 1000 + Math.floor(completed.hrTime[1] / 1e6)).toBe(Date.parse(String(timestamp)));
    expect(completed.spanContext).toMatchObject({ traceId: trace_id, spanId: span_id });
    expect(completed.resource.attributes).toMatchObject({
      'service.name': 'orders',
      'service.version': '2.0.1',
      'deployment.environment.name': 'staging',
      team: 'checkout',
    });
    expect(records[0]?.attributes.url).toBe('/v1/orders/7?api_key=[REDACTED]&page=2');
    expect((records[1]?.attributes.headers as Record<string, unknown>).authorization).toBe('[REDACTED]');

    const everything = JSON.stringify(exporter.getFinishedLogRecords().map(({ body, attributes }) => ({ body, attributes })));
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
  });

  it('exports no line that sampling dropped, and the warnings of a dropped request still', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const { app, obs } = service(exporter, { logSamplingRateInfo: 0.5 });
    await request(app).get('/v1/orders/1').set('traceparent', `00-${DROPPED_TRACE}-00f067aa0ba902b7-01`).set('x-request-id', 'dropped').expect(200);
    await request(app).get('/nowhere').set('traceparent', `00-${DROPPED_TRACE}-00f067aa0ba902b7-01`).set('x-request-id', 'dropped-404').expect(404);
    await request(app).get('/v1/orders/2').set('traceparent', `00-${KEPT_TRACE}-00f067aa0ba902b7-01`).set('x-request-id', 'kept').expect(200);
    await obs.shutdown();

    const records = exporter.getFinishedLogRecords();
    expect(ofRequest(records, 'kept').map((record) => record.body)).toEqual(['request started', 'order loaded', 'request completed']);
    expect(ofRequest(records, 'dropped')).toEqual([]);
    expect(ofRequest(records, 'dropped-404').map((record) => [record.body, record.severityText])).toEqual([['request completed', 'warn']]);
    expect(obs.logStats().droppedBySampling).toBe(4);
  });

  it('counts a failing or throwing exporter and the requests never notice', async () => {
    const failing: LogRecordExporter = {
      export: (records, done) => done({ code: ExportResultCode.FAILED, error: new Error('collector answered 500') }),
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    };
    const throwing: LogRecordExporter = {
      export: () => {
        throw new Error('exporter bug');
      },
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    };
    for (const exporter of [failing, throwing]) {
      const { app, obs } = service(exporter, { metricsPublic: true });
      for (let i = 0; i < 3; i++) await request(app).get(`/v1/orders/${i}`).expect(200);
      await obs.shutdown();
      expect(obs.logStats().exportErrors).toBeGreaterThanOrEqual(9);
      expect(await metricValue(obs.metrics.registry, 'sightline_log_failures_total', { kind: 'export' })).toBe(obs.logStats().exportErrors);
      await request(app).get('/v1/orders/after').expect(200);
    }
  });

  it('flushes pending records on shutdown', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const { obs } = service(exporter, { environment: { OTEL_LOGS_EXPORTER: 'otlp', OTEL_BLRP_SCHEDULE_DELAY: '60000' } });
    obs.logger.info('about to stop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(exporter.getFinishedLogRecords()).toEqual([]);
    await obs.shutdown();
    expect(exporter.getFinishedLogRecords().map((record) => record.body)).toEqual(['about to stop']);
  });

  it('gives two instances in one process their own provider, resource and records', async () => {
    const [first, second] = [new InMemoryLogRecordExporter(), new InMemoryLogRecordExporter()];
    const a = service(first, { service: 'svc-a' });
    const b = service(second, { service: 'svc-b' });
    a.obs.logger.info('from a');
    b.obs.logger.info('from b');
    await Promise.all([a.obs.shutdown(), b.obs.shutdown()]);
    expect(first.getFinishedLogRecords().map((r) => [r.body, r.resource.attributes['service.name']])).toEqual([['from a', 'svc-a']]);
    expect(second.getFinishedLogRecords().map((r) => [r.body, r.resource.attributes['service.name']])).toEqual([['from b', 'svc-b']]);
  });

  it('exports nothing without OTEL_LOGS_EXPORTER=otlp, and reports an invalid value like every setting', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const off = service(exporter, { environment: {} });
    off.obs.logger.info('stdout only');
    const invalid = service(exporter, { environment: { OTEL_LOGS_EXPORTER: 'console' } });
    await Promise.all([off.obs.shutdown(), invalid.obs.shutdown()]);

    expect(exporter.getFinishedLogRecords()).toEqual([]);
    expect(off.lines().map((line) => line.message)).toEqual(['stdout only']);
    expect(invalid.obs.configErrors).toEqual([{ variable: 'OTEL_LOGS_EXPORTER', message: expect.stringContaining('console is not supported') }]);
    expect(invalid.lines()).toEqual([
      expect.objectContaining({ level: 'warn', message: 'configuration value rejected, default used', variable: 'OTEL_LOGS_EXPORTER' }),
    ]);
  });
});
