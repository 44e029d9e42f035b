import request from 'supertest';
import type { GatewayAppOptions } from '../../gateway/app';
import { GATEWAY_EVENTS, GATEWAY_METRICS } from '../../gateway/gatewayMetrics';
import { metricValue } from '../../src/testing';
import { sse, startBlackhole, startFakeCompetitor, words, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, completedLine, post, startGateway, type RunningGateway, gatewayOnFakeCompetitor } from '../support/gatewayHarness';

describe('gateway readiness', () => {
  let up: FakeCompetitor;
  let down: FakeCompetitor;
  const started: RunningGateway[] = [];

  beforeAll(async () => {
    up = await startFakeCompetitor();
    down = await startFakeCompetitor();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.close()));
    up.healthy(true);
    down.healthy(true);
  });

  afterAll(async () => {
    await up.close();
    await down.close();
  });

  async function gateway(options: Partial<GatewayAppOptions> = {}) {
    const running = await startGateway({
      competitors: [
        { id: 'baseline', url: up.url },
        { id: 'flaky', url: down.url },
      ],
      readiness: { intervalMs: 10 },
      ...options,
    });
    started.push(running);
    return running;
  }

  it('is ready while one competitor is healthy, and shows each competitor on /health/detailed', async () => {
    const running = await gateway();
    down.healthy(false);
    const ready = await request(running.gateway.app).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('warn');
    expect(ready.body.checks).toMatchObject({
      competitors: { ok: true, critical: true },
      'competitor.baseline': { ok: true, critical: false },
      'competitor.flaky': { ok: false, critical: false, message: 'HTTP 503, expected 2xx' },
    });
    const detailed = await request(running.gateway.app).get('/health/detailed');
    expect(Object.keys(detailed.body.checks).sort()).toEqual(['competitor.baseline', 'competitor.flaky', 'competitors']);
  });

  it('is not ready when no competitor is healthy', async () => {
    const running = await gateway();
    up.healthy(false);
    down.healthy(false);
    const ready = await request(running.gateway.app).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.competitors).toMatchObject({ ok: false, message: 'none of 2 competitors is healthy' });
  });

  it('is ready when one competitor answers while another hangs past the probe timeout', async () => {
    const blackhole = await startBlackhole();
    try {
      const running = await startGateway({
        competitors: [
          { id: 'baseline', url: up.url },
          { id: 'dead', url: blackhole.url },
        ],
        readiness: { intervalMs: 10, timeoutMs: 300 },
      });
      started.push(running);
      const ready = await request(running.gateway.app).get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks['competitor.dead']).toMatchObject({ ok: false, critical: false });
      expect(ready.body.checks.competitors.ok).toBe(true);
    } finally {
      blackhole.close();
    }
  });

  it('asks each competitor once per readiness request', async () => {
    let probes = 0;
    const running = await gateway({
      readiness: {
        intervalMs: 10,
        probeOf: () => async () => {
          probes += 1;
          return true;
        },
      },
    });
    await request(running.gateway.app).get('/health/ready');
    expect(probes).toBe(2);
  });
});

describe('gateway metrics and contract', () => {
  const { fake: currentFake, gateway } = gatewayOnFakeCompetitor();
  let fake: FakeCompetitor;
  beforeAll(() => {
    fake = currentFake();
  });

  it('shows every catalogued metric on /metrics, with a series per competitor from the start', async () => {
    const running = await gateway();
    fake.script(words('a b'));
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }));
    const res = await request(running.gateway.app).get('/metrics');
    expect(res.status).toBe(200);
    for (const metric of GATEWAY_METRICS) expect(res.text).toContain(`# TYPE ${metric.name} ${metric.type}`);
    expect(res.text).toContain('gateway_circuit_state{competitor="baseline"} 0');
    expect(res.text).toContain('gateway_contract_violations_total{competitor="baseline",kind="gap"} 0');
    expect(res.text).toContain('streams_total{upstream="baseline",outcome="completed"} 1');
    expect(res.text).toContain('stream_time_to_first_event_seconds_count{upstream="baseline"} 1');
    expect(res.text).toContain('gateway_upstream_ttft_seconds_count{competitor="baseline"} 1');
  });

  it('catalogues its events with what each carries', () => {
    expect(GATEWAY_EVENTS.map((e) => e.name)).toEqual(['circuit.state_changed', 'stream.cut']);
    for (const event of GATEWAY_EVENTS) expect(event.description).not.toBe('');
  });

  it('counts a first token later than the contract and a gap longer than it', async () => {
    const running = await gateway({ contractTtftMs: 100, contractGapMs: 150, keepaliveIntervalMs: 1000 });
    fake.script(sse(['role', { wait: 200 }, { content: 'late' }, { wait: 250 }, { content: ' and slow' }, 'done']));
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'late' });
    const line = await completedLine(running.logs, 'late');
    expect(line.contract_violations).toEqual(['ttft', 'gap']);
    const registry = running.gateway.obs.metrics.registry;
    expect(await metricValue(registry, 'gateway_contract_violations_total', { competitor: 'baseline', kind: 'ttft' })).toBe(1);
    expect(await metricValue(registry, 'gateway_contract_violations_total', { competitor: 'baseline', kind: 'gap' })).toBe(1);
  });

  it('counts a completed stream without any content as a ttft violation', async () => {
    const running = await gateway();
    fake.script(sse(['role', { finish: 'stop' }, 'done']));
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'empty' });
    const line = await completedLine(running.logs, 'empty');
    expect(line).toMatchObject({ outcome: 'completed', contract_violations: ['ttft'] });
    expect(line.ttft_ms).toBeUndefined();
  });

  it('keeps a stream within the contract when keep-alives fill a silence', async () => {
    const running = await gateway({ contractTtftMs: 1000, contractGapMs: 300, keepaliveIntervalMs: 100 });
    fake.script(sse(['role', { content: 'a' }, { wait: 500 }, { content: 'b' }, 'done']));
    await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'kept' });
    const line = await completedLine(running.logs, 'kept');
    expect(line.contract_violations).toEqual([]);
    expect(line.max_content_gap_ms as number).toBeGreaterThan(450);
  });
});
