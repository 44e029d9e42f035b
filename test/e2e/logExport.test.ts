/**
 * End-to-end log export: a real service in a child process (jest's module sandbox defeats the
 * OTLP exporters) with OTEL_LOGS_EXPORTER=otlp, exporting over real OTLP/HTTP to an in-test
 * receiver. See test/fixtures/loggedService.ts for the service.
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startService, stopAllServices, type ChildService, type LogLine } from '../support/childService';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedLogRecord } from '../support/otlpReceiver';

const TEST_TIMEOUT_MS = 40_000;
const SECRETS = { queryKey: ['sk', 'proj', 'Zq9Xw8Vu7Ts6Rq5Po4Nm3Lk2'].join('-'), bearer: 'opaque-bearer-e2e-7c41d2' };
/** At LOG_SAMPLING_RATE_INFO=0.5 sightline keeps the trace ids whose last 8 hex digits are below 0x80000000. */
const KEPT_TRACE = '5b8efff798038103d269b63300000001';
const DROPPED_TRACE = '5b8efff798038103d269b633fffffffe';

let receiver: OtlpReceiver;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  await stopAllServices();
  await receiver.close();
});

function exportEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OBS_TRACING_ENABLED: 'false',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    APP_ENV: 'staging',
    OTEL_RESOURCE_ATTRIBUTES: 'team=checkout',
    ...extra,
  };
}

function get(service: ChildService, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { headers });
}

const byRequest = (records: readonly ReceivedLogRecord[], requestId: string) =>
  records.filter((record) => record.attributes.request_id === requestId);
const linesOf = (lines: readonly LogLine[], requestId: string) => lines.filter((line) => line.request_id === requestId);

async function exportFailures(service: ChildService): Promise<number> {
  const text = await (await get(service, '/metrics')).text();
  return Number(/^sightline_log_failures_total\{kind="export"\} (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each([
  { protocol: 'http/protobuf', tracing: 'false', contentType: 'application/x-protobuf' },
  { protocol: 'http/json', tracing: 'true', contentType: 'application/json' },
])('log lines over OTLP ($protocol, tracing $tracing)', ({ protocol, tracing, contentType }) => {
  test(
    'each kept line arrives with severity, body, attributes and the stdout line\'s ids; no secret, no sampled-out line',
    async () => {
      const service = await startService({
        name: 'orders',
        fixture: 'loggedService.ts',
        env: exportEnv({ OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: protocol, OBS_TRACING_ENABLED: tracing, LOG_SAMPLING_RATE_INFO: '0.5' }),
      });
      const kept = await get(service, `/v1/orders/7?api_key=${SECRETS.queryKey}&page=2`, {
        authorization: `Bearer ${SECRETS.bearer}`,
        traceparent: `00-${KEPT_TRACE}-00f067aa0ba902b7-01`,
        'x-request-id': 'e2e-kept',
      });
      expect(kept.status).toBe(200);
      const dropped = await get(service, '/v1/orders/8', { traceparent: `00-${DROPPED_TRACE}-00f067aa0ba902b7-01`, 'x-request-id': 'e2e-dropped' });
      expect(dropped.status).toBe(200);

      const records = await receiver.waitForLogs((seen) => byRequest(seen, 'e2e-kept').length === 3, 10_000);
      const stdout = linesOf(await service.waitForLogLines((lines) => linesOf(lines, 'e2e-kept').length === 3), 'e2e-kept');
      const exported = byRequest(records, 'e2e-kept');
      expect(exported.map((record) => record.body)).toEqual(stdout.map((line) => line.message));
      for (const [index, record] of exported.entries()) {
        const { timestamp, level, message, trace_id, span_id, ...fields } = stdout[index]!;
        expect(record).toMatchObject({ body: message, severityNumber: 9, severityText: level, traceId: trace_id, spanId: span_id, attributes: fields });
        expect(record.timeUnixNano / 1_000_000n).toBe(BigInt(Date.parse(String(timestamp))));
      }
      expect(exported[0]?.traceId).toBe(KEPT_TRACE);
      expect(exported[2]?.attributes).toMatchObject({ service: 'orders', route: '/v1/orders/:id', status: 200, method: 'GET' });
      expect(typeof exported[2]?.attributes.latency_ms).toBe('number');
      expect(exported[0]?.attributes.url).toBe('/v1/orders/7?api_key=[REDACTED]&page=2');
      expect((exported[1]?.attributes.headers as Record<string, unknown>).authorization).toBe('[REDACTED]');
      expect(exported[0]?.resource).toMatchObject({
        'service.name': 'orders',
        'service.version': '3.1.4',
        'deployment.environment.name': 'staging',
        team: 'checkout',
      });
      expect(receiver.logRequests.every((r) => r.contentType === contentType)).toBe(true);

      await service.stop();
      expect(byRequest(receiver.logs, 'e2e-dropped')).toEqual([]);
      expect(receiver.logs.filter((record) => record.traceId === DROPPED_TRACE)).toEqual([]);
      // Log exports only: with tracing on, instrumentation-http's server span carries `url.query` as sent.
      const received = Buffer.concat(receiver.logBodies);
      expect(received.length).toBeGreaterThan(0);
      for (const secret of Object.values(SECRETS)) expect(received.includes(secret)).toBe(false);
      expect(receiver.rejected).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('log export when the collector fails', () => {
  test(
    'a collector answering 500: requests still answer 200, the failures are counted, export resumes when it recovers',
    async () => {
      receiver.failWith(500);
      const service = await startService({ name: 'orders', fixture: 'loggedService.ts', env: exportEnv() });
      for (let i = 0; i < 5; i++) expect((await get(service, `/v1/orders/${i}`)).status).toBe(200);

      await eventually(async () => receiver.failed > 0 && (await exportFailures(service)) > 0, 'an export failure counted');
      expect(receiver.logs).toEqual([]);

      receiver.failWith(undefined);
      expect((await get(service, '/v1/orders/after', { 'x-request-id': 'after-recovery' })).status).toBe(200);
      await receiver.waitForLogs((seen) => byRequest(seen, 'after-recovery').length === 3, 10_000);
      expect(service.stderr()).not.toMatch(/Error|unhandled/i);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'no collector at all: requests still answer 200, the failures are counted, shutdown ends',
    async () => {
      const closed = createServer();
      closed.listen(0, '127.0.0.1');
      await once(closed, 'listening');
      const { port } = closed.address() as AddressInfo;
      closed.close();
      const service = await startService({
        name: 'orders',
        fixture: 'loggedService.ts',
        env: exportEnv({ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `http://127.0.0.1:${port}/v1/logs`, OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '500' }),
      });
      for (let i = 0; i < 5; i++) expect((await get(service, `/v1/orders/${i}`)).status).toBe(200);

      await eventually(async () => (await exportFailures(service)) > 0, 'an export failure counted');
      await service.stop();
      expect(await service.exited()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('log export on shutdown', () => {
  test(
    'records still batched when the service stops are exported by obs.shutdown()',
    async () => {
      const service = await startService({ name: 'orders', fixture: 'loggedService.ts', env: exportEnv({ OTEL_BLRP_SCHEDULE_DELAY: '60000' }) });
      expect((await get(service, '/v1/orders/9', { 'x-request-id': 'before-stop' })).status).toBe(200);
      await service.waitForLogLines((lines) => linesOf(lines, 'before-stop').length === 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.logs).toEqual([]);

      await service.stop();
      expect(byRequest(receiver.logs, 'before-stop').map((record) => record.body)).toEqual(['request started', 'order loaded', 'request completed']);
      expect(await service.exited()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT_MS,
  );
});
