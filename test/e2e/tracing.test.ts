/**
 * End-to-end tracing: real services in child processes (jest's module sandbox defeats both
 * require-in-the-middle and the OTLP exporters), exporting over real OTLP/HTTP to an in-test
 * receiver. See test/fixtures/tracedService.ts for the service.
 */
import { startService, stopAllServices } from '../support/childService';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';
import {
  ancestorsOf,
  describeTree,
  EXPRESS_SCOPE,
  getJson,
  HTTP_SCOPE,
  KIND_CLIENT,
  KIND_INTERNAL,
  parseTraceparent,
  serverSpanOf,
  SPAN_WAIT_MS,
  spansOf,
  UNDICI_SCOPE,
  waitForCompleted,
} from '../support/spanTree';

const TEST_TIMEOUT_MS = 30_000;

let receiver: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  // Also runs when a test failed: no child outlives its test.
  await stopAllServices();
  await receiver.close();
});

function tracingEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...extra };
}

describe('tracing across processes (preloaded with src/register.ts)', () => {
  test(
    'A calls B with fetch: one trace, B parented by A\'s undici client span, routes, resources, response header and logs agree',
    async () => {
      const b = await startService({ name: 'svc-b', env: tracingEnv() });
      const a = await startService({ name: 'svc-a', env: tracingEnv({ DOWNSTREAM_URL: b.url }) });

      const answer = await getJson(`${a.url}/v1/items/42`);
      expect(answer.status).toBe(200);
      const fromA = parseTraceparent(answer.traceparent);

      const spans = await receiver.waitForSpans(
        (seen) =>
          serverSpanOf(seen, 'svc-a', fromA.traceId) !== undefined &&
          serverSpanOf(seen, 'svc-b', fromA.traceId) !== undefined &&
          spansOf(seen, 'svc-a', fromA.traceId).some((s) => s.kind === KIND_CLIENT),
        SPAN_WAIT_MS,
      );
      const tree = describeTree(spans.filter((s) => s.traceId === fromA.traceId));

      // One trace: every exported span (two services) is in the trace A answered with.
      expect({ traceIds: [...new Set(spans.map((s) => s.traceId))], tree }).toEqual({ traceIds: [fromA.traceId], tree });

      // A's server span: instrumentation-http's, a root (the test client sends no traceparent).
      const serverA = serverSpanOf(spans, 'svc-a', fromA.traceId)!;
      expect(serverA.scope).toBe(HTTP_SCOPE);
      expect(serverA.parentSpanId).toBe('');
      expect(serverA.name).toBe('GET /v1/items/:id');
      expect(serverA.attributes['http.route']).toBe('/v1/items/:id');
      expect(serverA.resource['service.name']).toBe('svc-a');
      // The traceparent A answered is its server span.
      expect(fromA.parentId).toBe(serverA.spanId);
      expect(fromA.flags).toBe('01');

      // B's server span: child of A's undici CLIENT span, whose chain leads to A's server span.
      const serverB = serverSpanOf(spans, 'svc-b', fromA.traceId)!;
      expect(serverB.scope).toBe(HTTP_SCOPE);
      expect(serverB.name).toBe('GET /v1/echo-headers');
      expect(serverB.attributes['http.route']).toBe('/v1/echo-headers');
      expect(serverB.resource['service.name']).toBe('svc-b');
      const client = spans.find((s) => s.spanId === serverB.parentSpanId);
      expect(client).toBeDefined();
      expect(client!.kind).toBe(KIND_CLIENT);
      expect(client!.scope).toBe(UNDICI_SCOPE);
      expect(client!.resource['service.name']).toBe('svc-a');
      expect(client!.attributes['url.path']).toBe('/v1/echo-headers');
      const chain = ancestorsOf(client!, spans);
      expect({ chain: chain.map((s) => s.spanId), tree }).toEqual({ chain: expect.arrayContaining([serverA.spanId]), tree });
      // In between: Express's request handler span of the route (the active span in the handler).
      expect(chain[0]).toMatchObject({ scope: EXPRESS_SCOPE, kind: KIND_INTERNAL, parentSpanId: serverA.spanId });
      expect(chain[0]!.attributes['http.route']).toBe('/v1/items/:id');

      // Double-injection guard: the caller's traceparent (obs.outgoingHeaders()) was removed and
      // instrumentation-undici's is the only one B received.
      const echoed = answer.body as { traceparents: string[]; traceId: string; spanId: string };
      expect(echoed.traceparents).toHaveLength(1);
      expect(parseTraceparent(echoed.traceparents[0])).toEqual({ traceId: fromA.traceId, parentId: client!.spanId, flags: '01' });
      // B's request context (obs.context.get()) is its server span.
      expect(echoed).toMatchObject({ traceId: fromA.traceId, spanId: serverB.spanId });

      // Logs: both services' `request completed` lines carry the trace, each with its own server span.
      const completedA = await waitForCompleted(a, '/v1/items/42');
      const completedB = await waitForCompleted(b, '/v1/echo-headers');
      expect(completedA).toMatchObject({
        service: 'svc-a',
        route: '/v1/items/:id',
        status: 200,
        trace_id: fromA.traceId,
        span_id: serverA.spanId,
      });
      expect(completedB).toMatchObject({
        service: 'svc-b',
        route: '/v1/echo-headers',
        status: 200,
        trace_id: fromA.traceId,
        span_id: serverB.spanId,
        // x-request-id went along with the trace headers.
        request_id: completedA.request_id,
      });

      // Protobuf is the default protocol.
      expect(receiver.requests.length).toBeGreaterThan(0);
      expect(new Set(receiver.requests.map((r) => r.contentType))).toEqual(new Set(['application/x-protobuf']));
      expect(receiver.rejected).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'OTEL_EXPORTER_OTLP_PROTOCOL=http/json exports OTLP/JSON',
    async () => {
      const service = await startService({ name: 'svc-json', env: tracingEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }) });
      const answer = await getJson(`${service.url}/v1/items/7`);
      expect(answer.status).toBe(200);
      const { traceId, parentId } = parseTraceparent(answer.traceparent);

      const spans = await receiver.waitForSpans((seen) => serverSpanOf(seen, 'svc-json', traceId) !== undefined, SPAN_WAIT_MS);
      const server = serverSpanOf(spans, 'svc-json', traceId)!;
      expect(server.spanId).toBe(parentId);
      expect(server.attributes['http.route']).toBe('/v1/items/:id');
      expect(new Set(receiver.requests.map((r) => r.contentType))).toEqual(new Set(['application/json']));
      expect(receiver.rejected).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    '/health and /metrics create no spans',
    async () => {
      const service = await startService({ name: 'svc-probes', env: tracingEnv() });
      for (const path of ['/health', '/metrics', '/health?deep=1', '/metrics?name[]=x']) {
        const response = await fetch(`${service.url}${path}`);
        await response.arrayBuffer();
        expect(response.status).toBe(200);
      }
      const traced = await getJson(`${service.url}/v1/items/1`);
      const { traceId } = parseTraceparent(traced.traceparent);
      await receiver.waitForSpans((seen) => serverSpanOf(seen, 'svc-probes', traceId) !== undefined, SPAN_WAIT_MS);
      // shutdown() flushes whatever the batch processor still holds.
      await service.stop();

      const spans = [...receiver.spans];
      const tree = describeTree(spans);
      const probeSpans = spans.filter((span) =>
        ['url.path', 'http.target', 'http.route'].some((key) => /^\/(health|metrics)\b/.test(String(span.attributes[key] ?? ''))),
      );
      expect(describeTree(probeSpans)).toBe('');
      // Stronger: every span exported belongs to the one traced request.
      expect({ traceIds: [...new Set(spans.map((s) => s.traceId))], tree }).toEqual({ traceIds: [traceId], tree });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'a child process spawned with obs.childProcessEnv() gets the active trace in TRACEPARENT',
    async () => {
      const service = await startService({ name: 'svc-child', env: tracingEnv() });
      const answer = await getJson(`${service.url}/v1/child`);
      expect(answer.status).toBe(200);
      const request = parseTraceparent(answer.traceparent);
      const body = answer.body as { traceparent: string; code: number; traceId: string };
      expect(body.code).toBe(0);
      const inChild = parseTraceparent(body.traceparent);
      expect(inChild.traceId).toBe(request.traceId);
      expect(body.traceId).toBe(request.traceId);

      // Its parent id is a span of the request (the active one: Express's request handler span).
      await service.stop();
      const spans = receiver.spans.filter((s) => s.traceId === request.traceId);
      const parent = spans.find((s) => s.spanId === inChild.parentId);
      expect({ parent: parent?.name, tree: describeTree(spans) }).toEqual({ parent: expect.any(String), tree: describeTree(spans) });
      expect(ancestorsOf(parent!, spans).map((s) => s.spanId).concat(parent!.spanId)).toContain(request.parentId);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'an invalid OTEL_TRACES_SAMPLER is reported by name and the default is used; the service still serves',
    async () => {
      const service = await startService({ name: 'svc-sampler', env: tracingEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }) });
      const lines = await service.waitForLogLines(
        (seen) => seen.some((l) => typeof l.message === 'string' && l.message.includes('configuration value rejected')),
        SPAN_WAIT_MS,
      );
      const rejected = lines.filter((l) => typeof l.message === 'string' && l.message.includes('configuration value rejected'));
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ level: 'warn', target: 'sightline', variable: 'OTEL_TRACES_SAMPLER' });
      expect(String(rejected[0]!.reason)).toContain('sometimes');

      const answer = await getJson(`${service.url}/v1/items/3`);
      expect(answer.status).toBe(200);
      // The default sampler (parentbased_always_on) samples the request.
      const { traceId, flags } = parseTraceparent(answer.traceparent);
      expect(flags).toBe('01');
      await receiver.waitForSpans((seen) => serverSpanOf(seen, 'svc-sampler', traceId) !== undefined, SPAN_WAIT_MS);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('traceparent handed in explicitly', () => {
  test(
    'outside any span, a caller\'s own traceparent goes out unchanged and alone',
    async () => {
      const b = await startService({ name: 'svc-b-detached', env: tracingEnv() });
      const a = await startService({ name: 'svc-a-detached', env: tracingEnv({ DOWNSTREAM_URL: b.url }) });
      const handed = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const answer = await getJson(`${a.url}/v1/detached?traceparent=${handed}`);
      expect(answer.status).toBe(200);
      const echoed = answer.body as { traceparents: string[]; traceId: string };
      expect(echoed.traceparents).toEqual([handed]);
      expect(echoed.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('tracing without the preload (express loaded before tracing started)', () => {
  /*
   * Observed in this mode (Node 20, instrumentation-http/-undici/-express as pinned):
   * - sightline patches at createObservability(); `http` is patched late (its Server.prototype.emit
   *   is wrapped in place, so the already-loaded module is covered) and undici works through
   *   diagnostics_channel, but Express was loaded first (sightline itself imports it) and is not
   *   patched: no Express spans. sightline lends the route template it captured to
   *   instrumentation-http (through the context's RPC metadata), so the server span still
   *   gets `http.route` and is named `GET /v1/items/:id`.
   * - So the server span is instrumentation-http's (sightline's fallback span is not needed), and
   *   A's undici CLIENT span is its direct child:
   *     svc-a  SERVER "GET /v1/items/:id"  (instrumentation-http, root)
   *     └ svc-a  CLIENT "GET"  (instrumentation-undici)
   *       └ svc-b  SERVER "GET /v1/echo-headers"  (instrumentation-http)
   * - The access log still has the route (sightline captures it itself).
   */
  test(
    'A calls B: still one trace, exactly one traceparent reached B, and one warning per service',
    async () => {
      const b = await startService({ name: 'svc-b-late', env: tracingEnv(), preload: false });
      const a = await startService({ name: 'svc-a-late', env: tracingEnv({ DOWNSTREAM_URL: b.url }), preload: false });

      const answer = await getJson(`${a.url}/v1/items/9`);
      expect(answer.status).toBe(200);
      const fromA = parseTraceparent(answer.traceparent);
      const spans = await receiver.waitForSpans(
        (seen) =>
          serverSpanOf(seen, 'svc-a-late', fromA.traceId) !== undefined &&
          serverSpanOf(seen, 'svc-b-late', fromA.traceId) !== undefined &&
          spansOf(seen, 'svc-a-late', fromA.traceId).some((s) => s.kind === KIND_CLIENT),
        SPAN_WAIT_MS,
      );
      const tree = describeTree(spans);
      expect({ traceIds: [...new Set(spans.map((s) => s.traceId))], tree }).toEqual({ traceIds: [fromA.traceId], tree });

      const serverA = serverSpanOf(spans, 'svc-a-late', fromA.traceId)!;
      const serverB = serverSpanOf(spans, 'svc-b-late', fromA.traceId)!;
      // instrumentation-http's span (late patching) or sightline's fallback (scope = service name).
      expect([HTTP_SCOPE, 'svc-a-late']).toContain(serverA.scope);
      expect([HTTP_SCOPE, 'svc-b-late']).toContain(serverB.scope);
      expect(fromA.parentId).toBe(serverA.spanId);
      expect(serverA.parentSpanId).toBe('');
      expect(serverA).toMatchObject({ name: 'GET /v1/items/:id', attributes: expect.objectContaining({ 'http.route': '/v1/items/:id' }) });
      expect(serverB).toMatchObject({ name: 'GET /v1/echo-headers', attributes: expect.objectContaining({ 'http.route': '/v1/echo-headers' }) });
      // Express was not patched.
      expect({ express: spans.filter((s) => s.scope === EXPRESS_SCOPE).length, tree }).toEqual({ express: 0, tree });

      const client = spans.find((s) => s.spanId === serverB.parentSpanId);
      expect(client).toMatchObject({ kind: KIND_CLIENT, scope: UNDICI_SCOPE });
      expect(client!.resource['service.name']).toBe('svc-a-late');
      expect(ancestorsOf(client!, spans).map((s) => s.spanId)).toContain(serverA.spanId);

      const echoed = answer.body as { traceparents: string[]; traceId: string; spanId: string };
      expect(echoed.traceparents).toHaveLength(1);
      expect(parseTraceparent(echoed.traceparents[0]).parentId).toBe(client!.spanId);
      expect(echoed).toMatchObject({ traceId: fromA.traceId, spanId: serverB.spanId });

      const completedA = await waitForCompleted(a, '/v1/items/9');
      const completedB = await waitForCompleted(b, '/v1/echo-headers');
      expect(completedA).toMatchObject({ route: '/v1/items/:id', trace_id: fromA.traceId, span_id: serverA.spanId });
      expect(completedB).toMatchObject({ route: '/v1/echo-headers', trace_id: fromA.traceId, span_id: serverB.spanId });

      for (const service of [a, b]) {
        const warnings = service
          .logLines()
          .filter((l) => typeof l.message === 'string' && l.message.includes('express was loaded before tracing started'));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({ level: 'warn', target: 'sightline' });
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'with the preload there is no such warning',
    async () => {
      const service = await startService({ name: 'svc-early', env: tracingEnv() });
      const answer = await getJson(`${service.url}/v1/items/5`);
      expect(answer.status).toBe(200);
      await waitForCompleted(service, '/v1/items/5');
      const warnings = service.logLines().filter((l) => String(l.message).includes('express was loaded before tracing started'));
      expect(warnings).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
