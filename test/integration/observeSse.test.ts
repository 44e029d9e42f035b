import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { metricValue } from '../../src/testing';
import { completedLine, listen, observedApp } from '../support/observedApp';

function sseApp() {
  return observedApp(
    (app, obs) => {
      app.get('/v1/stream', obs.observeSse({ upstream: 'baseline' }), (_req, res) => {
        // Each write waits on the one before, so a busy event loop stretches the gaps but never merges them.
        res.write(': ping\n\n');
        setTimeout(() => {
          res.write('data: {"n":1}\n\n');
          setTimeout(() => {
            res.write('data: {"n":2}\n\n');
            setTimeout(() => res.end('data: [DONE]\n\n'), 10);
          }, 30);
        }, 30);
      });
      app.get('/v1/failing', obs.observeSse({ upstream: 'flaky' }), (_req, res) => {
        const stream = obs.observeStream(_req, res);
        res.write('data: {"n":1}\n\n');
        stream.fail('upstream_error', 'upstream reset the connection');
        res.end('event: error\ndata: {"error":"upstream failed"}\n\n');
      });
      app.get(
        '/v1/judged-badly',
        obs.observeSse({
          upstream: 'baseline',
          isContent: () => {
            throw new Error('a broken judge');
          },
        }),
        (_req, res) => {
          res.write('data: {"n":1}\n\n');
          res.end('data: [DONE]\n\n');
        },
      );
      app.get('/v1/long-line', obs.observeSse({ upstream: 'baseline', maxFrameBytes: 64 * 1024 }), (_req, res) => {
        res.write('data: {"n":1}\n\n');
        res.write(`data: ${'x'.repeat(512 * 1024)}`);
        res.end('\n\ndata: {"n":2}\n\n');
      });
      app.get('/v1/endless', obs.observeSse({ upstream: 'somewhere-else' }), (_req, res) => {
        res.flushHeaders();
        const timer = setInterval(() => res.write('data: tick\n\n'), 10);
        res.on('close', () => clearInterval(timer));
      });
    },
    { streams: { upstreams: ['baseline', 'flaky'] } },
  );
}

describe('observeSse', () => {
  it('writes the stream figures into its request completed line', async () => {
    const { app, logs } = sseApp();
    const res = await request(app).get('/v1/stream').set('x-request-id', 'sse-1');
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const line = await completedLine(logs, 'sse-1');
    expect(line).toMatchObject({ route: '/v1/stream', status: 200, outcome: 'completed', upstream: 'baseline', events: 3, keepalives: 1 });
    expect(line.ttft_ms).toBeGreaterThanOrEqual(25);
    expect(line.max_gap_ms).toBeGreaterThanOrEqual(20);
    expect(line.max_content_gap_ms).toBeGreaterThanOrEqual(5);
    expect(line.bytes_out).toBe(Buffer.byteLength(': ping\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n'));
  });

  it('records stream metrics per upstream', async () => {
    const { app, obs } = sseApp();
    await request(app).get('/v1/stream');
    await request(app).get('/v1/stream');
    const registry = obs.metrics.registry;
    expect(await metricValue(registry, 'streams_total', { upstream: 'baseline', outcome: 'completed' })).toBe(2);
    expect(await metricValue(registry, 'stream_time_to_first_event_seconds_count', { upstream: 'baseline' })).toBe(2);
    expect(await metricValue(registry, 'stream_max_gap_seconds_count', { upstream: 'baseline' })).toBe(2);
    expect(await metricValue(registry, 'stream_events_total', { upstream: 'baseline' })).toBe(6);
    expect(await metricValue(registry, 'streams_active', { upstream: 'baseline' })).toBe(0);
  });

  it('contains an isContent callback that throws: the response is written whole, the failure counted', async () => {
    const { app, obs, logs } = sseApp();
    const res = await request(app).get('/v1/judged-badly').set('x-request-id', 'sse-judge');
    expect(res.status).toBe(200);
    expect(res.text).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
    const line = await completedLine(logs, 'sse-judge');
    expect(line).toMatchObject({ status: 200, outcome: 'completed', events: 2 });
    expect(line.ttft_ms).toBeUndefined();
    expect(await metricValue(obs.metrics.registry, 'sightline_stream_observation_failures_total', { upstream: 'baseline' })).toBe(2);
  });

  it('stops parsing a stream whose unfinished line passes maxFrameBytes, counting it, and still writes every byte', async () => {
    const { app, obs, logs } = sseApp();
    const res = await request(app).get('/v1/long-line').set('x-request-id', 'sse-long');
    expect(res.text.length).toBe(15 + 6 + 512 * 1024 + 17);
    const line = await completedLine(logs, 'sse-long');
    expect(line).toMatchObject({ status: 200, outcome: 'completed', events: 1, bytes_out: res.text.length });
    expect(await metricValue(obs.metrics.registry, 'sightline_stream_observation_failures_total', { upstream: 'baseline' })).toBe(1);
  });

  it('reports an upstream failure as the outcome, with its reason', async () => {
    const { app, obs, logs } = sseApp();
    await request(app).get('/v1/failing').set('x-request-id', 'sse-fail');
    const line = await completedLine(logs, 'sse-fail');
    expect(line).toMatchObject({ outcome: 'upstream_error', outcome_reason: 'upstream reset the connection', level: 'warn' });
    expect(await metricValue(obs.metrics.registry, 'streams_total', { upstream: 'flaky', outcome: 'upstream_error' })).toBe(1);
  });

  it('counts a client leaving as client_aborted, labels unknown upstreams other, and empties the gauge', async () => {
    const { app, obs, logs } = sseApp();
    const server = await listen(app);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ port: server.port, path: '/v1/endless', headers: { 'x-request-id': 'sse-abort' } }, (res) => {
          let seen = 0;
          res.on('data', () => {
            seen += 1;
            if (seen === 3) req.destroy();
          });
          res.on('error', () => undefined);
          res.on('close', () => resolve());
        });
        req.on('error', () => resolve());
        req.setTimeout(5000, () => reject(new Error('stream never started')));
        req.end();
      });
      const line = await completedLine(logs, 'sse-abort');
      expect(line).toMatchObject({ outcome: 'client_aborted', upstream: 'other' });
      expect(await metricValue(obs.metrics.registry, 'streams_active', { upstream: 'other' })).toBe(0);
      expect(await metricValue(obs.metrics.registry, 'streams_total', { upstream: 'other', outcome: 'client_aborted' })).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses reserved upstream names at construction', () => {
    expect(() => observedApp(() => undefined, { streams: { upstreams: ['other'] } })).toThrow(/"other" is reserved/);
  });
});
