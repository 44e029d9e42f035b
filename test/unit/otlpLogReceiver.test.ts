import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SeverityNumber, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver';

// As in otlpReceiver.test.ts: the exporters' Node transport loads `http` with a dynamic import(),
// which jest's module sandbox rejects; Node's own require loads the real exporters outside it.
const nodeRequire = process.getBuiltinModule('node:module').createRequire(__filename);
const { OTLPLogExporter: ProtoLogExporter } = nodeRequire(
  '@opentelemetry/exporter-logs-otlp-proto',
) as typeof import('@opentelemetry/exporter-logs-otlp-proto');
const { OTLPLogExporter: JsonLogExporter } = nodeRequire(
  '@opentelemetry/exporter-logs-otlp-http',
) as typeof import('@opentelemetry/exporter-logs-otlp-http');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

let receiver: OtlpReceiver;
let provider: LoggerProvider | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
  await receiver.close();
});

function loggerExportingTo(exporter: LogRecordExporter) {
  provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test', 'deployment.environment.name': 'test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  return provider.getLogger('receiver-test-logger', '0.0.1');
}

function postLogs(body: string | Buffer, headers: Record<string, string>) {
  return fetch(`${receiver.url}/v1/logs`, { method: 'POST', headers, body });
}

describe.each([
  { encoding: 'protobuf', contentType: 'application/x-protobuf', createExporter: (url: string) => new ProtoLogExporter({ url }) },
  { encoding: 'JSON', contentType: 'application/json', createExporter: (url: string) => new JsonLogExporter({ url }) },
])('receiving log records from the real OTLP/$encoding exporter', ({ contentType, createExporter }) => {
  it('decodes severity, body, attributes, trace context, times, resource and scope', async () => {
    const logger = loggerExportingTo(createExporter(`${receiver.url}/v1/logs`));
    const time = new Date('2026-12-07T10:00:00.123Z');
    logger.emit({
      timestamp: time,
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'request completed',
      attributes: { route: '/v1/items/:id', status: 404, latency_ms: 1.5, cached: false, tags: ['a', 'b'], user: { plan: 'pro' } },
      context: trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }),
    });
    logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'info', body: 'outside a request', context: ROOT_CONTEXT });
    await provider!.forceFlush();

    const logs = await receiver.waitForLogs((seen) => seen.length === 2, 2_000);
    const [inRequest, outside] = logs;
    expect(inRequest).toMatchObject({
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'request completed',
      attributes: { route: '/v1/items/:id', status: 404, latency_ms: 1.5, cached: false, tags: ['a', 'b'], user: { plan: 'pro' } },
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: TraceFlags.SAMPLED,
      timeUnixNano: 1_796_637_600_123_000_000n,
      resource: { 'service.name': 'receiver-test', 'deployment.environment.name': 'test' },
      scope: 'receiver-test-logger',
    });
    expect(inRequest!.observedTimeUnixNano).toBeGreaterThan(0n);
    expect(outside).toMatchObject({ body: 'outside a request', severityNumber: SeverityNumber.INFO, traceId: '', spanId: '', attributes: {} });
    expect(receiver.logRequests[0]?.contentType).toBe(contentType);
    expect(receiver.requests).toEqual([]);
    expect(receiver.rejected).toBe(0);
  });

  it('answers the status given to failWith, counts it, keeps the body and no record', async () => {
    const logger = loggerExportingTo(createExporter(`${receiver.url}/v1/logs`));
    receiver.failWith(500);
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'lost to the collector' });
    await provider!.forceFlush();
    // The processor's flush does not wait for an export that failed.
    for (const deadline = Date.now() + 2_000; receiver.failed === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));

    expect(receiver.failed).toBe(1);
    expect(receiver.logs).toEqual([]);
    expect(Buffer.concat(receiver.bodies).includes('lost to the collector')).toBe(true);

    receiver.failWith(undefined);
    logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'delivered' });
    await provider!.forceFlush();
    expect((await receiver.waitForLogs((seen) => seen.length === 1, 2_000))[0]?.body).toBe('delivered');
  });
});

describe('startOtlpReceiver on /v1/logs', () => {
  it('accepts gzip-compressed OTLP/JSON with 64-bit integers written as strings and upper-case ids', async () => {
    const request = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-service' } }] },
          scopeLogs: [
            {
              scope: { name: 'hand-written' },
              logRecords: [
                {
                  timeUnixNano: '1544712660000000000',
                  severityNumber: 17,
                  severityText: 'error',
                  body: { stringValue: 'boom' },
                  attributes: [{ key: 'big', value: { intValue: '9007199254740993' } }],
                  flags: 1,
                  traceId: TRACE_ID.toUpperCase(),
                  spanId: SPAN_ID.toUpperCase(),
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postLogs(gzipSync(JSON.stringify(request)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect(receiver.logs).toEqual([
      {
        timeUnixNano: 1544712660000000000n,
        observedTimeUnixNano: 0n,
        severityNumber: 17,
        severityText: 'error',
        body: 'boom',
        attributes: { big: 9007199254740993n },
        flags: 1,
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: '',
        resource: { 'service.name': 'json-service' },
        scope: 'hand-written',
      },
    ]);
    expect(receiver.bodies.map(String)).toEqual([JSON.stringify(request)]);
    expect(receiver.logBodies).toEqual(receiver.bodies);
  });

  it.each([
    ['a length prefix that overruns the body', Buffer.from([0x0a, 0xff, 0x01, 0x00])],
    ['a trace id of the wrong wire type', Buffer.from([0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x48, 0x01])],
  ])('answers 400 and counts a rejection for a protobuf body with %s', async (_label, body) => {
    const res = await postLogs(body, { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(400);
    expect(receiver.rejected).toBe(1);
    expect(receiver.logs).toEqual([]);
  });

  it('rejects waitForLogs on timeout, naming the records seen so far', async () => {
    const logger = loggerExportingTo(new ProtoLogExporter({ url: `${receiver.url}/v1/logs` }));
    logger.emit({ severityText: 'info', body: 'only record' });
    await provider!.forceFlush();

    await expect(receiver.waitForLogs((seen) => seen.length > 1, 50)).rejects.toThrow(/saw 1 log record\(s\): \[info: only record\]/);
  });
});
