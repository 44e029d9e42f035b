import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver';

// The exporters' Node transport loads `http` with a dynamic import(), which jest's module sandbox
// rejects without --experimental-vm-modules (open-telemetry/opentelemetry-js#6035). Node's own
// require loads the same real exporters outside the sandbox, where import() works; jest hands out
// its own `node:module`, so the real one comes from getBuiltinModule.
const nodeRequire = process.getBuiltinModule('node:module').createRequire(__filename);
const { OTLPTraceExporter: ProtoTraceExporter } = nodeRequire(
  '@opentelemetry/exporter-trace-otlp-proto',
) as typeof import('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonTraceExporter } = nodeRequire(
  '@opentelemetry/exporter-trace-otlp-http',
) as typeof import('@opentelemetry/exporter-trace-otlp-http');

const OTLP_SPAN_KIND_INTERNAL = 1;
const OTLP_SPAN_KIND_SERVER = 2;
const OTLP_STATUS_CODE_ERROR = 2;

let receiver: OtlpReceiver;
let provider: TracerProvider | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
  await receiver.close();
});

function tracerExportingTo(exporter: SpanExporter) {
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return provider.getTracer('receiver-test-tracer', '0.0.1');
}

function postTraces(body: string | Buffer, headers: Record<string, string>, path = '/v1/traces') {
  return fetch(receiver.url + path, { method: 'POST', headers, body });
}

function spanNamed(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name} among [${spans.map((s) => s.name).join(', ')}]`);
  return span;
}

describe.each([
  {
    encoding: 'protobuf',
    contentType: 'application/x-protobuf',
    createExporter: (url: string): SpanExporter => new ProtoTraceExporter({ url }),
  },
  {
    encoding: 'JSON',
    contentType: 'application/json',
    createExporter: (url: string): SpanExporter => new JsonTraceExporter({ url }),
  },
])('receiving spans from the real OTLP/$encoding exporter', ({ contentType, createExporter }) => {
  it('decodes a parent and child span with ids, attributes, resource and scope', async () => {
    const tracer = tracerExportingTo(createExporter(receiver.url + '/v1/traces'));

    const parent = tracer.startSpan('parent-op', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'child-op',
      {
        attributes: {
          'test.string': 'hello',
          'test.int': 42,
          'test.bool': true,
          'test.double': 1.5,
          'test.strings': ['a', 'b'],
        },
      },
      trace.setSpan(context.active(), parent),
    );
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end();
    parent.end();
    await provider!.forceFlush();

    const spans = await receiver.waitForSpans((seen) => seen.length === 2, 2_000);
    const received = { parent: spanNamed(spans, 'parent-op'), child: spanNamed(spans, 'child-op') };

    expect(received.parent.traceId).toBe(parent.spanContext().traceId);
    expect(received.parent.spanId).toBe(parent.spanContext().spanId);
    expect(received.parent.parentSpanId).toBe('');
    expect(received.child.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(received.child.traceId).toBe(received.parent.traceId);
    expect(received.child.spanId).toBe(child.spanContext().spanId);
    expect(received.child.parentSpanId).toBe(received.parent.spanId);

    expect(received.child.attributes).toEqual({
      'test.string': 'hello',
      'test.int': 42,
      'test.bool': true,
      'test.double': 1.5,
      'test.strings': ['a', 'b'],
    });
    expect(received.parent.kind).toBe(OTLP_SPAN_KIND_SERVER);
    expect(received.child.kind).toBe(OTLP_SPAN_KIND_INTERNAL);
    expect(received.child.statusCode).toBe(OTLP_STATUS_CODE_ERROR);
    expect(received.child.startTimeUnixNano).toBeGreaterThan(0n);
    expect(received.child.endTimeUnixNano).toBeGreaterThanOrEqual(received.child.startTimeUnixNano);

    for (const span of spans) {
      expect(span.resource['service.name']).toBe('receiver-test');
      expect(span.scope).toBe('receiver-test-tracer');
    }
    expect(receiver.requests[0]?.contentType).toBe(contentType);
    expect(receiver.rejected).toBe(0);
  });
});

describe('startOtlpReceiver', () => {
  it('answers an empty protobuf ExportTraceServiceResponse to an empty protobuf request', async () => {
    const res = await postTraces(Buffer.alloc(0), { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('accepts gzip-compressed OTLP/JSON with 64-bit integers written as strings', async () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-service' } }] },
          scopeSpans: [
            {
              scope: { name: 'hand-written' },
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  name: 'json-op',
                  kind: 3,
                  startTimeUnixNano: '1544712660000000000',
                  endTimeUnixNano: '1544712661000000000',
                  attributes: [
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'small', value: { intValue: '7' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postTraces(gzipSync(JSON.stringify(request)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(receiver.spans).toEqual([
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: '',
        name: 'json-op',
        kind: 3,
        startTimeUnixNano: 1544712660000000000n,
        endTimeUnixNano: 1544712661000000000n,
        attributes: { big: 9007199254740993n, small: 7 },
        resource: { 'service.name': 'json-service' },
        scope: 'hand-written',
        statusCode: 0,
      },
    ]);
  });

  it.each([
    ['a length prefix that overruns the body', Buffer.from([0x0a, 0xff, 0x01, 0x00])],
    ['text that is not protobuf at all', Buffer.from('definitely not protobuf')],
    ['a truncated varint', Buffer.from([0x08, 0x80])],
  ])('answers 400 and counts a rejection for a protobuf body with %s', async (_label, body) => {
    const res = await postTraces(body, { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(400);
    expect(receiver.rejected).toBe(1);
    expect(receiver.spans).toEqual([]);
  });

  it('answers 400 and counts a rejection for a body that is not JSON', async () => {
    const res = await postTraces('{"resourceSpans": [', { 'content-type': 'application/json' });

    expect(res.status).toBe(400);
    expect(receiver.rejected).toBe(1);
  });

  it('answers 404 for a path other than /v1/traces', async () => {
    const res = await postTraces('{}', { 'content-type': 'application/json' }, '/v1/metrics');

    expect(res.status).toBe(404);
    expect(receiver.requests).toEqual([]);
  });

  it('answers 415 for an unsupported content type and records the request', async () => {
    const res = await postTraces('hello', { 'content-type': 'text/plain' });

    expect(res.status).toBe(415);
    expect(receiver.requests).toEqual([{ contentType: 'text/plain' }]);
    expect(receiver.rejected).toBe(0);
  });

  it('rejects waitForSpans on timeout, naming the spans and services seen so far', async () => {
    const tracer = tracerExportingTo(new ProtoTraceExporter({ url: receiver.url + '/v1/traces' }));
    tracer.startSpan('only-span').end();
    await provider!.forceFlush();

    await expect(receiver.waitForSpans((seen) => seen.length > 1, 50)).rejects.toThrow(
      /saw 1 span\(s\): \[only-span\] from services \[receiver-test\]/,
    );
  });
});
