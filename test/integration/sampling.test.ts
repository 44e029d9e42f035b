import request from 'supertest';
import { observedApp, waitForLines } from '../support/observedApp';

function app(rate: number) {
  return observedApp(
    (a, obs) => {
      a.get('/v1/ok', (_req, res) => {
        obs.logger.info('handler info');
        res.json({ ok: true });
      });
      a.get('/v1/boom', (_req, res) => {
        obs.logger.warn('handler warning');
        res.status(500).json({ ok: false });
      });
    },
    { logSamplingRateInfo: rate },
  );
}

async function sendAll(server: Parameters<typeof request>[0], path: string, count: number, prefix: string) {
  for (let batch = 0; batch < count; batch += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - batch) }, (_, i) =>
        request(server).get(path).set('x-request-id', `${prefix}-${batch + i}`),
      ),
    );
  }
}

describe('log sampling', () => {
  it('keeps about a tenth of 1000 requests at rate 0.1, with all lines of a request kept or dropped together', async () => {
    const { app: server, logs, obs } = app(0.1);
    await sendAll(server, '/v1/ok', 1000, 'ok');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const byRequest = new Map<string, string[]>();
    for (const line of logs.lines) {
      if (typeof line.request_id !== 'string') continue;
      byRequest.set(line.request_id, [...(byRequest.get(line.request_id) ?? []), line.message]);
    }
    const kept = byRequest.size;
    // Binomial(1000, 0.1): mean 100, sd 9.5; 5 sd either side.
    expect(kept).toBeGreaterThanOrEqual(53);
    expect(kept).toBeLessThanOrEqual(147);
    for (const messages of byRequest.values()) {
      expect(messages).toEqual(['request started', 'handler info', 'request completed']);
    }
    expect(obs.logStats().droppedBySampling).toBe((1000 - kept) * 3);
  });

  it('never drops an error or a warning, even at rate 0', async () => {
    const { app: server, logs } = app(0);
    await sendAll(server, '/v1/boom', 200, 'boom');
    const completed = await waitForLines(logs, (l) => l.message === 'request completed', 200);
    expect(completed.every((l) => l.level === 'error' && l.status === 500)).toBe(true);
    // The started line was sampled away, so the completed one says where the request went.
    expect(completed.every((l) => l.url === '/v1/boom')).toBe(true);
    expect(logs.find('handler warning')).toHaveLength(200);
    expect(logs.find('request started')).toHaveLength(0);
  });

  it('keeps every line at rate 1', async () => {
    const { app: server, logs, obs } = app(1);
    await sendAll(server, '/v1/ok', 100, 'all');
    await waitForLines(logs, (l) => l.message === 'request completed', 100);
    expect(logs.lines).toHaveLength(300);
    expect(obs.logStats().droppedBySampling).toBe(0);
  });

  it('makes the same decision as another service for the same trace', async () => {
    const first = app(0.5);
    const second = app(0.5);
    for (let i = 0; i < 100; i += 1) {
      const traceId = `${'ab'.repeat(12)}${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}`;
      const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
      await request(first.app).get('/v1/ok').set('traceparent', traceparent);
      await request(second.app).get('/v1/ok').set('traceparent', traceparent);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const traces = (logs: typeof first.logs) => new Set(logs.lines.map((l) => l.trace_id));
    expect(traces(first.logs)).toEqual(traces(second.logs));
    expect(traces(first.logs).size).toBeGreaterThan(20);
    expect(traces(first.logs).size).toBeLessThan(80);
  });
});
