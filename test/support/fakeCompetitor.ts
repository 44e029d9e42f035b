import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import express, { type Request, type Response } from 'express';

/**
 * A competitor for the gateway's tests: a real Express app on port 0 speaking the contract
 * (OpenAI `chat.completion.chunk` data lines, `delta.reasoning_content`, `delta.janus`
 * events, `: ping` comments, `data: [DONE]`), scripted per test.
 */

export type JanusKind = 'tool_start' | 'tool_end' | 'sandbox_start' | 'sandbox_end';

export type Step =
  | { readonly wait: number }
  | { readonly content: string }
  | { readonly reasoning: string }
  | { readonly toolCall: { readonly name: string; readonly arguments: string } }
  | { readonly janus: { readonly event: JanusKind; readonly payload?: unknown } }
  | { readonly finish: 'stop' | 'length' | 'tool_calls' }
  | { readonly error: { readonly message: string; readonly type?: string; readonly code?: string } }
  | { readonly raw: string }
  | 'role'
  | 'ping'
  | 'done'
  /** Destroys the socket: the competitor dies mid-stream. */
  | 'destroy'
  /** Stops here, the connection left open. */
  | 'hang';

export interface RecordedRequest {
  readonly body: Record<string, unknown>;
  /** The body's bytes as they arrived. */
  readonly rawBody: string;
  readonly headers: IncomingHttpHeaders;
  readonly receivedAt: number;
  /** When the competitor's response closed (`performance`-free wall clock, ms). */
  closedAt: number | undefined;
  /** Closed before the competitor ended its response: the gateway hung up. */
  abortedByCaller: boolean | undefined;
  readonly closed: Promise<void>;
}

export interface ScriptContext {
  readonly req: Request;
  readonly res: Response;
  readonly record: RecordedRequest;
  /** Resolves after `ms`, or at once when the response closed. */
  wait(ms: number): Promise<void>;
}

export type Script = (context: ScriptContext) => void | Promise<void>;

export interface FakeCompetitor {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** How the next requests are answered (until changed). */
  script(script: Script): void;
  /** What `/health/ready` answers. */
  healthy(ok: boolean): void;
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

const MODEL = 'fake-model';

export function chunkLine(delta: Record<string, unknown>, finishReason: string | null = null, id = 'chatcmpl-fake'): string {
  const chunk = {
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export function completionBody(content: string): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  };
}

/** The text a step writes, or undefined for control steps. */
export function stepText(step: Step): string | undefined {
  if (step === 'role') return chunkLine({ role: 'assistant', content: '' });
  if (step === 'ping') return ': ping\n\n';
  if (step === 'done') return 'data: [DONE]\n\n';
  if (step === 'destroy' || step === 'hang') return undefined;
  if ('wait' in step) return undefined;
  if ('content' in step) return chunkLine({ content: step.content });
  if ('reasoning' in step) return chunkLine({ reasoning_content: step.reasoning });
  if ('toolCall' in step) {
    return chunkLine({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: step.toolCall }] });
  }
  if ('janus' in step) return chunkLine({ janus: { event: step.janus.event, payload: step.janus.payload ?? {} } });
  if ('finish' in step) return chunkLine({}, step.finish);
  if ('error' in step) return `data: ${JSON.stringify({ error: { type: 'server_error', code: null, param: null, ...step.error } })}\n\n`;
  return step.raw;
}

/** Streams `steps` as Server-Sent Events. */
export function sse(steps: readonly Step[], options: { readonly status?: number; readonly headersDelayMs?: number } = {}): Script {
  return async ({ res, wait }) => {
    if (options.headersDelayMs !== undefined) await wait(options.headersDelayMs);
    if (res.destroyed) return;
    res.writeHead(options.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    for (const step of steps) {
      if (res.destroyed) return;
      if (step === 'hang') return;
      if (step === 'destroy') {
        res.socket?.destroy();
        return;
      }
      if (typeof step === 'object' && 'wait' in step) {
        await wait(step.wait);
        continue;
      }
      res.write(stepText(step));
    }
    res.end();
  };
}

/** A whole stream: role, the words as content, stop, `[DONE]`. */
export function words(text: string, gapMs = 0): Script {
  const steps: Step[] = ['role'];
  for (const word of text.split(/(?<= )/)) {
    if (gapMs > 0) steps.push({ wait: gapMs });
    steps.push({ content: word });
  }
  steps.push({ finish: 'stop' }, 'done');
  return sse(steps);
}

export function json(status: number, body: unknown, delayMs = 0): Script {
  return async ({ res, wait }) => {
    if (delayMs > 0) await wait(delayMs);
    if (!res.destroyed) res.status(status).json(body);
  };
}

/** Stream or not, as the request asked: the contract's happy path. */
export const answer: Script = (context) => {
  if (context.record.body.stream === true) return words('Hello from the fake competitor')(context);
  return json(200, completionBody('Hello from the fake competitor'))(context);
};

/** Accepts the request and never answers. */
export const hang: Script = () => undefined;

/** Closes the connection without a response. */
export const destroyAtOnce: Script = ({ res }) => {
  res.socket?.destroy();
};

/** As many bytes as the caller takes, as fast as it takes them, in chunks of `chunkBytes`. */
export function flood(totalBytes: number, chunkBytes = 16 * 1024, progress: { sent: number } = { sent: 0 }): Script {
  return async ({ res }) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const line = chunkLine({ content: 'x'.repeat(Math.max(1, chunkBytes - 200)) });
    let sent = 0;
    while (sent < totalBytes && !res.destroyed) {
      sent += line.length;
      progress.sent = sent;
      if (!res.write(line)) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go).off('close', go);
            resolve();
          };
          res.on('drain', go).on('close', go);
        });
      }
    }
    if (!res.destroyed) res.end('data: [DONE]\n\n');
  };
}

export async function startFakeCompetitor(initial: Script = answer): Promise<FakeCompetitor> {
  let current = initial;
  let isHealthy = true;
  const requests: RecordedRequest[] = [];
  const app = express();
  app.get('/health/ready', (_req, res) => {
    res.status(isHealthy ? 200 : 503).json({ status: isHealthy ? 'ok' : 'fail' });
  });
  const rawBodies = new WeakMap<object, string>();
  const json = express.json({ limit: '2mb', verify: (req, _res, raw) => rawBodies.set(req, raw.toString('utf8')) });
  app.post('/v1/chat/completions', json, (req, res) => {
    let markClosed: () => void = () => undefined;
    const record: RecordedRequest = {
      body: (req.body ?? {}) as Record<string, unknown>,
      rawBody: rawBodies.get(req) ?? '',
      headers: req.headers,
      receivedAt: Date.now(),
      closedAt: undefined,
      abortedByCaller: undefined,
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
    };
    const timers = new Set<NodeJS.Timeout>();
    const pending = new Set<() => void>();
    res.on('close', () => {
      record.closedAt = Date.now();
      record.abortedByCaller = !res.writableFinished;
      for (const timer of timers) clearTimeout(timer);
      for (const resolve of pending) resolve();
      markClosed();
    });
    requests.push(record);
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        if (res.destroyed) return resolve();
        const timer = setTimeout(() => {
          timers.delete(timer);
          pending.delete(resolve);
          resolve();
        }, ms);
        timers.add(timer);
        pending.add(resolve);
      });
    Promise.resolve(current({ req, res, record, wait })).catch(() => res.socket?.destroy());
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(script) {
      current = script;
    },
    healthy(ok) {
      isHealthy = ok;
    },
    async waitForRequests(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests at the fake competitor, got ${requests.length}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return requests.slice(0, count);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Blackhole {
  /** A URL whose TCP connections never open. */
  readonly url: string;
  close(): void;
}

/**
 * A port whose connections hang in SYN: a child process listens with a backlog of one and
 * blocks its event loop, two connections fill the accept queue, and the kernel drops every
 * later SYN. (Non-routable addresses answer at once on this kind of machine.)
 */
export async function startBlackhole(): Promise<Blackhole> {
  const script =
    "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{" +
    "process.stdout.write(String(s.address().port)+'\\n');" +
    'setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000),20)})';
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [data] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(String(data).trim());
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fillers: Socket[] = [];
  for (let i = 0; i < 2; i += 1) {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    fillers.push(socket);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}
