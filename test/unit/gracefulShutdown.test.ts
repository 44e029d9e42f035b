import { EventEmitter, once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleSignals } from '../../src/gracefulShutdown';
import { createLifecycle } from '../../src/lifecycle';
import { createObservability } from '../../middleware';
import { captureLogs } from '../../src/testing';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function fixture() {
  const logs = captureLogs();
  const { logger } = createObservability({ environment: {}, logger: { transports: [logs] } });
  const lifecycle = createLifecycle();
  const signals = new EventEmitter();
  const exits: number[] = [];
  const order: string[] = [];
  const flush = async (): Promise<void> => {
    order.push('flush');
  };
  const exit = (code: number): void => {
    order.push('exit');
    exits.push(code);
  };
  return { logs, logger, lifecycle, signals, exits, order, flush, exit };
}

describe('handleSignals', () => {
  it('drains: readiness fails at once, in-flight requests finish, new connections are refused, then flush and exit 0', async () => {
    const f = fixture();
    const server = createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 300);
      else res.end('ok');
    });
    const port = await listen(server);
    const handling = handleSignals(server, f, { drainDelayMs: 100, gracePeriodMs: 2000, signalSource: f.signals, exit: f.exit });

    const slow = get(port, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 20));
    f.signals.emit('SIGTERM', 'SIGTERM');
    expect(f.lifecycle.phase()).toBe('draining');
    // During the drain delay the server still answers: the load balancer has not noticed yet.
    expect((await get(port, '/fast')).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(get(port, '/fast')).rejects.toThrow(/ECONNREFUSED/);
    expect(await slow).toEqual({ status: 200, body: 'slow done' });

    await handling.shutdown('again');
    expect(f.exits).toEqual([0]);
    expect(f.order).toEqual(['flush', 'exit']);
    expect(f.logs.find('shutdown started')[0]).toMatchObject({ reason: 'SIGTERM', drain_delay_ms: 100, grace_period_ms: 2000 });
    expect(f.logs.find('shutdown finished')[0]).toMatchObject({ in_grace_period: true });
    handling.dispose();
  });

  it('closes what is still open when the grace period ends, and still exits 0', async () => {
    const f = fixture();
    const server = createServer((_req, res) => {
      res.write('started');
      // Never ends by itself, like a stream nobody told to stop.
    });
    const port = await listen(server);
    const handling = handleSignals(server, f, { drainDelayMs: 0, gracePeriodMs: 200, signalSource: f.signals, exit: f.exit });
    const hanging = get(port, '/stream').catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await handling.shutdown('test');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(String(await hanging)).toMatch(/aborted|hang up|ECONNRESET/);
    expect(f.exits).toEqual([0]);
    expect(f.logs.find('grace period over, closing the remaining connections')[0]).toMatchObject({ connections: 1 });
  });

  it('is idempotent: a second signal during shutdown neither restarts it nor exits twice', async () => {
    const f = fixture();
    const server = createServer((_req, res) => res.end());
    await listen(server);
    const handling = handleSignals(server, f, { drainDelayMs: 50, gracePeriodMs: 500, signalSource: f.signals, exit: f.exit });
    f.signals.emit('SIGINT', 'SIGINT');
    f.signals.emit('SIGTERM', 'SIGTERM');
    await handling.shutdown('third');
    expect(f.exits).toEqual([0]);
    expect(f.logs.find('shutdown started')).toHaveLength(1);
    expect(f.logs.find('signal received during shutdown, still draining')[0]).toMatchObject({ signal: 'SIGTERM' });
  });

  it('removes its listeners on dispose and validates its options', () => {
    const f = fixture();
    const server = createServer();
    const handling = handleSignals(server, f, { signalSource: f.signals, exit: f.exit });
    expect(f.signals.listenerCount('SIGTERM')).toBe(1);
    handling.dispose();
    expect(f.signals.listenerCount('SIGTERM')).toBe(0);
    expect(() => handleSignals(server, f, { gracePeriodMs: -1, signalSource: f.signals })).toThrow(/gracePeriodMs must be a number >= 0, got -1/);
  });
});
