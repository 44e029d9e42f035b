import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { httpProbe, tcpProbe, thresholdProbe, type HealthProbe, type ProbeOutcome } from '../../src/healthProbes';
import { freePort } from '../../scripts/pipeline';

async function listening<S extends HttpServer | TcpServer>(server: S): Promise<{ server: S; port: number; close: () => Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answering(status: number) {
  return listening(
    createHttpServer((_req, res: ServerResponse) => {
      res.statusCode = status;
      res.end('body');
    }),
  );
}

async function run(probe: HealthProbe, signal = new AbortController().signal): Promise<ProbeOutcome> {
  return (await probe(signal)) as ProbeOutcome;
}

describe('httpProbe', () => {
  it('passes on a 2xx and names the status', async () => {
    const target = await answering(204);
    try {
      expect(await run(httpProbe(`http://127.0.0.1:${target.port}/ping`))).toEqual({ ok: true, observed: 204, message: 'HTTP 204' });
    } finally {
      await target.close();
    }
  });

  it('fails on a 503 and says which statuses were expected', async () => {
    const target = await answering(503);
    try {
      expect(await run(httpProbe(`http://127.0.0.1:${target.port}/`))).toEqual({
        ok: false,
        observed: 503,
        message: 'HTTP 503, expected 2xx',
      });
    } finally {
      await target.close();
    }
  });

  it('passes on the statuses given in expectStatus, and reports a redirect instead of following it', async () => {
    const target = await listening(
      createHttpServer((req, res) => {
        if (req.url === '/moved') res.writeHead(302, { location: '/' }).end();
        else res.writeHead(418).end();
      }),
    );
    try {
      expect(await run(httpProbe(`http://127.0.0.1:${target.port}/`, { expectStatus: [200, 418] }))).toMatchObject({ ok: true });
      expect(await run(httpProbe(`http://127.0.0.1:${target.port}/moved`))).toMatchObject({
        ok: false,
        message: 'HTTP 302, expected 2xx',
      });
    } finally {
      await target.close();
    }
  });

  it('fails on a closed port with the connection error', async () => {
    const port = await freePort();
    const outcome = await run(httpProbe(`http://127.0.0.1:${port}/`));
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a hanging server when the signal aborts, and closes its connection', async () => {
    const target = await listening(createHttpServer(() => undefined));
    const connectionClosed = new Promise<void>((resolve) => {
      target.server.once('connection', (socket: Socket) => socket.once('close', () => resolve()));
    });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('timed out after 100 ms')), 100);
      const started = Date.now();
      const outcome = await run(httpProbe(`http://127.0.0.1:${target.port}/`), controller.signal);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(outcome).toEqual({ ok: false, message: 'aborted: timed out after 100 ms' });
      await connectionClosed;
    } finally {
      await target.close();
    }
  });

  it('leaves the URL out of its messages, since it may carry a token', async () => {
    const port = await freePort();
    const outcome = await run(httpProbe(`http://127.0.0.1:${port}/status?token=s3cret`));
    expect(outcome.message).not.toMatch(/s3cret/);
  });

  it('rejects bad options at construction, quoting the value', () => {
    expect(() => httpProbe('db:5432')).toThrow(/http or https, got "db:"/);
    expect(() => httpProbe('/relative')).toThrow(/absolute http\(s\) URL, got "\/relative"/);
    expect(() => httpProbe('http://user:hunter2@db/')).toThrow(/must not carry credentials, got user "user"/);
    expect(() => httpProbe('http://user:hunter2@db/')).not.toThrow(/hunter2/);
    expect(() => httpProbe('http://db/', { expectStatus: 2000 })).toThrow(/expectStatus .* got 2000/);
    expect(() => httpProbe('http://db/', { expectStatus: [] })).toThrow(/got \[\]/);
  });
});

describe('tcpProbe', () => {
  it('connects, then closes the connection', async () => {
    const target = await listening(createTcpServer());
    const closed = new Promise<void>((resolve) => {
      target.server.once('connection', (socket: Socket) => socket.once('close', () => resolve()));
    });
    try {
      expect(await run(tcpProbe({ host: '127.0.0.1', port: target.port }))).toEqual({
        ok: true,
        message: `connected to 127.0.0.1:${target.port}`,
      });
      await closed;
    } finally {
      await target.close();
    }
  });

  it('fails on a closed port with the connection error', async () => {
    const port = await freePort();
    const outcome = await run(tcpProbe({ host: '127.0.0.1', port }));
    expect(outcome.ok).toBe(false);
    expect(outcome.message).toMatch(/ECONNREFUSED/);
  });

  it('answers at once when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('deadline passed'));
    expect(await run(tcpProbe({ host: '127.0.0.1', port: 9 }), controller.signal)).toEqual({
      ok: false,
      message: 'aborted: deadline passed',
    });
  });

  it('rejects bad options at construction, quoting the value', () => {
    expect(() => tcpProbe({ host: '', port: 5432 })).toThrow(/host must be a non-empty string, got ""/);
    expect(() => tcpProbe({ host: 'db', port: 0 })).toThrow(/port must be an integer from 1 to 65535, got 0/);
    expect(() => tcpProbe({ host: 'db', port: 70_000 })).toThrow(/got 70000/);
    expect(() => tcpProbe({ host: 'db', port: '5432' as unknown as number })).toThrow(/got "5432"/);
  });
});

describe('thresholdProbe', () => {
  it('passes above the bound and says the value and the bound', async () => {
    let available = 3;
    const probe = thresholdProbe(() => available, { above: 0, unit: 'workers' });
    expect(await run(probe)).toEqual({ ok: true, observed: 3, message: '3 workers (above 0)' });
    available = 0;
    expect(await run(probe)).toEqual({ ok: false, observed: 0, message: '0 workers, expected above 0' });
  });

  it('combines a lower and an upper bound, inclusive or not, from an async reader', async () => {
    const probe = thresholdProbe(async () => 10, { atLeast: 1, atMost: 10 });
    expect(await run(probe)).toMatchObject({ ok: true, message: '10 (at least 1 and at most 10)' });
    const strict = thresholdProbe(async () => 10, { above: 1, below: 10 });
    expect(await run(strict)).toMatchObject({ ok: false, message: '10, expected above 1 and below 10' });
  });

  it('fails when the reader gives something other than a finite number', async () => {
    const probe = thresholdProbe(() => Number.NaN, { below: 100 });
    expect(await run(probe)).toEqual({ ok: false, message: 'read NaN, expected a number below 100' });
  });

  it('rejects bad bounds at construction, quoting them', () => {
    expect(() => thresholdProbe(() => 1, {})).toThrow(/at least one of above, atLeast, below, atMost, got \{\}/);
    expect(() => thresholdProbe(() => 1, { above: 0, atLeast: 1 })).toThrow(/above or atLeast, not both, got \{"above":0,"atLeast":1\}/);
    expect(() => thresholdProbe(() => 1, { below: Number.NaN })).toThrow(/below must be a finite number, got NaN/);
    expect(() => thresholdProbe(() => 1, { above: 5, below: 5 })).toThrow(/no value can pass \{"above":5,"below":5\}/);
    expect(() => thresholdProbe(() => 1, { atLeast: 5, atMost: 5 })).not.toThrow();
    expect(() => thresholdProbe(() => 1, { above: 0, unit: '' })).toThrow(/unit must be a non-empty string, got ""/);
  });
});
