/**
 * The three tracing modes with real processes: sightline owns tracing, the service owns it
 * (its own NodeSDK, test/fixtures/serviceOwnOpenTelemetry.ts, preloaded before or after
 * `sightline/register`, or alone) and sightline joins, or tracing is off.
 */
import { startService, stopAllServices, type ChildService } from '../support/childService';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver';
import { describeTree, getJson, HTTP_SCOPE, KIND_SERVER, parseTraceparent, SPAN_WAIT_MS, waitForCompleted } from '../support/spanTree';

const TEST_TIMEOUT_MS = 30_000;
const SERVICE_OWN_SDK = 'serviceOwnOpenTelemetry.ts';

let receiver: OtlpReceiver;
/** Where sightline would export if it started a provider of its own: nothing must arrive there. */
let trap: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
  trap = await startOtlpReceiver();
});

afterEach(async () => {
  await stopAllServices();
  await receiver.close();
  await trap.close();
});

function ownSdkEnv(name: string): Record<string, string> {
  return {
    OWN_SDK_SERVICE_NAME: name,
    OWN_SDK_TRACES_URL: `${receiver.url}/v1/traces`,
    OTEL_EXPORTER_OTLP_ENDPOINT: trap.url,
  };
}

function serverSpansOf(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId && s.kind === KIND_SERVER);
}

async function expectJoined(service: ChildService, name: string): Promise<void> {
  const answer = await getJson(`${service.url}/v1/items/42`);
  expect(answer.status).toBe(200);
  const answered = parseTraceparent(answer.traceparent);
  const completed = await waitForCompleted(service, '/v1/items/42');
  // Spans are batched every 100 ms: wait past a few batches so a second server span would be seen.
  await receiver.waitForSpans((seen) => serverSpansOf(seen, answered.traceId).length > 0, SPAN_WAIT_MS);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const spans = receiver.spans.filter((s) => s.traceId === answered.traceId);
  const tree = describeTree(spans);

  // Exactly one server span, the service's http instrumentation's, named by the route.
  const servers = serverSpansOf(spans, answered.traceId);
  expect({ servers: servers.length, tree }).toEqual({ servers: 1, tree });
  const server = servers[0]!;
  expect(server).toMatchObject({ scope: HTTP_SCOPE, name: 'GET /v1/items/:id', parentSpanId: '' });
  expect(server.attributes['http.route']).toBe('/v1/items/:id');
  // Every span went to the service's exporter, with the service's resource; none to sightline's.
  expect(spans.every((s) => s.resource['telemetry.owner'] === 'service' && s.resource['service.name'] === name)).toBe(true);
  expect(trap.requests).toEqual([]);

  // The response, the log line and the span agree.
  expect(answered.parentId).toBe(server.spanId);
  expect(completed).toMatchObject({ trace_id: answered.traceId, span_id: server.spanId, route: '/v1/items/:id' });
  expect(answer.body).toMatchObject({ traceId: answered.traceId });

  // sightline said it joined, and nothing warned (no duplicate registration, no late Express).
  const messages = service.logLines().map((l) => String(l.message));
  expect(messages).toContain('tracing joins the tracer provider the service registered');
  expect(service.logLines().filter((l) => l.level === 'warn')).toEqual([]);
  expect(service.stderr()).not.toMatch(/duplicate|already registered|Attempted/i);
}

describe('the service owns tracing: sightline joins it', () => {
  test(
    "the service's preload, then sightline/register",
    async () => {
      const service = await startService({
        name: 'svc-own-first',
        env: ownSdkEnv('svc-own-first'),
        preloads: [SERVICE_OWN_SDK, 'register'],
      });
      await expectJoined(service, 'svc-own-first');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "sightline/register, then the service's preload",
    async () => {
      const service = await startService({
        name: 'svc-own-second',
        env: ownSdkEnv('svc-own-second'),
        preloads: ['register', SERVICE_OWN_SDK],
      });
      await expectJoined(service, 'svc-own-second');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the service's own SDK alone, sightline's tracing switched on in its createObservability()",
    async () => {
      const service = await startService({ name: 'svc-own-only', env: ownSdkEnv('svc-own-only'), preloads: [SERVICE_OWN_SDK] });
      await expectJoined(service, 'svc-own-only');
    },
    TEST_TIMEOUT_MS,
  );
});

describe('sightline owns tracing, or tracing is off', () => {
  test(
    'owned: its provider exports with its own resource and one server span',
    async () => {
      const service = await startService({ name: 'svc-owned', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
      const answer = await getJson(`${service.url}/v1/items/3`);
      const answered = parseTraceparent(answer.traceparent);
      const spans = await receiver.waitForSpans((seen) => serverSpansOf(seen, answered.traceId).length > 0, SPAN_WAIT_MS);
      const servers = serverSpansOf(spans, answered.traceId);
      expect(servers).toHaveLength(1);
      expect(servers[0]).toMatchObject({ spanId: answered.parentId, name: 'GET /v1/items/:id' });
      expect(servers[0]!.resource).toMatchObject({ 'service.name': 'svc-owned' });
      expect(servers[0]!.resource['telemetry.owner']).toBeUndefined();
      expect(service.logLines().map((l) => l.message)).not.toContain('tracing joins the tracer provider the service registered');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'off: traceparent from the built-in codec, nothing exported',
    async () => {
      const service = await startService({
        name: 'svc-off',
        env: { OBS_TRACING_ENABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      });
      const answer = await getJson(`${service.url}/v1/items/4`);
      const answered = parseTraceparent(answer.traceparent);
      const completed = await waitForCompleted(service, '/v1/items/4');
      expect(completed).toMatchObject({ trace_id: answered.traceId, span_id: answered.parentId });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.requests).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
