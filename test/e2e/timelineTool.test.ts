/**
 * `sightline timeline` on the logs of a real run: the gateway and a competitor started as
 * processes by the launcher's helpers, one streamed completion with a tool call through
 * them, their stdout lines written to a file as `npm start` would print them, then the CLI
 * run as a child process on that file (and on stdin).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startService, stopServices, waitUntilReady, type LauncherOutput, type RunningService, type ServiceSpec } from '../../scripts/launcher';
import { ms } from '../../src/timeline/classifyLine';
import { freePort } from '../../scripts/pipeline';

jest.setTimeout(60_000);

type Line = Record<string, unknown>;
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'sightline.ts');
const NOT_JSON = '> sightline@0.1.0 start (a line npm prints, not JSON)';

const raw: string[] = [];
const output: LauncherOutput = {
  line: (text) => raw.push(text),
  // As `npm start` prints what the launcher itself says: one JSON line.
  note: (fields) => raw.push(JSON.stringify({ timestamp: new Date().toISOString(), service: 'launcher', ...fields })),
};
const parsed = (): Line[] =>
  raw.flatMap((text) => {
    try {
      return [JSON.parse(text) as Line];
    } catch {
      return [];
    }
  });

async function waitForLine(predicate: (line: Line) => boolean, timeoutMs = 10_000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = parsed().find(predicate);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: readonly string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', 'ts-node/register', CLI, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function cliWithStdin(args: readonly string[], input: string): Promise<CliRun> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const code = await new Promise<number>((resolve) => child.once('close', (exitCode: number | null) => resolve(exitCode ?? -1)));
  return { code, stdout, stderr };
}

const services: RunningService[] = [];
let dir: string;
let logFile: string;
let requestId: string;
let traceId: string;
let bodyBytes: number;
let gatewayCompleted: Line;
/** Where the line that is not JSON went in the file. */
let notJsonLineNumber: number;

async function launch(spec: ServiceSpec): Promise<void> {
  const service = startService(spec, output, process.env);
  services.push(service);
  await waitUntilReady(service, spec.readyUrl, 30_000);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-timeline-e2e-'));
  const [competitorPort, gatewayPort] = [await freePort(), await freePort()];
  const shared = { OBS_SHUTDOWN_DRAIN_DELAY_MS: '0', OBS_TRACING_ENABLED: 'false' };
  await launch({
    name: 'competitor-calc',
    script: path.join(ROOT, 'competitor', 'server.ts'),
    env: { ...shared, PORT: String(competitorPort), COMPETITOR_ID: 'calc', COMPETITOR_PROFILE: 'fast' },
    readyUrl: `http://127.0.0.1:${competitorPort}/health/ready`,
  });
  await launch({
    name: 'gateway',
    script: path.join(ROOT, 'gateway', 'server.ts'),
    env: { ...shared, PORT: String(gatewayPort), GATEWAY_HOST: '127.0.0.1', GATEWAY_COMPETITORS: `calc=http://127.0.0.1:${competitorPort}` },
    readyUrl: `http://127.0.0.1:${gatewayPort}/health/ready`,
  });

  // A calculation makes the simulated model call the calc tool in a sandbox child.
  const res = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'calc', stream: true, messages: [{ role: 'user', content: 'calc (2+3)*4' }] }),
  });
  expect(res.status).toBe(200);
  const body = await res.text();
  expect(body).toContain('"janus":{"event":"sandbox_end"');
  bodyBytes = Buffer.byteLength(body);
  requestId = res.headers.get('x-request-id') ?? '';
  traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceparent') ?? '')?.[1] ?? '';
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  gatewayCompleted = await waitForLine((l) => l.service === 'gateway' && l.message === 'request completed' && l.request_id === requestId);
  await waitForLine((l) => l.service === 'competitor-calc' && l.message === 'request completed' && l.request_id === requestId);
  await waitForLine((l) => l.service === 'sandbox' && l.message === 'sandbox call finished' && l.trace_id === traceId);

  logFile = path.join(dir, 'pipeline.log');
  const lines = [...raw];
  notJsonLineNumber = Math.floor(lines.length / 2) + 1;
  lines.splice(notJsonLineNumber - 1, 0, NOT_JSON);
  await writeFile(logFile, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await stopServices(services, 5000);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The index of the one row matching `pattern`; fails naming the pattern and showing the rows. */
function rowMatching(rows: readonly string[], pattern: RegExp): number {
  const matching = rows.flatMap((row, index) => (pattern.test(row) ? [index] : []));
  if (matching.length !== 1) throw new Error(`${matching.length} rows match ${pattern}, expected one:\n${rows.join('\n')}`);
  return matching[0]!;
}

describe('sightline timeline on the logs of a real run', () => {
  it('prints the request across gateway, competitor and sandbox, in order, and counts the line that is not JSON', async () => {
    const result = await cli(['timeline', requestId, logFile]);
    expect(result.stderr).toBe(`1 line was not JSON, skipped (first at ${logFile}:${notJsonLineNumber})\n`);
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toContain(`timeline of ${requestId} · trace ${traceId}`);
    expect(header).toMatch(/from gateway, competitor-calc, sandbox/);

    // The story of the request. Services log with millisecond timestamps, so two steps in
    // different processes may share one: the order is checked on the offsets printed.
    const offsets = rows.map((row) => Number(/^ *\+(\d+) ms/.exec(row)?.[1]));
    expect(offsets[0]).toBe(0);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    const story = [
      /gateway +arrival +request started: POST \/v1\/chat\/completions/,
      /gateway +upstream call \(calc\) +upstream call started/,
      /competitor-calc +arrival +request started/,
      /competitor-calc +tool start \(calc\) +tool call started: call_/,
      /competitor-calc +sandbox start \(pid \d+/,
      /sandbox +sandbox call start \(calc\)/,
      /sandbox +sandbox end \(ok, /,
      /competitor-calc +tool end \(calc, ok, /,
      /gateway +completion \(200, \d+ bytes, completed\)/,
    ].map((pattern) => rowMatching(rows, pattern));
    const storyOffsets = story.map((index) => offsets[index] ?? Number.NaN);
    expect(storyOffsets).toEqual([...storyOffsets].sort((a, b) => a - b));
    // The gateway may finish its answer a moment before the competitor logs the end of its own.
    const competitorDone = rowMatching(rows, /competitor-calc +completion \(200, \d+ bytes, completed\)/);
    expect(offsets[competitorDone]).toBeGreaterThanOrEqual(offsets[story.at(-2)!]!);
    const firstToken = rowMatching(rows, /gateway +first token \(ttft /);
    expect(firstToken).toBeGreaterThan(story[1]!);
    expect(firstToken).toBeLessThan(story.at(-1)!);
    expect(rows[story.at(-1)!]).toContain(`completion (200, ${bodyBytes} bytes, completed)`);

    // TTFT as the gateway's access log measured it for the client.
    expect(rows[firstToken]).toContain(`first token (ttft ${ms(gatewayCompleted.ttft_ms)})`);
    // Nothing from the services' start-up or shutdown.
    expect(result.stdout).not.toMatch(/listening|pool\.started|shutdown/);
  });

  it('prints the same timeline as JSON with --json, every line of the same trace', async () => {
    const result = await cli(['timeline', requestId, logFile, '--json']);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      request_ids: string[];
      trace_ids: string[];
      services: string[];
      lines_not_json: number;
      rows: { offset_ms: number; service: string; kind: string; fields: Line | null }[];
    };
    expect(doc).toMatchObject({ request_ids: [requestId], trace_ids: [traceId], services: ['gateway', 'competitor-calc', 'sandbox'], lines_not_json: 1 });
    expect(doc.rows.every((row) => row.fields === null || row.fields.trace_id === traceId)).toBe(true);
    const kinds = doc.rows.map((row) => `${row.service}:${row.kind}`);
    for (const kind of [
      'gateway:arrival',
      'gateway:upstream_call',
      'gateway:first_token',
      'gateway:stream_event',
      'competitor-calc:tool_start',
      'competitor-calc:sandbox_start',
      'sandbox:sandbox_start',
      'sandbox:sandbox_end',
      'competitor-calc:tool_end',
      'competitor-calc:completion',
      'gateway:completion',
    ]) {
      expect(kinds).toContain(kind);
    }
    const completion = doc.rows.find((row) => row.service === 'gateway' && row.kind === 'completion');
    expect(completion?.fields).toMatchObject({ status: 200, bytes_out: bodyBytes, outcome: 'completed' });
  });

  it('reads the log lines from stdin and follows a trace id as well as a request id', async () => {
    const [byRequest, byTrace] = await Promise.all([cli(['timeline', requestId, logFile]), cliWithStdin(['timeline', traceId], await readFile(logFile, 'utf8'))]);
    expect(byTrace.code).toBe(0);
    expect(byTrace.stderr).toBe(`1 line was not JSON, skipped (first at stdin:${notJsonLineNumber})\n`);
    // Same rows; only the header names the id given.
    expect(byTrace.stdout.split('\n').slice(1)).toEqual(byRequest.stdout.split('\n').slice(1));
  });

  it('exits 1 with a clear message for an id on no line', async () => {
    const result = await cli(['timeline', 'no-such-request-id', logFile]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^1 line was not JSON, skipped .*\nsightline timeline: no line has request_id or trace_id "no-such-request-id" \(\d+ JSON lines read from .*pipeline\.log\)\n$/);
  });
});
