import { request as httpRequest } from 'node:http';
import type { GatewayAppOptions } from '../../gateway/app';
import { metricValue } from '../../src/testing';
import { answer, hang, json, sse, startFakeCompetitor, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, post, sleep, startGateway, type RunningGateway } from '../support/gatewayHarness';
import { waitForLines } from '../support/observedApp';

const BREAKER: Partial<GatewayAppOptions> = { breakerVolumeThreshold: 3, breakerErrorPercent: 50, breakerResetMs: 300, breakerJitter: 0 };

describe('gateway circuit breakers', () => {
  let fake: FakeCompetitor;
  let healthy: FakeCompetitor;
  const started: RunningGateway[] = [];

  beforeAll(async () => {
    fake = await startFakeCompetitor();
    healthy = await startFakeCompetitor();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.close()));
  });

  afterAll(async () => {
    await fake.close();
    await healthy.close();
  });

  async function gateway(options: Partial<GatewayAppOptions> = {}) {
    const running = await startGateway({
      competitors: [
        { id: 'flaky', url: fake.url },
        { id: 'fast', url: healthy.url },
      ],
      ...BREAKER,
      ...options,
    });
    started.push(running);
    return running;
  }

  const state = (running: RunningGateway) => metricValue(running.gateway.obs.metrics.registry, 'gateway_circuit_state', { competitor: 'flaky' });
  const models = async (running: RunningGateway) => {
    const list = await running.client.models.list();
    return Object.fromEntries(list.data.map((m) => [m.id, (m as unknown as { circuit_state: string }).circuit_state]));
  };

  it('opens after failures, rejects fast with 503 and Retry-After, then closes after a good half-open probe', async () => {
    const running = await gateway();
    fake.script(json(503, { error: { message: 'down' } }));
    for (let i = 0; i < 3; i += 1) {
      expect((await post(`${running.url}/v1/chat/completions`, chatBody('flaky', { stream: true }))).status).toBe(502);
    }
    expect(await state(running)).toBe(2);
    expect(await models(running)).toEqual({ flaky: 'open', fast: 'closed' });

    const seen = fake.requests.length;
    const startedAt = Date.now();
    const rejected = await post(`${running.url}/v1/chat/completions`, chatBody('flaky', { stream: true }), { 'x-request-id': 'rejected' });
    expect(Date.now() - startedAt).toBeLessThan(100);
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toBe('1');
    expect(JSON.parse(rejected.body)).toMatchObject({ error: { type: 'overloaded_error', code: 'circuit_open', request_id: 'rejected' } });
    expect(fake.requests.length).toBe(seen);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_circuit_rejections_total', { competitor: 'flaky' })).toBe(1);
    // The other competitor is not affected.
    expect((await post(`${running.url}/v1/chat/completions`, chatBody('fast'))).status).toBe(200);

    await sleep(350);
    expect(await state(running)).toBe(1);
    expect(await models(running)).toMatchObject({ flaky: 'half_open' });
    fake.script(async (context) => {
      await context.wait(150);
      return answer(context);
    });
    const probe = post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    await sleep(30);
    const during = await post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    expect(during.status).toBe(503);
    expect((await probe).status).toBe(200);
    expect(await state(running)).toBe(0);
    expect(fake.requests.length).toBe(seen + 1);

    const changes = running.logs.find('circuit state changed').map((l) => [l.from, l.to]);
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half_open'],
      ['half_open', 'closed'],
    ]);
    expect(running.logs.find('circuit state changed')[0]).toMatchObject({ level: 'warn', target: 'gateway', competitor: 'flaky', reset_ms: 300 });
    await running.gateway.obs.events.flush();
    const events = running.logs.find('event').filter((l) => l.event === 'circuit.state_changed');
    expect(events.map((e) => e.metadata)).toEqual([
      { competitor: 'flaky', from: 'closed', to: 'open' },
      { competitor: 'flaky', from: 'open', to: 'half_open' },
      { competitor: 'flaky', from: 'half_open', to: 'closed' },
    ]);
  });

  it('closes on the first content of a streaming probe, without holding other requests off until it ends', async () => {
    const running = await gateway();
    fake.script(json(503, {}));
    for (let i = 0; i < 3; i += 1) await post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    await sleep(350);
    fake.script(sse(['role', { wait: 50 }, { content: 'alive' }, { wait: 600 }, { finish: 'stop' }, 'done']));
    const probe = post(`${running.url}/v1/chat/completions`, chatBody('flaky', { stream: true }));
    await sleep(250);
    expect(await state(running)).toBe(0);
    fake.script(answer);
    expect((await post(`${running.url}/v1/chat/completions`, chatBody('flaky'))).status).toBe(200);
    expect((await probe).status).toBe(200);
  });

  it('opens again when the half-open probe fails', async () => {
    const running = await gateway();
    fake.script(json(500, {}));
    for (let i = 0; i < 3; i += 1) await post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    await sleep(350);
    expect(await state(running)).toBe(1);
    expect((await post(`${running.url}/v1/chat/completions`, chatBody('flaky'))).status).toBe(502);
    expect(await state(running)).toBe(2);
  });

  it('counts streams dying mid-way against the competitor', async () => {
    const running = await gateway({ breakerVolumeThreshold: 2 });
    fake.script(sse(['role', { content: 'Hi' }, { wait: 20 }, 'destroy']));
    for (let i = 0; i < 2; i += 1) {
      const res = await post(`${running.url}/v1/chat/completions`, chatBody('flaky', { stream: true }));
      expect(res.status).toBe(200);
    }
    expect(await state(running)).toBe(2);
  });

  it('does not count competitor 4xx answers or clients leaving as failures', async () => {
    const running = await gateway();
    fake.script(json(422, { error: { message: 'bad' } }));
    for (let i = 0; i < 4; i += 1) expect((await post(`${running.url}/v1/chat/completions`, chatBody('flaky'))).status).toBe(422);
    fake.script(hang);
    const seen = fake.requests.length;
    for (let i = 0; i < 4; i += 1) {
      const req = httpRequest(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      req.on('error', () => undefined);
      req.end(chatBody('flaky', { stream: true }));
      await fake.waitForRequests(seen + i + 1);
      req.destroy();
    }
    await sleep(50);
    expect(await state(running)).toBe(0);
  });

  it('treats a half-open probe the client abandoned as nothing learnt, and waits for another', async () => {
    const running = await gateway();
    fake.script(json(503, {}));
    for (let i = 0; i < 3; i += 1) await post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    await sleep(350);
    fake.script(hang);
    const seen = fake.requests.length;
    const req = httpRequest(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(chatBody('flaky', { stream: true }));
    await fake.waitForRequests(seen + 1);
    req.destroy();
    await waitForLines(running.logs, (l) => l.message === 'circuit state changed' && l.from === 'half_open');
    expect(await state(running)).toBe(2);
  });

  it('varies the reset wait by the jitter', async () => {
    const running = await gateway({ breakerJitter: 0.5, random: () => 1 });
    fake.script(json(503, {}));
    for (let i = 0; i < 3; i += 1) await post(`${running.url}/v1/chat/completions`, chatBody('flaky'));
    expect(running.logs.find('circuit state changed')[0]).toMatchObject({ to: 'open', reset_ms: 450 });
    await sleep(350);
    expect(await state(running)).toBe(2);
    await sleep(150);
    expect(await state(running)).toBe(1);
  });
});
