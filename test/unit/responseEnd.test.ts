import { createServer, request as httpRequest, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { whenResponseEnds } from '../../middleware/responseEnd';

async function serve(handler: (res: ServerResponse) => void) {
  const server = createServer((_req, res) => handler(res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('whenResponseEnds', () => {
  it('calls every callback once, in order, through one shared listener', async () => {
    const calls: string[] = [];
    let listeners = 0;
    const { server, port } = await serve((res) => {
      const before = res.listenerCount('finish') + res.listenerCount('close');
      whenResponseEnds(res, () => calls.push('first'));
      whenResponseEnds(res, () => calls.push('second'));
      listeners = res.listenerCount('finish') + res.listenerCount('close') - before;
      res.end('ok');
    });
    await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.close();
    expect(listeners).toBe(1);
    expect(calls).toEqual(['first', 'second']);
  });

  it('contains a callback that throws: the others still run and the process keeps serving', async () => {
    const calls: string[] = [];
    const { server, port } = await serve((res) => {
      whenResponseEnds(res, () => {
        throw new Error('broken consumer');
      });
      whenResponseEnds(res, () => calls.push('after'));
      res.end('ok');
    });
    expect(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())).toBe('ok');
    expect(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.close();
    expect(calls).toEqual(['after', 'after']);
  });

  it('fires on close when the client leaves before the response ends', async () => {
    let ended: boolean | undefined;
    const { server, port } = await serve((res) => {
      whenResponseEnds(res, () => {
        ended = res.writableEnded;
      });
      res.write('partial');
    });
    await new Promise<void>((resolve) => {
      const req = httpRequest({ port, host: '127.0.0.1' }, (res) => res.once('data', () => req.destroy()));
      req.on('close', () => resolve());
      req.on('error', () => resolve());
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.close();
    expect(ended).toBe(false);
  });
});
