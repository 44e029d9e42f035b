import { once } from 'node:events';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createGatewayApp, type GatewayApp, type GatewayAppOptions } from '../../gateway/app';
import { captureLogs, type LogCapture, type LogLine } from '../../src/testing';
import { startFakeCompetitor, type FakeCompetitor } from './fakeCompetitor';
import { waitForLines } from './observedApp';

export interface RunningGateway {
  readonly gateway: GatewayApp;
  readonly logs: LogCapture;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly server: Server;
  /** The official client, without retries (a retry would hide what is tested). */
  readonly client: OpenAI;
  close(): Promise<void>;
}

/** A gateway on port 0 with its lines captured; `/metrics` public. Short timeouts unless given. */
export async function startGateway(options: GatewayAppOptions, environment: Record<string, string> = {}): Promise<RunningGateway> {
  const logs = captureLogs();
  const gateway = createGatewayApp({
    environment: { OBS_METRICS_PUBLIC: 'true', ...environment },
    logger: { transports: [logs] },
    breakerJitter: 0,
    ...options,
  });
  const server = gateway.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
  return {
    gateway,
    logs,
    url,
    server,
    client,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

export function completedLine(logs: LogCapture, requestId: string, timeoutMs = 3000): Promise<LogLine> {
  return waitForLines(logs, (line) => line.message === 'request completed' && line.request_id === requestId, 1, timeoutMs).then(
    (lines) => lines[0] as LogLine,
  );
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A POST with a raw body, read to its end (or its abrupt close). */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => undefined);
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function chatBody(model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], ...extra });
}

/** Data events of an SSE body, in order (comments left out). */
export function dataEvents(body: string): string[] {
  return body
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface GatewayOnFake {
  /** The fake competitor `baseline`, shared by the describe block. */
  fake(): FakeCompetitor;
  /** A gateway routing `baseline` to the fake, closed after the test. */
  gateway(options?: Partial<GatewayAppOptions>): Promise<RunningGateway>;
}

/** Registers the hooks of a describe block whose tests run gateways in front of one fake competitor. */
export function gatewayOnFakeCompetitor(): GatewayOnFake {
  let fake: FakeCompetitor | undefined;
  const started: RunningGateway[] = [];
  beforeAll(async () => {
    fake = await startFakeCompetitor();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((running) => running.close()));
  });
  afterAll(async () => {
    await fake?.close();
  });
  const current = (): FakeCompetitor => {
    if (fake === undefined) throw new Error('the fake competitor is started in beforeAll');
    return fake;
  };
  return {
    fake: current,
    async gateway(options = {}) {
      const running = await startGateway({ competitors: [{ id: 'baseline', url: current().url }], ...options });
      started.push(running);
      return running;
    },
  };
}
