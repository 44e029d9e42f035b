import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { metricValue, type LogLine } from '../../src/testing';
import { observedApp, waitForLines } from '../support/observedApp';

/** The default transport's lines, as written to its destination. */
function destination(): { stream: PassThrough; lines: () => LogLine[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogLine) };
}

async function linesOf(read: () => LogLine[], message: string): Promise<LogLine[]> {
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const found = read().filter((line) => line.message === message);
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no line "${message}" in ${JSON.stringify(read())}`);
}

describe('log lines made of what a client sent', () => {
  it('keeps the line of a client that sends `exception: true`, on the default transport', async () => {
    const out = destination();
    const { app } = observedApp(
      (a, obs) => {
        a.post('/orders', (req, res) => {
          obs.logger.error('order rejected', req.body as object);
          res.status(422).json({ ok: false });
        });
      },
      { logger: { transports: undefined, destination: out.stream } },
    );
    await request(app).post('/orders').set('x-request-id', 'exc-1').send({ exception: true, item: 'x' }).expect(422);
    const [line] = await linesOf(out.lines, 'order rejected');
    expect(line).toMatchObject({ level: 'error', request_id: 'exc-1', exception: true, item: 'x' });
  });

  it('keeps it on transports of your own too', async () => {
    const { app, logs } = observedApp((a, obs) => {
      a.post('/orders', (req, res) => {
        obs.logger.warn('order rejected', req.body as object);
        res.status(422).json({ ok: false });
      });
    });
    await request(app).post('/orders').set('x-request-id', 'exc-2').send({ exception: true }).expect(422);
    const [line] = await waitForLines(logs, (l) => l.message === 'order rejected');
    expect(line).toMatchObject({ level: 'warn', request_id: 'exc-2', exception: true });
  });

  it('answers as usual when a route logs an object whose getter throws, and writes the line', async () => {
    const { app, logs, obs } = observedApp((a, o) => {
      a.get('/profile', (_req, res) => {
        const session = Object.defineProperty({ user: 'u-1' }, 'expiresAt', {
          enumerable: true,
          get() {
            throw new Error('session closed');
          },
        });
        o.logger.info('profile read', session);
        res.json({ ok: true });
      });
    });
    await request(app).get('/profile').set('x-request-id', 'get-1').expect(200);
    const [line] = await waitForLines(logs, (l) => l.message === 'profile read');
    expect(line).toMatchObject({ request_id: 'get-1', user: 'u-1', expiresAt: '[Unserializable]' });
    expect(obs.logStats().formatErrors).toBe(1);
  });

  it('cuts a 5 MB body a route logs to the configured length, redacting what it keeps, and counts it', async () => {
    const { app, logs, obs } = observedApp(
      (a, o) => {
        a.post('/upload', express.text({ limit: '6mb' }), (req, res) => {
          o.logger.info('upload received', { body: req.body as string });
          res.json({ ok: true });
        });
      },
      { environment: { OBS_LOG_MAX_STRING_LENGTH: '1024' } },
    );
    const body = `contact jane.doe@example.org ${'a'.repeat(5 * 1024 * 1024)}`;
    await request(app).post('/upload').set('content-type', 'text/plain').set('x-request-id', 'big-1').send(body).expect(200);
    const [line] = await waitForLines(logs, (l) => l.message === 'upload received');
    expect(line?.body).toBe(`contact [REDACTED] ${'a'.repeat(1024 - 19)} …[truncated: ${body.length - 1024} more of ${body.length} chars]`);
    expect(await metricValue(obs.metrics.registry, 'sightline_log_truncations_total', { kind: 'string' })).toBe(1);
  });

  it('keeps a line within OBS_LOG_MAX_LINE_BYTES, still JSON with its time, level, message and request id', async () => {
    const out = destination();
    const { app, obs } = observedApp(
      (a, o) => {
        a.post('/orders', (req, res) => {
          o.logger.warn('order rejected', req.body as object);
          res.status(422).json({ ok: false });
        });
      },
      { environment: { OBS_LOG_MAX_LINE_BYTES: '4096' }, logger: { transports: undefined, destination: out.stream } },
    );
    const fields = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`note_${index}`, 'n'.repeat(1000)]));
    await request(app).post('/orders').set('x-request-id', 'wide-1').send(fields).expect(422);
    const [line] = await linesOf(out.lines, 'order rejected');
    expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThanOrEqual(4096);
    expect(line).toMatchObject({ level: 'warn', request_id: 'wide-1', note_0: 'n'.repeat(1000), _truncated: expect.any(Number) });
    expect(line?.timestamp).toEqual(expect.any(String));
    expect(await metricValue(obs.metrics.registry, 'sightline_log_truncations_total', { kind: 'line' })).toBe(1);
  });

  it('reports a limit that is not a number by its variable and keeps the default', () => {
    const { obs } = observedApp(() => undefined, { environment: { OBS_LOG_MAX_LINE_BYTES: '64k' } });
    expect(obs.configErrors).toEqual([
      { variable: 'OBS_LOG_MAX_LINE_BYTES', message: 'expected a whole number of bytes from 1024 to 1073741824, got "64k"' },
    ]);
    expect(obs.config.logMaxLineBytes).toBe(65_536);
  });
});
