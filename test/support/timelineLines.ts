/**
 * Log lines shaped like the ones the gateway, a competitor and a sandbox child write for
 * one streamed request with a tool call (copied from a real run, trimmed), for the
 * timeline tool's tests.
 */
export const REQUEST_ID = 'req-0001';
export const TRACE_ID = '15891d92bd541071d9ddad64134a4196';
export const OTHER_REQUEST_ID = 'req-0002';
export const OTHER_TRACE_ID = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

export type Line = Record<string, unknown>;

const T0 = Date.parse('2026-11-22T15:21:10.000Z');

/** The ISO timestamp `ms` after the request arrived. */
export function at(ms: number): string {
  return new Date(T0 + ms).toISOString();
}

function gateway(ms: number, message: string, fields: Line = {}): Line {
  return { timestamp: at(ms), level: 'info', message, service: 'gateway', target: 'gateway', request_id: REQUEST_ID, trace_id: TRACE_ID, span_id: 'e0d7cfcb8b2bffc3', ...fields };
}

function competitor(ms: number, message: string, fields: Line = {}): Line {
  return { timestamp: at(ms), level: 'info', message, service: 'competitor-fast', target: 'tool', request_id: REQUEST_ID, trace_id: TRACE_ID, span_id: '6f4a6d6f608bf7cf', ...fields };
}

function sandbox(ms: number, message: string, fields: Line = {}): Line {
  // The child knows the trace from TRACEPARENT, not the request id.
  return { timestamp: at(ms), level: 'info', message, service: 'sandbox', trace_id: TRACE_ID, span_id: 'f1c408c72e56a17f', call_id: 'call_1', tool: 'calc', pid: 31970, ...fields };
}

export function gatewayLines(): Line[] {
  return [
    gateway(0, 'request started', { target: 'http', method: 'POST', url: '/v1/chat/completions', bytes_in: 84 }),
    gateway(10, 'upstream call started', { competitor_id: 'fast', stream: true }),
    gateway(31, 'upstream answered', { competitor_id: 'fast', upstream_status: 200, upstream_headers_ms: 21.88 }),
    gateway(37, 'first token', { competitor_id: 'fast', upstream_ttft_ms: 27.718 }),
    gateway(38, 'stream event', { janus_event: 'tool_start', payload: { tool: 'calc', call_id: 'call_1' } }),
    gateway(407, 'stream event', { janus_event: 'tool_end', payload: { tool: 'calc', call_id: 'call_1', outcome: 'ok' } }),
    gateway(846, 'request completed', {
      target: 'http',
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      latency_ms: 846.633,
      bytes_out: 8139,
      outcome: 'completed',
      ttft_ms: 37.848,
      max_gap_ms: 368.981,
      events: 40,
    }),
  ];
}

export function competitorLines(): Line[] {
  return [
    competitor(13, 'request started', { target: 'http', method: 'POST', url: '/v1/chat/completions' }),
    competitor(29, 'event', { target: 'events', event: 'worker.started', measurements: { startup_ms: 2.6 }, metadata: { pool: 'sandbox', worker_id: 0, pid: 31970 } }),
    competitor(30, 'tool call started', { tool: 'calc', call_id: 'call_1' }),
    competitor(31, 'sandbox started', { target: 'sandbox', tool: 'calc', call_id: 'call_1', pid: 31970, spawn_ms: 2.627 }),
    competitor(406, 'tool call finished', { tool: 'calc', call_id: 'call_1', outcome: 'ok', duration_ms: 372.472, pid: 31970 }),
    competitor(844, 'request completed', { target: 'http', status: 200, bytes_out: 8139, outcome: 'completed', ttft_ms: 17.965 }),
  ];
}

export function sandboxLines(): Line[] {
  return [sandbox(392, 'sandbox call started'), sandbox(396, 'sandbox call finished', { duration_ms: 3.197, ok: true })];
}

/** Another request's lines, which no timeline of REQUEST_ID may show. */
export function otherRequestLines(): Line[] {
  return [
    { timestamp: at(5), level: 'info', message: 'request started', service: 'gateway', request_id: OTHER_REQUEST_ID, trace_id: OTHER_TRACE_ID },
    { timestamp: at(50), level: 'info', message: 'sandbox call started', service: 'sandbox', trace_id: OTHER_TRACE_ID },
    { timestamp: at(900), level: 'info', message: 'request completed', service: 'gateway', request_id: OTHER_REQUEST_ID, trace_id: OTHER_TRACE_ID, status: 200 },
    { timestamp: at(1), level: 'info', message: 'gateway listening', service: 'gateway', port: 8080 },
  ];
}

export function jsonl(lines: readonly Line[]): string {
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}
