import { get, type OutgoingHttpHeaders } from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { assertTraceparent } from '../../src/testing';
import { completedLine, listen, observedApp } from '../support/observedApp';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;

/** Node's client sends an array header as repeated header lines, as a proxy chain might. */
async function getWithHeaders(server: Express, headers: OutgoingHttpHeaders) {
  const { port, close } = await listen(server);
  try {
    return await new Promise<{ traceparent: string; body: Record<string, Record<string, string>> }>((resolve, reject) => {
      get({ port, host: '127.0.0.1', path: '/v1/onward', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ traceparent: String(res.headers.traceparent), body: JSON.parse(text) }));
      }).on('error', reject);
    });
  } finally {
    await close();
  }
}

function app() {
  return observedApp((a, obs) => {
    a.get('/v1/onward', (_req, res) => {
      res.json({ first: obs.outgoingHeaders(), second: obs.outgoingHeaders() });
    });
  });
}

describe('trace context', () => {
  it('continues a valid trace with a new span id of its own and logs it', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/onward').set('traceparent', VALID).set('x-request-id', 'trace-1');
    const answered = assertTraceparent(res.headers.traceparent);
    expect(answered.traceId).toBe(TRACE_ID);
    expect(answered.parentId).not.toBe(PARENT_ID);
    expect(answered.traceFlags).toBe(1);
    const line = await completedLine(logs, 'trace-1');
    expect(line.trace_id).toBe(TRACE_ID);
    expect(line.span_id).toBe(answered.parentId);
  });

  it('keeps the caller not-sampled flag', async () => {
    const res = await request(app().app).get('/v1/onward').set('traceparent', `00-${TRACE_ID}-${PARENT_ID}-00`);
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it('starts a new sampled trace when none is sent', async () => {
    const res = await request(app().app).get('/v1/onward');
    const answered = assertTraceparent(res.headers.traceparent);
    expect(answered.traceId).not.toBe(TRACE_ID);
    expect(answered.traceFlags).toBe(1);
  });

  it.each([
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['non-hex version', `0g-${TRACE_ID}-${PARENT_ID}-01`],
    ['uppercase trace id', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['uppercase parent id', `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ['long parent id', `00-${TRACE_ID}-${PARENT_ID}0-01`],
    ['non-hex flags', `00-${TRACE_ID}-${PARENT_ID}-0z`],
    ['trailing data on version 00', `${VALID}-extra`],
    ['underscore delimiters', `00_${TRACE_ID}_${PARENT_ID}_01`],
    ['missing flags', `00-${TRACE_ID}-${PARENT_ID}`],
    ['future version too short', `01-${TRACE_ID}-${PARENT_ID}-0`],
    ['future version with a non-dash after the flags', `01-${TRACE_ID}-${PARENT_ID}-01x`],
    ['garbage', 'not-a-traceparent'],
  ])('restarts the trace for %s and drops tracestate', async (_name, traceparent) => {
    const { app: server } = app();
    const res = await request(server).get('/v1/onward').set('traceparent', traceparent).set('tracestate', 'vendor=value');
    const answered = assertTraceparent(res.headers.traceparent);
    expect(answered.traceId).not.toBe(TRACE_ID);
    expect(res.body.first.tracestate).toBeUndefined();
  });

  it('continues a future version that has extra fields', async () => {
    const res = await request(app().app).get('/v1/onward').set('traceparent', `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`);
    expect(assertTraceparent(res.headers.traceparent)).toMatchObject({ version: '00', traceId: TRACE_ID });
  });

  it('restarts when traceparent is sent twice', async () => {
    const res = await getWithHeaders(app().app, { traceparent: [VALID, `00-${'1'.repeat(32)}-${PARENT_ID}-01`] });
    const answered = assertTraceparent(res.traceparent);
    expect(answered.traceId).not.toBe(TRACE_ID);
    expect(answered.traceId).not.toBe('1'.repeat(32));
  });

  it('gives each call onward a new parent id under the same trace, with tracestate and request id', async () => {
    const res = await request(app().app)
      .get('/v1/onward')
      .set('traceparent', VALID)
      .set('tracestate', 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7')
      .set('x-request-id', 'onward-1');
    const { first, second } = res.body;
    const a = assertTraceparent(first.traceparent);
    const b = assertTraceparent(second.traceparent);
    const own = assertTraceparent(res.headers.traceparent);
    expect(a.traceId).toBe(TRACE_ID);
    expect(b.traceId).toBe(TRACE_ID);
    expect(new Set([a.parentId, b.parentId, own.parentId, PARENT_ID]).size).toBe(4);
    expect(first.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(first['x-request-id']).toBe('onward-1');
  });

  it('drops a tracestate that breaks the grammar but keeps the trace', async () => {
    const res = await request(app().app).get('/v1/onward').set('traceparent', VALID).set('tracestate', 'Upper=1');
    expect(assertTraceparent(res.headers.traceparent).traceId).toBe(TRACE_ID);
    expect(res.body.first.tracestate).toBeUndefined();
  });

  it('combines tracestate sent in two headers', async () => {
    const res = await getWithHeaders(app().app, { traceparent: VALID, tracestate: ['a=1', 'b=2'] });
    expect(res.body.first?.tracestate).toBe('a=1,b=2');
  });

  it('answers outgoingHeaders() with nothing outside a request', () => {
    expect(app().obs.outgoingHeaders()).toEqual({});
  });
});
