import request from 'supertest';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { assertTraceparent } from '../../src/testing';
import { completedLine, observedApp } from '../support/observedApp';

// Tracing is process-wide (one OpenTelemetry global), so the whole file shares one exporter.
// Under jest the modules are not patched (its sandbox bypasses require hooks): these tests
// exercise the server span sightline starts itself; test/e2e/tracing.test.ts covers the
// instrumented path in real processes.
const exporter = new InMemorySpanExporter();
const tracing = { spanProcessor: new SimpleSpanProcessor({ exporter }) };

function tracedApp() {
  return observedApp(
    (app, obs) => {
      app.get('/v1/items/:id', (req, res) => {
        obs.logger.info('item served');
        res.json({ id: req.params.id, onward: obs.outgoingHeaders(), env: obs.childProcessEnv() });
      });
      app.get('/health', (_req, res) => {
        res.json({ status: 'ok' });
      });
      app.get('/v1/manual', (_req, res) => {
        obs.tracer.startActiveSpan('manual work', (span) => {
          span.end();
          res.json({ ok: true });
        });
      });
    },
    { tracingEnabled: true, tracing },
  );
}

afterEach(() => exporter.reset());

describe('tracing', () => {
  it('makes the request span the one source of trace identity', async () => {
    const { app, logs } = tracedApp();
    const res = await request(app).get('/v1/items/7').set('x-request-id', 'tr-1');
    const answered = assertTraceparent(res.headers.traceparent);
    const [span] = exporter.getFinishedSpans().filter((s) => s.attributes['http.route'] === '/v1/items/:id');
    expect(span).toBeDefined();
    expect(span!.spanContext().traceId).toBe(answered.traceId);
    expect(span!.spanContext().spanId).toBe(answered.parentId);
    expect(span!.name).toBe('GET /v1/items/:id');
    expect(span!.attributes['http.response.status_code']).toBe(200);
    const line = await completedLine(logs, 'tr-1');
    expect(line).toMatchObject({ trace_id: answered.traceId, span_id: answered.parentId });
    expect(logs.find('item served', 'tr-1')[0]).toMatchObject({ trace_id: answered.traceId });
  });

  it('continues the caller\'s trace under its parent span', async () => {
    const { app } = tracedApp();
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await request(app).get('/v1/items/1').set('traceparent', parent).set('tracestate', 'vendor=opaque');
    expect(assertTraceparent(res.headers.traceparent).traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span!.spanContext().traceState?.serialize()).toBe('vendor=opaque');
  });

  it('hands the active span onward, in headers and in a child process environment', async () => {
    const { app } = tracedApp();
    const res = await request(app).get('/v1/items/2').set('x-request-id', 'tr-onward');
    const own = assertTraceparent(res.headers.traceparent);
    const body = res.body as { onward: Record<string, string>; env: Record<string, string> };
    expect(assertTraceparent(body.onward.traceparent)).toMatchObject({ traceId: own.traceId, parentId: own.parentId });
    expect(body.onward['x-request-id']).toBe('tr-onward');
    expect(body.env.TRACEPARENT).toBe(body.onward.traceparent);
  });

  it('creates no span for health and metrics requests, yet gives them trace ids for the logs', async () => {
    const { app } = tracedApp();
    const res = await request(app).get('/health');
    expect(res.status).toBe(200);
    assertTraceparent(res.headers.traceparent);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('parents manual spans from obs.tracer under the request span', async () => {
    const { app } = tracedApp();
    await request(app).get('/v1/manual');
    const spans = exporter.getFinishedSpans();
    const manual = spans.find((s) => s.name === 'manual work');
    const server = spans.find((s) => s.name === 'GET /v1/manual');
    expect(manual?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  });

  it('names the span by route template even with the access log and metrics off', async () => {
    const { app } = observedApp(
      (a) => {
        a.get('/v1/bare/:id', (_req, res) => {
          res.json({});
        });
      },
      { tracingEnabled: true, tracing, accessLog: false, metrics: false },
    );
    await request(app).get('/v1/bare/3');
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: 'GET /v1/bare/:id', attributes: expect.objectContaining({ 'http.route': '/v1/bare/:id' }) });
  });

  it('shares one tracer provider between two instances instead of colliding', async () => {
    const first = tracedApp();
    const second = tracedApp();
    await request(first.app).get('/v1/items/1');
    await request(second.app).get('/v1/items/2');
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    await first.obs.shutdown();
    await second.obs.shutdown();
  });
});

describe('POST /ops/trace/test', () => {
  it('emits a test span under the request span and answers its trace id', async () => {
    const token = 'trace-test-admin-token-01';
    const { app } = observedApp((routes, obs) => routes.use(obs.routes()), { tracingEnabled: true, tracing, adminToken: token });
    const res = await request(app).post('/ops/trace/test').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const answered = assertTraceparent(res.headers.traceparent);
    expect(res.body).toEqual({ trace_id: answered.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/), sampled: true, parent_span_id: answered.parentId });
    const [testSpan] = exporter.getFinishedSpans().filter((span) => span.name === 'sightline.trace_test');
    expect(testSpan?.spanContext().traceId).toBe(res.body.trace_id);
    expect(testSpan?.spanContext().spanId).toBe(res.body.span_id);
    expect(testSpan?.parentSpanContext?.spanId).toBe(answered.parentId);
  });
});
