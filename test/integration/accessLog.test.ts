import { request as httpRequest } from 'node:http';
import express from 'express';
import request from 'supertest';
import { completedLine, listen, observedApp, waitForLines } from '../support/observedApp';

function app() {
  return observedApp((a) => {
    const items = express.Router();
    items.get('/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    items.get('/:id/fail', () => {
      throw new Error('kaput');
    });
    const v1 = express.Router();
    v1.use('/items', items);
    a.use('/v1', v1);
    a.post('/upload', (req, res) => {
      res.json({ size: JSON.stringify(req.body).length });
    });
    a.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    a.get('/forbidden', (_req, res) => {
      res.status(403).json({ no: true });
    });
    a.get('/stream', (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.write('data: one\n\n');
      res.write(Buffer.from('data: two\n\n'));
      res.end('data: [DONE]\n\n');
    });
    a.get('/endless', (_req, res) => {
      res.setHeader('content-type', 'text/event-stream');
      res.flushHeaders();
      const timer = setInterval(() => res.write('data: tick\n\n'), 5);
      res.on('close', () => clearInterval(timer));
    });
  });
}

describe('access log', () => {
  it('writes request started and request completed with every documented field', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/items/42?page=2').set('x-request-id', 'al-1').set('user-agent', 'jest');
    expect(res.status).toBe(200);
    const completed = await completedLine(logs, 'al-1');
    const [started] = logs.find('request started', 'al-1');
    expect(started).toMatchObject({
      level: 'info',
      service: 'test-service',
      version: '1.2.3',
      env: 'development',
      target: 'http',
      request_id: 'al-1',
      method: 'GET',
      url: '/v1/items/42?page=2',
      bytes_in: 0,
      user_agent: 'jest',
    });
    expect(started?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(completed).toMatchObject({
      level: 'info',
      target: 'http',
      method: 'GET',
      route: '/v1/items/:id',
      status: 200,
      bytes_in: 0,
      bytes_out: Buffer.byteLength(JSON.stringify({ id: '42' })),
      outcome: 'completed',
    });
    expect(completed.url).toBeUndefined();
    expect(typeof completed.latency_ms).toBe('number');
    expect(completed.latency_ms as number).toBeGreaterThanOrEqual(0);
    expect(completed.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(completed.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps the route template when an error leaves nested routers', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/items/7/fail').set('x-request-id', 'al-2');
    expect(res.status).toBe(500);
    const completed = await completedLine(logs, 'al-2');
    expect(completed).toMatchObject({ level: 'error', route: '/v1/items/:id/fail', status: 500 });
  });

  it('labels requests no route matched as unmatched, never with the raw path', async () => {
    const { app: server, logs } = app();
    await request(server).get('/no/such/path/123').set('x-request-id', 'al-3').expect(404);
    const completed = await completedLine(logs, 'al-3');
    expect(completed).toMatchObject({ level: 'warn', route: 'unmatched', status: 404 });
  });

  it('logs 4xx at warn and 5xx at error', async () => {
    const { app: server, logs } = app();
    await request(server).get('/forbidden').set('x-request-id', 'al-4');
    expect(await completedLine(logs, 'al-4')).toMatchObject({ level: 'warn', status: 403, route: '/forbidden' });
  });

  it('counts bytes written by a streamed response, chunk by chunk', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/stream').set('x-request-id', 'al-5');
    const completed = await completedLine(logs, 'al-5');
    expect(completed.bytes_out).toBe(Buffer.byteLength(res.text));
    expect(completed.bytes_out).toBe(Buffer.byteLength('data: one\n\ndata: two\n\ndata: [DONE]\n\n'));
  });

  it('counts bytes once, with the mounted template, in an app mounted in another', async () => {
    const { app: server, logs } = observedApp((a) => {
      const inner = express();
      inner.get('/things/:id', (req, res) => {
        res.write('part;');
        res.end(`thing ${req.params.id}`);
      });
      a.use('/sub', inner);
    });
    for (const id of ['sub-1', 'sub-2']) {
      const res = await request(server).get(`/sub/things/${id}`).set('x-request-id', id);
      expect(res.text).toBe(`part;thing ${id}`);
      const line = await completedLine(logs, id);
      expect(line).toMatchObject({ route: '/sub/things/:id', bytes_out: Buffer.byteLength(`part;thing ${id}`) });
    }
  });

  it('counts request bytes from content-length and from a chunked body', async () => {
    const { app: server, logs } = app();
    const body = JSON.stringify({ text: 'x'.repeat(500) });
    await request(server).post('/upload').set('content-type', 'application/json').set('x-request-id', 'al-6').send(body);
    expect((await completedLine(logs, 'al-6')).bytes_in).toBe(Buffer.byteLength(body));

    const { port, close } = await listen(server);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          { port, host: '127.0.0.1', method: 'POST', path: '/upload', headers: { 'content-type': 'application/json', 'x-request-id': 'al-7' } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 100));
        req.write(body.slice(100));
        req.end();
      });
      expect((await completedLine(logs, 'al-7')).bytes_in).toBe(Buffer.byteLength(body));
    } finally {
      await close();
    }
  });

  it('logs a stream the client left as client_aborted at warn, with the bytes sent until then', async () => {
    const { app: server, logs } = app();
    const { port, close } = await listen(server);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest({ port, host: '127.0.0.1', path: '/endless', headers: { 'x-request-id': 'al-8' } }, (res) => {
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received >= 5 * 'data: tick\n\n'.length) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', () => undefined);
        req.on('timeout', reject);
        req.end();
      });
      const completed = await completedLine(logs, 'al-8');
      expect(completed).toMatchObject({ level: 'warn', outcome: 'client_aborted', route: '/endless', status: 200 });
      expect(completed.bytes_out as number).toBeGreaterThanOrEqual(5 * 'data: tick\n\n'.length);
      expect((completed.bytes_out as number) % 'data: tick\n\n'.length).toBe(0);
    } finally {
      await close();
    }
  });

  it('writes exactly one completed line per request', async () => {
    const { app: server, logs } = app();
    await request(server).get('/v1/items/1').set('x-request-id', 'al-9');
    await completedLine(logs, 'al-9');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logs.find('request completed', 'al-9')).toHaveLength(1);
  });

  it('leaves health and metrics paths out by default', async () => {
    const { app: server, logs } = app();
    await request(server).get('/health').set('x-request-id', 'al-10').expect(200);
    await request(server).get('/v1/items/1').set('x-request-id', 'al-11');
    await completedLine(logs, 'al-11');
    expect(logs.lines.filter((l) => l.request_id === 'al-10')).toEqual([]);
  });

  it('logs health paths when the exclusion list is emptied', async () => {
    const { app: server, logs } = observedApp(
      (a) => a.get('/health', (_req, res) => void res.json({ ok: true })),
      { accessLog: { excludePaths: [] } },
    );
    await request(server).get('/health').set('x-request-id', 'al-12');
    expect(await completedLine(logs, 'al-12')).toMatchObject({ route: '/health' });
  });

  it('writes no access lines when the access log is switched off, but keeps ids', async () => {
    const { app: server, logs } = observedApp((a) => a.get('/x', (_req, res) => void res.json({})), { accessLog: false });
    const res = await request(server).get('/x');
    expect(res.headers['x-request-id']).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.lines.filter((l) => l.target === 'http')).toEqual([]);
  });

  it('logs nothing below the configured level', async () => {
    const { app: server, logs } = observedApp((a) => a.get('/x', (_req, res) => void res.json({})), { logLevel: 'warn' });
    await request(server).get('/x');
    await request(server).get('/missing').set('x-request-id', 'al-13');
    await waitForLines(logs, (l) => l.request_id === 'al-13' && l.message === 'request completed');
    expect(logs.lines.filter((l) => l.level === 'info')).toEqual([]);
  });
});
