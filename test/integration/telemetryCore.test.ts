import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTelemetry, type Telemetry } from '../../src';
import { captureLogs, metricValue, type LogCapture } from '../../src/testing';

const root = path.resolve(__dirname, '..', '..');

function telemetry(service: string): { tel: Telemetry; logs: LogCapture } {
  const logs = captureLogs();
  const tel = createTelemetry({ service, environment: {}, logger: { transports: [logs] } });
  return { tel, logs };
}

describe('createTelemetry: the core without Express', () => {
  it('loads no web framework', () => {
    const loaded = execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', "require('./src/index'); process.stdout.write(JSON.stringify(Object.keys(require.cache)))"],
      { cwd: root, encoding: 'utf8' },
    );
    const modules = JSON.parse(loaded) as string[];
    expect(modules.some((file) => file.includes(`${path.sep}src${path.sep}telemetry`))).toBe(true);
    expect(modules.filter((file) => /[\\/]node_modules[\\/](express|helmet|body-parser|router)[\\/]/.test(file))).toEqual([]);
    expect(modules.filter((file) => file.includes(`${path.sep}middleware${path.sep}`))).toEqual([]);
  });

  it('serves a plain node:http service: log lines, events, metrics, health and malformed requests', async () => {
    const { tel, logs } = telemetry('worker');
    tel.health.register('queue', async () => ({ ok: true, detail: 'empty' }));
    const server = createServer((_req, res) => {
      tel.events.emit('pool.saturated', { waiting: 3 }, { pool: 'jobs' });
      tel.logger.info('job accepted', { job: 'resize' });
      res.end('ok');
    });
    tel.attachServer(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpRequest({ port, path: '/' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      const malformed = await new Promise<number | undefined>((resolve, reject) => {
        httpRequest({ port, path: '/', headers: { 'x-big': 'x'.repeat(70 * 1024) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        })
          .on('error', reject)
          .end();
      });
      expect(malformed).toBe(431);
      await tel.shutdown();

      expect(logs.find('job accepted')[0]).toMatchObject({ service: 'worker', level: 'info', job: 'resize' });
      expect(logs.lines.find((line) => line.message === 'event' && line.event === 'pool.saturated')).toMatchObject({ metadata: { pool: 'jobs' } });
      expect(logs.find('client error answered')[0]).toMatchObject({ level: 'warn', status: 431 });
      expect(await metricValue(tel.metrics.registry, 'http_client_errors_total', { code: 'HPE_HEADER_OVERFLOW' })).toBe(1);
      const report = await tel.health.check();
      expect(report.checks.queue).toMatchObject({ ok: true, critical: true });
    } finally {
      server.close();
    }
  });

  it('keeps two instances in one process apart', async () => {
    const first = telemetry('first');
    const second = telemetry('second');
    first.tel.events.emit('pool.saturated', { waiting: 1 }, { pool: 'a' });
    await Promise.all([first.tel.shutdown(), second.tel.shutdown()]);
    expect(first.tel.metrics.registry).not.toBe(second.tel.metrics.registry);
    expect(first.logs.lines.some((line) => line.event === 'pool.saturated')).toBe(true);
    expect(second.logs.lines.some((line) => line.event === 'pool.saturated')).toBe(false);
  });
});
