import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describeFailure } from './describeFailure';
import { stopServices, type LauncherOutput, type RunningService } from './launcher';
import { freePorts, PIPELINE_COMPETITORS as COMPETITORS, PIPELINE_HOST as HOST, pipelineSpecs, startPipeline } from './pipeline';
import type { StepVerdict } from './steps';

/**
 * The smoke step of `test-all`: the local pipeline started as `npm start` starts it (three
 * competitors, then the gateway, each its own process through the launcher), then
 * `/health/ready` on the gateway, one streamed chat completion through it, and a stop.
 */

/** Service lines kept to show when the smoke test fails. */
const KEPT_LINES = 40;

export interface PipelineSmokeOptions {
  /** Folder holding `gateway/` and `competitor/`: the checkout (`.ts`, through ts-node) or `dist/` (`.js`). */
  readonly appRoot: string;
  readonly extension: '.ts' | '.js';
  /** Where progress (and, on failure, the services' last lines) is written. */
  readonly write: (text: string) => void;
  /** Each service's wait for readiness. Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** The chat completion's limit. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Environment the services inherit. Default `process.env`. */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

export async function runPipelineSmoke(options: PipelineSmokeOptions): Promise<StepVerdict> {
  const { appRoot, extension, write, readyTimeoutMs = 60_000, requestTimeoutMs = 30_000, baseEnv = process.env } = options;
  const kept: string[] = [];
  const keep = (text: string): void => {
    kept.push(text);
    if (kept.length > KEPT_LINES) kept.shift();
  };
  const output: LauncherOutput = { line: keep, note: (fields) => keep(JSON.stringify({ service: 'launcher', ...fields })) };
  const [gatewayPort, ...competitorPorts] = await freePorts(COMPETITORS.length + 1);
  const shared = { OBS_ADMIN_TOKEN: randomBytes(24).toString('base64url'), OBS_SHUTDOWN_DRAIN_DELAY_MS: '0', OBS_SHUTDOWN_GRACE_PERIOD_MS: '2000' };
  const specs = pipelineSpecs({ appRoot, extension, gatewayPort: gatewayPort as number, competitorPorts, shared });
  const base = `http://${HOST}:${gatewayPort}`;

  const services: RunningService[] = [];
  const started = performance.now();
  try {
    await startPipeline(specs, services, output, baseEnv, readyTimeoutMs);
    write(`pipeline ready in ${Math.round(performance.now() - started)} ms (gateway ${base})\n`);

    const ready = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5000) });
    const readyBody = await ready.text();
    if (ready.status !== 200) return failed(`GET /health/ready answered ${ready.status}: ${readyBody.slice(0, 200)}`);
    write(`GET /health/ready: 200 ${readyBody.slice(0, 200)}\n`);

    const chat = await streamedCompletion(base, requestTimeoutMs);
    write(`POST /v1/chat/completions (stream): ${chat.chunks} chunks in ${chat.ms} ms: ${JSON.stringify(chat.content.slice(0, 80))}\n`);
    return { status: 'pass', detail: `/health/ready 200; streamed completion of ${chat.chunks} chunks in ${chat.ms} ms` };
  } catch (error) {
    return failed(describeFailure(error));
  } finally {
    await stopServices(services, 10_000);
  }

  function failed(detail: string): StepVerdict {
    write(`smoke failed: ${detail}\nlast service lines:\n${kept.join('\n')}\n`);
    return { status: 'fail', detail };
  }
}

interface Completion {
  readonly chunks: number;
  readonly content: string;
  readonly ms: number;
}

/** One `stream: true` completion from the baseline competitor; throws unless it streams content and ends with `[DONE]`. */
async function streamedCompletion(base: string, timeoutMs: number): Promise<Completion> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'test-all-smoke' },
    body: JSON.stringify({ model: 'baseline', stream: true, messages: [{ role: 'user', content: 'Say hello to the smoke test' }] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`POST /v1/chat/completions answered ${res.status}: ${body.slice(0, 200)}`);
  const data = body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice('data: '.length));
  if (data.at(-1) !== '[DONE]') throw new Error(`the stream did not end with data: [DONE]; last event: ${String(data.at(-1)).slice(0, 200)}`);
  let content = '';
  for (const event of data.slice(0, -1)) {
    const chunk = JSON.parse(event) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
    if (chunk.error !== undefined) throw new Error(`the stream carried an error event: ${event.slice(0, 200)}`);
    content += chunk.choices?.[0]?.delta?.content ?? '';
  }
  if (content === '') throw new Error(`the stream carried no content in ${data.length} events`);
  return { chunks: data.length - 1, content, ms: Math.round(performance.now() - started) };
}
