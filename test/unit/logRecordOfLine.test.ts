import { ROOT_CONTEXT, SeverityNumber, trace } from '@opentelemetry/api';
import { logRecordOfLine } from '../../src/logRecordOfLine';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

function line(members: Record<string, unknown>): string {
  return JSON.stringify({ timestamp: '2026-12-07T10:00:00.123Z', level: 'info', message: 'hello', service: 'svc', ...members });
}

describe('logRecordOfLine', () => {
  it('makes the level the severity, the message the body, the time the timestamp and every other member an attribute', () => {
    const record = logRecordOfLine(
      line({ level: 'warn', message: 'request completed', request_id: 'r-1', route: '/v1/items/:id', status: 404, latency_ms: 1.25, trace_id: TRACE_ID, span_id: SPAN_ID, user: { plan: 'pro' } }),
    )!;
    expect(record).toMatchObject({
      timestamp: new Date('2026-12-07T10:00:00.123Z'),
      severityNumber: SeverityNumber.WARN,
      severityText: 'warn',
      body: 'request completed',
      attributes: { service: 'svc', request_id: 'r-1', route: '/v1/items/:id', status: 404, latency_ms: 1.25, user: { plan: 'pro' } },
    });
    expect(trace.getSpanContext(record.context!)).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 });
  });

  it.each([
    ['fatal', SeverityNumber.FATAL],
    ['error', SeverityNumber.ERROR],
    ['info', SeverityNumber.INFO],
    ['http', SeverityNumber.DEBUG3],
    ['verbose', SeverityNumber.DEBUG2],
    ['debug', SeverityNumber.DEBUG],
    ['silly', SeverityNumber.TRACE],
    ['custom', SeverityNumber.UNSPECIFIED],
  ])('maps level %s to severity %d', (level, severity) => {
    expect(logRecordOfLine(line({ level }))?.severityNumber).toBe(severity);
  });

  it('gives a line outside a request (or with ids that are not W3C ids) the root context, never the active one', () => {
    expect(logRecordOfLine(line({}))?.context).toBe(ROOT_CONTEXT);
    expect(logRecordOfLine(line({ trace_id: '0'.repeat(32), span_id: SPAN_ID }))?.context).toBe(ROOT_CONTEXT);
    expect(logRecordOfLine(line({ trace_id: TRACE_ID }))?.context).toBe(ROOT_CONTEXT);
  });

  it('returns undefined for JSON that is not an object, and throws for text that is not JSON', () => {
    expect(logRecordOfLine('[1,2]')).toBeUndefined();
    expect(() => logRecordOfLine('{"cut')).toThrow();
  });
});
