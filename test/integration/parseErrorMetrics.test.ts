import path from 'node:path';
import { createSandboxPool, nodeCommand, type SandboxPool, type SandboxPoolOptions } from '../../competitor/sandbox/pool';
import { createObservability, type Observability } from '../../middleware';
import { captureLogs, metricValue } from '../../src/testing';
import { sse, startFakeCompetitor, type FakeCompetitor } from '../support/fakeCompetitor';
import { chatBody, completedLine, dataEvents, post, startGateway, type RunningGateway } from '../support/gatewayHarness';

/**
 * The counters behind the parse-error alerts of infra/prometheus/rules.yml, and their
 * denominators: `gateway_stream_parse_errors_total` against `stream_events_total` (SSE
 * relayed by the gateway), `sandbox_parse_errors_total` against `sandbox_lines_total`
 * (NDJSON from sandbox children).
 */

describe('gateway_stream_parse_errors_total', () => {
  let fake: FakeCompetitor;
  let running: RunningGateway;

  beforeEach(async () => {
    fake = await startFakeCompetitor();
    running = await startGateway({ competitors: [{ id: 'baseline', url: fake.url }] });
  });

  afterEach(async () => {
    await running.close();
    await fake.close();
  });

  const counted = (name: string, labels: Record<string, string>): Promise<number | undefined> =>
    metricValue(running.gateway.obs.metrics.registry, name, labels);

  it('starts at zero for every competitor, and stays there on a well-formed stream', async () => {
    expect(await counted('gateway_stream_parse_errors_total', { competitor: 'baseline' })).toBe(0);
    fake.script(sse(['role', { content: 'Hello' }, { janus: { event: 'tool_start', payload: { tool: 'calc' } } }, { finish: 'stop' }, 'done']));
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'well-formed' });
    expect(res.status).toBe(200);
    await completedLine(running.logs, 'well-formed');
    expect(await counted('stream_events_total', { upstream: 'baseline' })).toBe(5);
    expect(await counted('gateway_stream_parse_errors_total', { competitor: 'baseline' })).toBe(0);
  });

  it('counts data events that are not a JSON object, and error or janus events whose JSON is broken, but not [DONE]', async () => {
    fake.script(
      sse([
        'role',
        { raw: 'data: not json\n\n' },
        { content: 'Hello' },
        { raw: 'data: {"choices":[{"delta":{"janus":{"event":"tool_start"\n\n' },
        { raw: 'data: {"error": {"message": "cut\n\n' },
        { raw: 'data: 42\n\n' },
        { finish: 'stop' },
        'done',
      ]),
    );
    const res = await post(`${running.url}/v1/chat/completions`, chatBody('baseline', { stream: true }), { 'x-request-id': 'broken-events' });
    expect(res.status).toBe(200);
    // Relayed unchanged all the same.
    expect(dataEvents(res.body)).toEqual([
      expect.stringContaining('"role":"assistant"'),
      'not json',
      expect.stringContaining('"content":"Hello"'),
      '{"choices":[{"delta":{"janus":{"event":"tool_start"',
      '{"error": {"message": "cut',
      '42',
      expect.stringContaining('"finish_reason":"stop"'),
      '[DONE]',
    ]);
    await completedLine(running.logs, 'broken-events');
    expect(await counted('gateway_stream_parse_errors_total', { competitor: 'baseline' })).toBe(4);
    expect(await counted('stream_events_total', { upstream: 'baseline' })).toBe(8);
  });
});

describe('sandbox_lines_total', () => {
  const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sandbox');
  const opened: SandboxPool[] = [];
  afterEach(() => Promise.all(opened.splice(0).map((pool) => pool.close())));

  function pool(options: Partial<SandboxPoolOptions> = {}): { obs: Observability; pool: SandboxPool } {
    const obs = createObservability({ environment: {}, metrics: { processMetrics: false }, logger: { transports: [captureLogs()] } });
    const created = createSandboxPool({
      callTimeoutMs: 10_000,
      ...options,
      events: obs.events,
      tracer: obs.tracer,
      metrics: obs.metrics,
      logger: obs.logger,
      childEnv: () => obs.childProcessEnv(),
      onChildLog: () => undefined,
    });
    opened.push(created);
    return { obs, pool: created };
  }

  it('counts every protocol line a child writes (progress and result), with no parse error', async () => {
    const { obs, pool: sandbox } = pool();
    const progress: string[] = [];
    await sandbox.run({ tool: 'sleep', arguments: { ms: 1200 }, onProgress: (message) => progress.push(message) });
    expect(progress.length).toBeGreaterThan(0);
    expect(await metricValue(obs.metrics.registry, 'sandbox_lines_total')).toBe(progress.length + 1);
    expect(await metricValue(obs.metrics.registry, 'sandbox_parse_errors_total')).toBe(0);
  });

  it('counts a line that is not a protocol message in both the lines and the parse errors', async () => {
    const { obs, pool: sandbox } = pool({ command: nodeCommand(path.join(FIXTURES, 'writesGarbage.ts')) });
    await expect(sandbox.run({ tool: 'x', arguments: {} })).rejects.toMatchObject({ type: 'parse_error' });
    expect(await metricValue(obs.metrics.registry, 'sandbox_lines_total')).toBe(1);
    expect(await metricValue(obs.metrics.registry, 'sandbox_parse_errors_total', { type: 'invalid_json' })).toBe(1);
  });
});
