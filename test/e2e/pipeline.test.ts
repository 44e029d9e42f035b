/**
 * The pipeline as `npm start` runs it, in real processes: the gateway and competitors
 * started by the launcher's own helpers, their JSON log lines collected from stdout, and
 * their spans from an OTLP receiver started here.
 */
import { connect } from 'node:net';
import path from 'node:path';
import OpenAI, { APIError } from 'openai';
import { startService, stopServices, waitUntilReady, type LauncherOutput, type RunningService, type ServiceSpec } from '../../scripts/launcher';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver';
import { freePort } from '../../scripts/pipeline';

jest.setTimeout(60_000);

type Line = Record<string, unknown>;
const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN_TOKEN = 'pipeline-e2e-admin-token-123456';

const lines: Line[] = [];
const output: LauncherOutput = {
  line(text) {
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      lines.push({ unparsed: text });
    }
  },
  note: (fields) => lines.push({ service: 'launcher', ...fields }),
};

async function waitForLine(predicate: (line: Line) => boolean, timeoutMs = 5000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = lines.find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let receiver: OtlpReceiver;
let gatewayUrl: string;
let fastPort: number;
let steadyPort: number;
let steadySpec: ServiceSpec;
const services: RunningService[] = [];

function competitorSpec(id: string, profile: string, port: number): ServiceSpec {
  return {
    name: `competitor-${id}`,
    script: path.join(ROOT, 'competitor', 'server.ts'),
    env: { ...sharedEnv(), PORT: String(port), COMPETITOR_ID: id, COMPETITOR_PROFILE: profile, OTEL_SERVICE_NAME: `competitor-${id}` },
    readyUrl: `http://127.0.0.1:${port}/health/ready`,
  };
}

function sharedEnv(): Record<string, string> {
  return {
    OBS_ADMIN_TOKEN: ADMIN_TOKEN,
    OBS_TRACING_ENABLED: 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OBS_SHUTDOWN_DRAIN_DELAY_MS: '0',
  };
}

async function launch(spec: ServiceSpec): Promise<RunningService> {
  const service = startService(spec, output, process.env);
  services.push(service);
  await waitUntilReady(service, spec.readyUrl, 30_000);
  return service;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fastPort = await freePort();
  const gatewayPort = await freePort();
  steadyPort = await freePort();
  steadySpec = competitorSpec('steady', 'baseline', steadyPort);
  await Promise.all([launch(competitorSpec('fast', 'fast', fastPort)), launch(steadySpec)]);
  await launch({
    name: 'gateway',
    script: path.join(ROOT, 'gateway', 'server.ts'),
    env: {
      ...sharedEnv(),
      PORT: String(gatewayPort),
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_COMPETITORS: `fast=http://127.0.0.1:${fastPort},steady=http://127.0.0.1:${steadyPort}`,
      GATEWAY_BREAKER_VOLUME_THRESHOLD: '2',
      GATEWAY_BREAKER_RESET_MS: '1000',
      GATEWAY_BREAKER_JITTER: '0',
    },
    readyUrl: `http://127.0.0.1:${gatewayPort}/health/ready`,
  });
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
});

afterAll(async () => {
  await stopServices(services, 5000);
  await receiver?.close();
});

/** Writes `bytes` on a connection of its own and answers what came back once the server closed it. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    // The server closes while the rest of the headers is still on its way: a reset then is expected.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
  });
}

const client = (): OpenAI => new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('the pipeline in real processes', () => {
  it('answers the openai client through the gateway, streaming and not, and logs the stream per competitor', async () => {
    const completion = await client().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hello' }] });
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));

    const { data: stream, response } = await client()
      .chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'calc 6*7' }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id');
    let text = '';
    const janus: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; janus?: { event: string } } | undefined;
      text += delta?.content ?? '';
      if (delta?.janus !== undefined) janus.push(delta.janus.event);
    }
    expect(text).toMatch(/^The calc tool returned 42\. /);
    expect(janus).toEqual(['tool_start', 'sandbox_start', 'sandbox_end', 'tool_end']);
    const completed = await waitForLine((l) => l.service === 'gateway' && l.message === 'request completed' && l.request_id === requestId);
    expect(completed).toMatchObject({ competitor_id: 'fast', outcome: 'completed', status: 200, route: '/v1/chat/completions' });
    for (const field of ['ttft_ms', 'upstream_ttft_ms', 'max_gap_ms', 'max_content_gap_ms', 'events', 'bytes_out']) {
      expect(completed[field]).toEqual(expect.any(Number));
    }
    // The same request id reached the competitor.
    await waitForLine((l) => l.service === 'competitor-fast' && l.message === 'request completed' && l.request_id === requestId);
  });

  it('answers a request with 64 KB of headers with 431 in OpenAI\'s error shape, from the gateway and a competitor alike', async () => {
    for (const port of [Number(new URL(gatewayUrl).port), fastPort]) {
      const answer = await rawExchange(port, `GET /v1/models HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/);
      expect(JSON.parse(body)).toEqual({
        error: { message: 'Request headers are too large', type: 'invalid_request_error', param: null, code: 'SIGHTLINE_ERR_HEADERS_TOO_LARGE', request_id: expect.any(String) },
      });
    }
    await waitForLine((l) => l.service === 'gateway' && l.message === 'client error answered' && l.code === 'HPE_HEADER_OVERFLOW');
    await waitForLine((l) => l.service === 'competitor-fast' && l.message === 'client error answered' && l.code === 'HPE_HEADER_OVERFLOW');
  });

  it('follows one trace from the gateway through the competitor to the sandbox child', async () => {
    const { data: stream, response } = await client()
      .chat.completions.create({ model: 'fast', stream: true, messages: [{ role: 'user', content: 'echo traced' }] })
      .withResponse();
    for await (const _chunk of stream) {
      // drain
    }
    const traceId = /^00-([0-9a-f]{32})-/.exec(response.headers.get('traceparent') ?? '')?.[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // Walk from the sandbox up to the gateway's span: every hop is a parent in the same trace.
    // The spans between them (the competitor's server span, the gateway's client span) end
    // last and may come in a later export batch: wait for the whole chain.
    const chainOf = (all: readonly ReceivedSpan[]): string[] => {
      const trace = all.filter((span) => span.traceId === traceId);
      const byId = new Map(trace.map((span) => [span.spanId, span]));
      const chain: string[] = [];
      for (let span = trace.find((s) => s.name === 'sandbox.exec'); span !== undefined; span = byId.get(span.parentSpanId)) {
        chain.push(`${String(span.resource['service.name'])}:${span.name}`);
      }
      return chain;
    };
    const spans = await receiver.waitForSpans(
      (all) => all.some((s) => s.traceId === traceId && s.name === 'sandbox.spawn') && chainOf(all).includes('gateway:gateway.route'),
      15_000,
    );
    const trace = spans.filter((span) => span.traceId === traceId);
    expect(trace.find((span) => span.name === 'gateway.route')?.resource['service.name']).toBe('gateway');
    expect(trace.find((span) => span.name === 'sandbox.exec')?.resource['service.name']).toBe('competitor-fast');
    const chain = chainOf(spans);
    expect(chain[0]).toBe('competitor-fast:sandbox.exec');
    expect(chain).toContain('gateway:gateway.route');
    const childLine = await waitForLine((l) => l.service === 'sandbox' && l.message === 'sandbox call started' && l.trace_id === traceId);
    expect(childLine.tool).toBe('echo');
  });

  it('aborts the competitor within 100 ms when the client leaves mid-stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-client-leaves' },
      body: JSON.stringify({ model: 'steady', stream: true, messages: [{ role: 'user', content: 'sleep 5000' }] }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const gatewayLine = await waitForLine((l) => l.service === 'gateway' && l.message === 'request completed' && l.request_id === 'e2e-client-leaves');
    const competitorLine = await waitForLine((l) => l.service === 'competitor-steady' && l.message === 'request completed' && l.request_id === 'e2e-client-leaves');
    expect(gatewayLine.outcome).toBe('client_aborted');
    expect(competitorLine.outcome).toBe('client_aborted');
    const lag = Date.parse(String(competitorLine.timestamp)) - Date.parse(String(gatewayLine.timestamp));
    expect(lag).toBeLessThan(100);
  });

  it('turns a competitor killed mid-stream into an APIError, opens its circuit, and closes it once it is back', async () => {
    const steady = services.find((service) => service.name === 'competitor-steady')!;
    const stream = await client().chat.completions.create({ model: 'steady', stream: true, messages: [{ role: 'user', content: 'sleep 4000' }] });
    const read = (async () => {
      for await (const chunk of stream) {
        if ((chunk.choices[0]?.delta as { janus?: { event: string } } | undefined)?.janus?.event === 'sandbox_start') steady.child.kill('SIGKILL');
      }
    })();
    await expect(read).rejects.toBeInstanceOf(APIError);
    await steady.exited;

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'hi' }] }),
      });
      statuses.push(res.status);
      if (res.status === 503) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
    }
    expect(statuses).toContain(502);
    expect(statuses.at(-1)).toBe(503);
    const models = (await (await fetch(`${gatewayUrl}/v1/models`)).json()) as { data: { id: string; circuit_state: string }[] };
    expect(models.data.find((model) => model.id === 'steady')?.circuit_state).toBe('open');

    services.splice(services.indexOf(steady), 1);
    await launch(steadySpec);
    const deadline = Date.now() + 15_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const res = await fetch(`${gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'steady', messages: [{ role: 'user', content: 'hi' }] }),
      });
      recovered = res.status === 200;
    }
    expect(recovered).toBe(true);
    await waitForLine((l) => l.service === 'gateway' && l.message === 'event' && l.event === 'circuit.state_changed' && (l.metadata as Line).to === 'closed');
  });
});
