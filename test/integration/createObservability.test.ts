import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import TransportStream from 'winston-transport';
import { createObservability } from '../../middleware';
import { captureLogs } from '../../src/testing';
import { completedLine, observedApp, waitForLines } from '../support/observedApp';

class ThrowingTransport extends TransportStream {
  calls = 0;
  override log(): void {
    this.calls += 1;
    throw new Error('transport exploded');
  }
}

class ErroringTransport extends TransportStream {
  calls = 0;
  override log(_info: unknown, next: () => void): void {
    this.calls += 1;
    setImmediate(() => this.emit('error', new Error('remote sink unreachable')));
    next();
  }
}

describe('createObservability', () => {
  it('keeps two instances in one process apart: logs, contexts and settings', async () => {
    const a = observedApp((app, obs) => app.get('/x', (_req, res) => void res.json({ id: obs.context.get()?.requestId })), {
      service: 'svc-a',
    });
    const b = observedApp((app, obs) => app.get('/x', (_req, res) => void res.json({ id: obs.context.get()?.requestId })), {
      service: 'svc-b',
      logSamplingRateInfo: 0,
    });
    const [ra, rb] = await Promise.all([
      request(a.app).get('/x').set('x-request-id', 'inst-a'),
      request(b.app).get('/x').set('x-request-id', 'inst-b'),
    ]);
    expect(ra.body.id).toBe('inst-a');
    expect(rb.body.id).toBe('inst-b');
    await completedLine(a.logs, 'inst-a');
    expect(a.logs.lines.every((l) => l.service === 'svc-a' && l.request_id === 'inst-a')).toBe(true);
    expect(b.logs.lines).toEqual([]);
    // b's context store does not see a's request, even when a's code asks it.
    expect(b.obs.context.get()).toBeUndefined();
  });

  it('keeps answering 200 when a transport throws on every line, and counts the failures', async () => {
    const throwing = new ThrowingTransport();
    const logs = captureLogs();
    const obs = createObservability({ environment: {}, logger: { transports: [throwing, logs] } });
    const app = express();
    app.use(obs.middleware());
    app.get('/x', (_req, res) => {
      obs.logger.info('inside');
      res.json({ ok: true });
    });
    for (let i = 0; i < 20; i += 1) {
      await request(app).get('/x').set('x-request-id', `throw-${i}`).expect(200);
    }
    await completedLine(logs, 'throw-19');
    expect(throwing.calls).toBe(60);
    expect(obs.logStats().transportErrors).toBe(60);
    // The healthy transport beside it still got every line.
    expect(logs.find('inside')).toHaveLength(20);
  });

  it('keeps a transport that emits error attached, and counts the errors', async () => {
    const erroring = new ErroringTransport();
    const obs = createObservability({ environment: {}, logger: { transports: [erroring] } });
    const app = express();
    app.use(obs.middleware());
    app.get('/x', (_req, res) => void res.json({ ok: true }));
    for (let i = 0; i < 5; i += 1) await request(app).get('/x').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(erroring.calls).toBe(10);
    expect(obs.logStats().transportErrors).toBe(10);
  });

  it('contains a destination stream that fails', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE'));
      },
    });
    const obs = createObservability({ environment: {}, logger: { destination: failing } });
    const app = express();
    app.use(obs.middleware());
    app.get('/x', (_req, res) => void res.json({ ok: true }));
    await request(app).get('/x').expect(200);
    await request(app).get('/x').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(obs.logStats().transportErrors).toBeGreaterThanOrEqual(1);
  });

  it('becomes a pass-through when OBS_ENABLED=false', async () => {
    const logs = captureLogs();
    const obs = createObservability({ environment: { OBS_ENABLED: 'false' }, logger: { transports: [logs] } });
    const app = express();
    app.use(obs.middleware());
    app.get('/x', (_req, res) => void res.json({ context: obs.context.get() ?? null }));
    const res = await request(app).get('/x').set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ context: null });
    expect(res.headers['x-request-id']).toBeUndefined();
    expect(res.headers.traceparent).toBeUndefined();
    expect(logs.lines).toEqual([]);
  });

  it('writes JSON lines to its destination stream, flushed by shutdown', async () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const obs = createObservability({ environment: {}, service: 'stdout-test', logger: { destination } });
    obs.logger.info('one', { n: 1 });
    obs.logger.debug('hidden at info');
    obs.logger.info('two', { n: 2 });
    expect(chunks).toEqual([]);
    await obs.shutdown();
    await obs.shutdown();
    const lines = chunks.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.message, l.n, l.service, l.target])).toEqual([
      ['one', 1, 'stdout-test', 'app'],
      ['two', 2, 'stdout-test', 'app'],
    ]);
  });

  it('reports rejected environment values and logs them at startup', () => {
    const logs = captureLogs();
    const obs = createObservability({ environment: { LOG_SAMPLING_RATE_INFO: '7' }, logger: { transports: [logs] } });
    expect(obs.configErrors).toEqual([{ variable: 'LOG_SAMPLING_RATE_INFO', message: expect.stringMatching(/between 0 and 1/) }]);
    expect(obs.config.logSamplingRateInfo).toBe(1);
    expect(logs.find('configuration value rejected, default used')[0]).toMatchObject({
      level: 'warn',
      variable: 'LOG_SAMPLING_RATE_INFO',
    });
  });

  it('adds a handler field to the later lines of its request only', async () => {
    const { app, logs } = observedApp((a, obs) => {
      a.get('/x', (_req, res) => {
        obs.context.set('user_id', 'u-42');
        obs.logger.info('did something');
        res.json({});
      });
    });
    await request(app).get('/x').set('x-request-id', 'f-1');
    await request(app).get('/x').set('x-request-id', 'f-2');
    const completed = await completedLine(logs, 'f-1');
    expect(completed.user_id).toBe('u-42');
    expect(logs.find('request started', 'f-2')[0]?.user_id).toBeUndefined();
    expect(logs.find('did something', 'f-2')[0]?.user_id).toBe('u-42');
  });

  it('mirrors the context into a cls-hooked namespace when asked', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cls = require('cls-hooked') as typeof import('cls-hooked');
    const { app } = observedApp(
      (a) =>
        a.get('/legacy', async (_req, res) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const ns = cls.getNamespace('legacy-app');
          res.json({ requestId: ns?.get('requestId') as unknown, traceId: ns?.get('traceId') as unknown });
        }),
      { clsNamespace: 'legacy-app' },
    );
    const res = await request(app).get('/legacy').set('x-request-id', 'cls-1');
    expect(res.body.requestId).toBe('cls-1');
    expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores inbound ids and echoes none when requestId is switched off', async () => {
    const { app, logs } = observedApp((a) => a.get('/x', (_req, res) => void res.json({})), { requestId: false });
    const res = await request(app).get('/x').set('x-request-id', 'caller-chosen');
    expect(res.headers['x-request-id']).toBeUndefined();
    const [line] = await waitForLines(logs, (l) => l.message === 'request completed');
    expect(line?.request_id).not.toBe('caller-chosen');
  });

  it('answers no traceparent when trace context is switched off, but still logs a trace id', async () => {
    const { app, logs } = observedApp((a) => a.get('/x', (_req, res) => void res.json({})), { traceContext: false });
    const res = await request(app).get('/x');
    expect(res.headers.traceparent).toBeUndefined();
    const [line] = await waitForLines(logs, (l) => l.message === 'request completed');
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
