import { ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import request from 'supertest';
import { createObservability, type Observability } from '../../middleware';
import { captureLogs, type LogCapture } from '../../src/testing';
import { completedLine } from '../support/observedApp';

const PATCHED_NAMES = ['write', 'end', 'route', 'id'] as const;

function observed(service: string): { app: Express; obs: Observability; logs: LogCapture } {
  const logs = captureLogs();
  const obs = createObservability({ service, environment: {}, logger: { transports: [logs] } });
  const app = express();
  app.use(obs.middleware());
  app.get('/v1/chunks/:n', (req, res) => {
    const n = Number(req.params.n);
    for (let i = 0; i < n; i += 1) res.write(`chunk-${i};`);
    res.end('done');
  });
  return { app, obs, logs };
}

/** Own properties sightline may define on an app's request or response prototype. */
function ownPatches(app: Express): string[] {
  const request = app.request as object;
  const response = app.response as object;
  return PATCHED_NAMES.filter((name) => Object.prototype.hasOwnProperty.call(name === 'write' || name === 'end' ? response : request, name));
}

const body = (n: number): string => Array.from({ length: n }, (_, i) => `chunk-${i};`).join('') + 'done';

describe('patches of Express and Node objects', () => {
  it('keeps two apps with two instances in one process apart, each counting its own bytes once', async () => {
    const first = observed('first');
    const second = observed('second');
    await request(first.app).get('/v1/chunks/3').set('x-request-id', 'two-1');
    await request(second.app).get('/v1/chunks/5').set('x-request-id', 'two-2');
    await request(first.app).get('/v1/chunks/5').set('x-request-id', 'two-3');
    expect(await completedLine(first.logs, 'two-1')).toMatchObject({ service: 'first', route: '/v1/chunks/:n', bytes_out: body(3).length });
    expect(await completedLine(second.logs, 'two-2')).toMatchObject({ service: 'second', route: '/v1/chunks/:n', bytes_out: body(5).length });
    expect(await completedLine(first.logs, 'two-3')).toMatchObject({ bytes_out: body(5).length });
    expect(second.logs.lines.some((line) => line.request_id === 'two-1' || line.request_id === 'two-3')).toBe(false);
    expect(ownPatches(first.app)).toEqual(['write', 'end', 'route', 'id']);
    await Promise.all([first.obs.shutdown(), second.obs.shutdown()]);
  });

  it('calls the method as it is when called: a patch of ServerResponse.prototype applied later sees every byte too', async () => {
    const { app, obs, logs } = observed('late-patch');
    await request(app).get('/v1/chunks/1');
    const original = { write: ServerResponse.prototype.write, end: ServerResponse.prototype.end };
    let seenByAgent = 0;
    const count = (chunk: unknown): void => {
      if (typeof chunk === 'string') seenByAgent += Buffer.byteLength(chunk);
    };
    ServerResponse.prototype.write = function agentWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      count(chunk);
      return (original.write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    ServerResponse.prototype.end = function agentEnd(this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      count(chunk);
      return (original.end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as ServerResponse['end'];
    try {
      const res = await request(app).get('/v1/chunks/4').set('x-request-id', 'late-1');
      expect(res.text).toBe(body(4));
      expect(seenByAgent).toBe(body(4).length);
      expect(await completedLine(logs, 'late-1')).toMatchObject({ bytes_out: body(4).length });
    } finally {
      ServerResponse.prototype.write = original.write;
      ServerResponse.prototype.end = original.end;
      await obs.shutdown();
    }
  });

  it('removes every patch at shutdown: the app is left as found, and a fresh app sees none', async () => {
    const { app, obs, logs } = observed('shutdown');
    const writeBefore = ServerResponse.prototype.write;
    await request(app).get('/v1/chunks/2').set('x-request-id', 'before-shutdown');
    expect(ownPatches(app)).toEqual(['write', 'end', 'route', 'id']);
    await obs.shutdown();
    expect(ownPatches(app)).toEqual([]);
    expect(ServerResponse.prototype.write).toBe(writeBefore);

    // The app still serves, and nothing is patched again.
    const res = await request(app).get('/v1/chunks/2').set('x-request-id', 'after-shutdown');
    expect(res.text).toBe(body(2));
    expect(ownPatches(app)).toEqual([]);
    expect(await completedLine(logs, 'before-shutdown')).toMatchObject({ bytes_out: body(2).length });

    const fresh = express();
    let route: unknown;
    fresh.get('/v1/plain/:id', (req, res) => {
      route = (req as { route?: { path?: string } }).route?.path;
      res.end('plain');
    });
    expect((await request(fresh).get('/v1/plain/7')).text).toBe('plain');
    expect(route).toBe('/v1/plain/:id');
    expect(ownPatches(fresh)).toEqual([]);
  });

  it('shares a patch between two instances on one app and removes it when the last lets go', async () => {
    const logsA = captureLogs();
    const logsB = captureLogs();
    const a = createObservability({ service: 'a', environment: {}, logger: { transports: [logsA] } });
    const b = createObservability({ service: 'b', environment: {}, logger: { transports: [logsB] } });
    const app = express();
    app.use('/a', a.middleware());
    app.use('/b', b.middleware());
    app.get(['/a/x', '/b/x'], (_req, res) => res.end('xx'));
    await request(app).get('/a/x').set('x-request-id', 'shared-a');
    await request(app).get('/b/x').set('x-request-id', 'shared-b');
    expect(await completedLine(logsA, 'shared-a')).toMatchObject({ bytes_out: 2 });
    expect(await completedLine(logsB, 'shared-b')).toMatchObject({ bytes_out: 2 });
    await a.shutdown();
    expect(ownPatches(app)).toEqual(['write', 'end', 'route', 'id']);
    await request(app).get('/b/x').set('x-request-id', 'shared-b2');
    expect(await completedLine(logsB, 'shared-b2')).toMatchObject({ bytes_out: 2 });
    await b.shutdown();
    expect(ownPatches(app)).toEqual([]);
  });
});
