import { metricValue } from '../../src/testing';
import { hang, json, type Script } from '../support/fakeCompetitor';
import { chatBody, completedLine, gatewayOnFakeCompetitor, post, sleep } from '../support/gatewayHarness';

/** Headers and the first part of a JSON answer, then silence. */
const startsAndStalls: Script = ({ res }) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
  res.write('{"id":"chatcmpl-fake",');
};

/** Headers, then a space every 50 ms, never the end. */
const trickles: Script = async ({ res, wait }) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  while (!res.destroyed) {
    res.write(' ');
    await wait(50);
  }
};

/** Headers announcing more than is sent, then the connection dies. */
function cutOff(status: number): Script {
  return async ({ res, wait }) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"error":');
    await wait(30);
    res.socket?.destroy();
  };
}

describe('gateway: the upstream exchange, streamed or not', () => {
  const { fake, gateway } = gatewayOnFakeCompetitor();

  it('answers 504 total_timeout when a JSON answer starts and never ends', async () => {
    const running = await gateway({ totalTimeoutMs: 400, idleTimeoutMs: 400, firstTokenTimeoutMs: 400, connectTimeoutMs: 400 });
    fake().script(trickles);
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'), { 'x-request-id': 'json-total' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { type: 'timeout_error', code: 'total_timeout', message: 'baseline did not answer within 400 ms' } });
    expect(await completedLine(running.logs, 'json-total')).toMatchObject({ status: 504, upstream_error: 'baseline did not answer within 400 ms' });
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline', reason: 'total' })).toBe(1);
    expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'timeout' })).toBe(1);
    const record = fake().requests.at(-1);
    await record?.closed;
    expect(record?.abortedByCaller).toBe(true);
  });

  it('times a JSON answer by the idle timeout once its headers arrived, not by the first-token one', async () => {
    const running = await gateway({ idleTimeoutMs: 300, firstTokenTimeoutMs: 300, totalTimeoutMs: 5000 });
    fake().script(startsAndStalls);
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'));
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'idle_timeout', message: 'baseline sent nothing for 300 ms' } });
  });

  it('answers 502 upstream_interrupted when a JSON answer is cut off', async () => {
    const running = await gateway();
    fake().script(cutOff(200));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_interrupted', message: 'baseline closed its answer before it ended' } });
  });

  it('answers 502 when a JSON answer passes 16 MiB, noting the status the competitor gave', async () => {
    const running = await gateway();
    fake().script(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    });
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline'), { 'x-request-id': 'json-huge' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_http_status', message: `baseline answered more than ${16 * 1024 * 1024} bytes` } });
    expect(await completedLine(running.logs, 'json-huge')).toMatchObject({ status: 502, upstream_status: 200 });
  });

  it('answers 502 upstream_interrupted when a refusal to a stream request is cut off', async () => {
    const running = await gateway();
    fake().script(cutOff(400));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_interrupted', message: 'baseline closed its 400 answer before it ended' } });
  });

  it('replaces a refusal to a stream request over 64 KiB by an error of its own, not held against the competitor', async () => {
    const running = await gateway();
    fake().script(json(400, { error: { message: 'x'.repeat(70 * 1024) } }));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'big-refusal' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'upstream_http_status', message: 'baseline refused the request (HTTP 400)' } });
    expect(await completedLine(running.logs, 'big-refusal')).toMatchObject({ upstream_status: 400 });
    expect(await metricValue(running.gateway.obs.metrics.registry, 'gateway_upstream_failures_total', { competitor: 'baseline' })).toBe(0);
  });

  it.each([false, true])('counts a client leaving before the answer (stream: %s) as client_closed and aborts the upstream', async (stream) => {
    const running = await gateway();
    fake().script(hang);
    const before = fake().requests.length;
    const leaving = new AbortController();
    const posted = post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream }), {}, leaving.signal).catch(() => undefined);
    await fake().waitForRequests(before + 1);
    await sleep(20);
    leaving.abort();
    await posted;
    const record = fake().requests[before];
    await record?.closed;
    expect(record?.abortedByCaller).toBe(true);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_upstream_aborts_total', { competitor: 'baseline', reason: 'client_closed' })).toBe(1);
    expect(await metricValue(registry, 'gateway_upstream_failures_total', { competitor: 'baseline' })).toBe(0);
  });

  it('logs a failed stream call as a warning that precedes the failure joining the request, and a failed JSON call not at all', async () => {
    const running = await gateway({ idleTimeoutMs: 300, firstTokenTimeoutMs: 600 });
    fake().script(hang);
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'warned' });
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline'), { 'x-request-id': 'unwarned' });
    await completedLine(running.logs, 'unwarned');
    const [warn, ...others] = running.logs.find('upstream failed');
    expect(others).toEqual([]);
    expect(warn).toMatchObject({ level: 'warn', request_id: 'warned', reason: 'idle', error: 'baseline sent nothing for 300 ms', committed: false });
    expect(warn).not.toHaveProperty('upstream_error');
  });
});
