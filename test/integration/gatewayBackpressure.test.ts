import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { metricValue } from '../../src/testing';
import { flood, sse, words, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, completedLine, gatewayOnFakeCompetitor, post, sleep } from '../support/gatewayHarness';
import { waitForLines } from '../support/observedApp';

describe('gateway: clients that leave, stall or wait', () => {
  const { fake: currentFake, gateway } = gatewayOnFakeCompetitor();
  let fake: FakeCompetitor;
  beforeAll(() => {
    fake = currentFake();
  });

  it('aborts the upstream request within 100 ms of the client leaving mid-stream', async () => {
    const running = await gateway();
    fake.script(words('word '.repeat(200), 25));
    const before = fake.requests.length;
    const leftAt = await new Promise<number>((resolve, reject) => {
      const target = new URL(`${running.url}/v1/chat/completions`);
      const req = httpRequest(
        { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'leaver' } },
        (res) => {
          let frames = 0;
          res.on('data', () => {
            frames += 1;
            if (frames === 3) {
              req.destroy();
              resolve(Date.now());
            }
          });
          res.on('error', () => undefined);
        },
      );
      req.on('error', () => undefined);
      req.setTimeout(5000, () => reject(new Error('no stream')));
      req.end(chatBody('baseline', { stream: true }));
    });
    const record = fake.requests[before];
    await record?.closed;
    expect(record?.abortedByCaller).toBe(true);
    expect((record?.closedAt as number) - leftAt).toBeLessThan(100);

    const line = await completedLine(running.logs, 'leaver');
    expect(line).toMatchObject({ outcome: 'client_aborted', competitor_id: 'baseline', status: 200 });
    expect(Array.isArray(line.contract_violations)).toBe(true);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'client_closed' })).toBe(1);
    expect(await metricValue(registry, 'streams_active', { upstream: 'baseline' })).toBe(0);
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline' })).toBe(0);
  });

  it('aborts the upstream when the openai client stops reading the stream', async () => {
    const running = await gateway();
    fake.script(words('word '.repeat(200), 25));
    const before = fake.requests.length;
    const stream = await running.client.chat.completions.create({ model: 'baseline', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    let chunks = 0;
    for await (const _chunk of stream) {
      chunks += 1;
      if (chunks === 3) break;
    }
    const record = fake.requests[before];
    await record?.closed;
    expect(record?.abortedByCaller).toBe(true);
  });

  it('writes keep-alive pings while the competitor is silent, and counts them', async () => {
    const running = await gateway({ keepaliveIntervalMs: 150 });
    fake.script(sse([{ wait: 400 }, 'role', { content: 'Hi' }, { wait: 700 }, { content: ' there' }, { finish: 'stop' }, 'done']));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'quiet' });
    const pings = res.body.split(': ping\n\n').length - 1;
    expect(pings).toBeGreaterThanOrEqual(5);
    const line = await completedLine(running.logs, 'quiet');
    expect(line.keepalives).toBe(pings);
    expect(line.max_gap_ms as number).toBeLessThan(300);
    expect(line.max_content_gap_ms as number).toBeGreaterThanOrEqual(650);
    expect(line.ttft_ms as number).toBeGreaterThanOrEqual(390);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_keepalives_sent_total', { competitor: 'baseline' })).toBe(pings);
  });

  async function neverReadingClient(url: string, requestId: string) {
    const target = new URL(url);
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    await once(socket, 'connect');
    const body = chatBody('baseline', { stream: true });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\n\r\n${body}`,
    );
    socket.pause();
    socket.on('error', () => undefined);
    return socket;
  }

  it('cuts a stream whose client stops reading, aborts the upstream, and keeps memory bounded', async () => {
    const running = await gateway({ slowClientTimeoutMs: 300 });
    const progress = { sent: 0 };
    fake.script(flood(200 * 1024 * 1024, 16 * 1024, progress));
    const before = fake.requests.length;
    const socket = await neverReadingClient(running.url, 'stalled');
    try {
      const [line] = await waitForLines(running.logs, (l) => l.message === 'request completed' && l.request_id === 'stalled', 1, 8000);
      expect(line).toMatchObject({ outcome: 'timeout', outcome_reason: 'slow_client', competitor_id: 'baseline' });
      const record = fake.requests[before];
      await record?.closed;
      expect(record?.abortedByCaller).toBe(true);
      // What the competitor got to send is what the sockets' buffers hold, not the 200 MB it had.
      expect(progress.sent).toBeLessThan(32 * 1024 * 1024);
      const registry = running.gateway.obs.metrics.registry;
      expect(await metricValue(registry, 'gateway_stream_overflows_total', { competitor: 'baseline' })).toBe(1);
      expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'slow_client' })).toBe(1);
      await running.gateway.obs.events.flush();
      const [cut] = running.logs.find('event').filter((l) => l.event === 'stream.cut');
      expect(cut).toMatchObject({ metadata: { competitor: 'baseline', reason: 'slow_client' } });
    } finally {
      socket.destroy();
    }
  });

  it('holds the competitor back while a client catches up, without taking its silence for an idle upstream', async () => {
    const running = await gateway({ idleTimeoutMs: 500, slowClientTimeoutMs: 10_000, keepaliveIntervalMs: 100 });
    const progress = { sent: 0 };
    fake.script(flood(32 * 1024 * 1024, 16 * 1024, progress));
    const target = new URL(`${running.url}/v1/chat/completions`);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        { hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'catching-up' } },
        resolve,
      );
      req.on('error', reject);
      req.end(chatBody('baseline', { stream: true }));
    });
    res.pause();
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let held = 0;
    while (held === 0 || held !== progress.sent) {
      held = progress.sent;
      await sleep(100);
    }
    await sleep(1200);
    expect(progress.sent).toBe(held);
    expect(held).toBeLessThan(32 * 1024 * 1024);
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.resume();
    await once(res, 'end');
    expect(Buffer.concat(chunks).subarray(-14).toString()).toBe('data: [DONE]\n\n');
    const line = await completedLine(running.logs, 'catching-up');
    expect(line).toMatchObject({ outcome: 'completed', status: 200 });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_stream_overflows_total', { competitor: 'baseline' })).toBe(0);
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline' })).toBe(0);
  });

  it('cuts a stream at once when what waits for the client passes the buffer limit', async () => {
    const running = await gateway({ maxBufferedBytes: 16 * 1024, slowClientTimeoutMs: 10_000 });
    fake.script(flood(200 * 1024 * 1024, 256 * 1024));
    const socket = await neverReadingClient(running.url, 'overfull');
    try {
      const [line] = await waitForLines(running.logs, (l) => l.message === 'request completed' && l.request_id === 'overfull', 1, 5000);
      expect(line).toMatchObject({ outcome: 'timeout', outcome_reason: 'buffer_limit' });
      expect(await metricValue(running.gateway.obs.metrics.registry, 'gateway_stream_overflows_total', { competitor: 'baseline' })).toBe(1);
    } finally {
      socket.destroy();
    }
  });
});
