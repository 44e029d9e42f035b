import { connect } from 'node:net';
import request from 'supertest';
import { requestIdOf } from '../../middleware';
import { listen, observedApp, completedLine } from '../support/observedApp';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function app() {
  return observedApp((a, obs) => {
    a.get('/v1/whoami', (req, res) => {
      obs.logger.info('handler ran');
      res.json({ id: requestIdOf(req), context: obs.context.get()?.requestId });
    });
  });
}

/** Sends raw bytes, so headers Node's client would refuse still reach the server. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(head));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

function headerOf(response: string, name: string): string | undefined {
  const head = response.split('\r\n\r\n')[0] ?? '';
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe('request id', () => {
  it('keeps a valid inbound X-Request-Id, echoes it and logs it on every line', async () => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/whoami').set('X-Request-Id', 'abc.DEF_123:xyz-9');
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('abc.DEF_123:xyz-9');
    expect(res.body).toEqual({ id: 'abc.DEF_123:xyz-9', context: 'abc.DEF_123:xyz-9' });
    await completedLine(logs, 'abc.DEF_123:xyz-9');
    expect(logs.lines.map((l) => [l.message, l.request_id])).toEqual([
      ['request started', 'abc.DEF_123:xyz-9'],
      ['handler ran', 'abc.DEF_123:xyz-9'],
      ['request completed', 'abc.DEF_123:xyz-9'],
    ]);
  });

  it('generates a UUID v4 when none is sent', async () => {
    const res = await request(app().app).get('/v1/whoami');
    expect(res.headers['x-request-id']).toMatch(UUID_V4);
  });

  it('accepts exactly 128 characters and replaces 129', async () => {
    const ok = 'a'.repeat(128);
    expect((await request(app().app).get('/v1/whoami').set('X-Request-Id', ok)).headers['x-request-id']).toBe(ok);
    const long = 'a'.repeat(129);
    expect((await request(app().app).get('/v1/whoami').set('X-Request-Id', long)).headers['x-request-id']).toMatch(
      UUID_V4,
    );
  });

  it.each([
    ['a space', 'has space'],
    ['a slash', 'a/b'],
    ['quotes', '"quoted"'],
    ['angle brackets', '<script>'],
    ['non-ASCII', 'caf\u00e9'],
    ['a semicolon', 'a;b'],
    ['json', '{"a":1}'],
  ])('replaces an id with %s', async (_name, value) => {
    const { app: server, logs } = app();
    const res = await request(server).get('/v1/whoami').set('X-Request-Id', Buffer.from(value, 'latin1').toString('latin1'));
    expect(res.headers['x-request-id']).toMatch(UUID_V4);
    expect(JSON.stringify(logs.lines)).not.toContain(value);
  });

  it('replaces an empty id', async () => {
    const { port, close } = await listen(app().app);
    try {
      const response = await rawRequest(port, 'GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Request-Id:\r\nConnection: close\r\n\r\n');
      expect(headerOf(response, 'x-request-id')).toMatch(UUID_V4);
    } finally {
      await close();
    }
  });

  it('replaces a 10 KB id sent over a raw socket and never echoes or logs it', async () => {
    const { app: server, logs } = app();
    const { port, close } = await listen(server);
    try {
      const huge = 'b'.repeat(10 * 1024);
      const response = await rawRequest(
        port,
        `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${huge}\r\nConnection: close\r\n\r\n`,
      );
      expect(response.startsWith('HTTP/1.1 200')).toBe(true);
      expect(headerOf(response, 'x-request-id')).toMatch(UUID_V4);
      expect(response).not.toContain(huge);
      expect(JSON.stringify(logs.lines)).not.toContain('bbbbbbbbbbbbbbbb');
    } finally {
      await close();
    }
  });

  it('cannot be used to inject a header with CRLF', async () => {
    const { app: server, logs } = app();
    const { port, close } = await listen(server);
    try {
      // The CRLF ends the id's header line on the wire: the id is `abc`, `X-Injected` a header of its own.
      const response = await rawRequest(
        port,
        'GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\nX-Injected: evil\r\nConnection: close\r\n\r\n',
      );
      expect(headerOf(response, 'x-request-id')).toBe('abc');
      expect(headerOf(response, 'x-injected')).toBeUndefined();

      // A bare CR or LF inside the value is refused by Node's parser before any handler runs.
      const bare = await rawRequest(
        port,
        'GET /v1/whoami HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\rSet-Cookie: evil=1\r\nConnection: close\r\n\r\n',
      );
      expect(bare.startsWith('HTTP/1.1 400')).toBe(true);
      expect(bare.toLowerCase()).not.toContain('set-cookie');
      expect(JSON.stringify(logs.lines)).not.toContain('evil');
    } finally {
      await close();
    }
  });

  it('keeps one request id per request when requests overlap', async () => {
    const { app: server, logs } = observedApp((a, obs) => {
      a.get('/v1/slow/:n', async (req, res) => {
        await new Promise((resolve) => setTimeout(resolve, Number(req.params.n)));
        obs.logger.info('after wait');
        res.json({ context: obs.context.get()?.requestId });
      });
    });
    const ids = Array.from({ length: 20 }, (_, i) => `req-${i}`);
    const responses = await Promise.all(
      ids.map((id, i) => request(server).get(`/v1/slow/${(i * 7) % 30}`).set('X-Request-Id', id)),
    );
    responses.forEach((res, i) => expect(res.body.context).toBe(ids[i]));
    for (const id of ids) {
      expect(logs.find('after wait', id)).toHaveLength(1);
    }
  });
});
