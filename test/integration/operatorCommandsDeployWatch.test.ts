import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deployWatch } from '../../scripts/deployWatch';
import { freePorts } from '../../scripts/pipeline';
import { captureOutput, cleanEnvironment, REPO_ROOT, runScript } from '../support/operatorCommand';

/**
 * `deploy-watch` against real servers on port 0: a service that turns ready after N polls,
 * one that never does, one that is not there yet, and a fake Render API. Checks the lines
 * printed (one per change of state), the log followers, and the exit codes.
 */

const STATE_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) {2}(\S+) +(.*)$/;

interface FakeService {
  readonly url: string;
  /** Requests to /health/ready so far, with when they arrived. */
  readonly polls: number[];
  close(): Promise<void>;
}

/** `/health/ready` answers 503 `{"status":"fail","reason":"starting"}` for the first `failures` polls, then 200. */
async function serviceReadyAfter(failures: number, port = 0): Promise<FakeService> {
  const polls: number[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/health/ready') {
      res.writeHead(404).end();
      return;
    }
    polls.push(Date.now());
    if (polls.length > failures) res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok","checks":{}}');
    else res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"fail","reason":"starting"}');
  });
  return listening(server, port, polls);
}

async function listening(server: Server, port: number, polls: number[]): Promise<FakeService> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    polls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface FakeRender extends FakeService {
  readonly headers: IncomingHttpHeaders[];
  readonly paths: string[];
}

/** Render's `GET /v1/services/:id/deploys?limit=1`: each answer of `script` in turn (the last repeats). */
async function fakeRender(script: readonly { status: number; body: unknown }[]): Promise<FakeRender> {
  const polls: number[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    polls.push(Date.now());
    headers.push(req.headers);
    paths.push(req.url ?? '');
    const answer = script[Math.min(polls.length - 1, script.length - 1)]!;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  const service = await listening(server, 0, polls);
  return { ...service, url: `${service.url}/v1`, headers, paths };
}

const deploy = (status: string) => ({ status: 200, body: [{ deploy: { id: 'dep-c9x', status, commit: { id: '1a2b3c4d5e6f7a8b9c0d' } }, cursor: 'abc' }] });
const RENDER_KEY = 'rnd_contract_secret_key';

function stateLines(lines: readonly string[]): { state: string; detail: string }[] {
  return lines.flatMap((line) => {
    const match = STATE_LINE.exec(line);
    return match === null ? [] : [{ state: match[2]!, detail: match[3]! }];
  });
}

const started: FakeService[] = [];
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'operator-deploy-watch-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.close()));
  rmSync(scratch, { recursive: true, force: true });
});
async function track<T extends FakeService>(service: Promise<T>): Promise<T> {
  const running = await service;
  started.push(running);
  return running;
}

describe('deploy-watch: health', () => {
  it('exits 0 once /health/ready passes, printing one line per change of state, not per poll', async () => {
    const service = await track(serviceReadyAfter(3));
    const output = captureOutput();
    const code = await deployWatch([service.url, '--interval', '20', '--timeout', '10'], {}, output);
    expect(code).toBe(0);
    expect(service.polls).toHaveLength(4);
    expect(stateLines(output.stdout)).toEqual([
      { state: 'unhealthy', detail: 'HTTP 503 {"status":"fail","reason":"starting"}' },
      { state: 'healthy', detail: 'HTTP 200' },
    ]);
    expect(output.stdout.at(-1)).toMatch(new RegExp(`^deploy-watch: healthy: ${service.url}/health/ready answered HTTP 200 after \\d+\\.\\d s$`));
    expect(output.stderr).toEqual([]);
  });

  it('exits 1 at the deadline naming the last failure when the service never gets ready', async () => {
    const service = await track(serviceReadyAfter(Number.POSITIVE_INFINITY));
    const output = captureOutput();
    const begun = Date.now();
    const code = await deployWatch([`${service.url}/`, '--interval', '50', '--timeout', '0.6'], {}, output);
    const took = Date.now() - begun;
    expect(code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(550);
    expect(took).toBeLessThan(5000);
    expect(service.polls.length).toBeGreaterThan(4);
    expect(stateLines(output.stdout)).toEqual([{ state: 'unhealthy', detail: 'HTTP 503 {"status":"fail","reason":"starting"}' }]);
    expect(output.stderr).toEqual([
      expect.stringMatching(new RegExp(`^deploy-watch: ${service.url}/health/ready not healthy after 0\\.\\d s; last failure: HTTP 503 \\{"status":"fail","reason":"starting"\\}$`)),
    ]);
  });

  it('counts a service that never answers as unreachable, and gives up at the deadline', async () => {
    const polls: number[] = [];
    const hanging = await track(listening(createServer(() => polls.push(Date.now())), 0, polls));
    const output = captureOutput();
    expect(await deployWatch([hanging.url, '--interval', '50', '--timeout', '0.8'], {}, output)).toBe(1);
    expect(stateLines(output.stdout)).toEqual([{ state: 'unreachable', detail: 'no answer before the timeout' }]);
    expect(output.stderr).toEqual([expect.stringMatching(/not healthy after \d\.\d s; last failure: no answer before the timeout$/)]);
  });

  it('goes from unreachable to healthy when the service comes up during the watch', async () => {
    const [port] = await freePorts(1);
    const output = captureOutput();
    const watching = deployWatch([`http://127.0.0.1:${port}`, '--interval', '30', '--timeout', '10'], {}, output);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await track(serviceReadyAfter(0, port));
    expect(await watching).toBe(0);
    const states = stateLines(output.stdout);
    expect(states.map(({ state }) => state)).toEqual(['unreachable', 'healthy']);
    expect(states[0]!.detail).toMatch(/ECONNREFUSED/);
  });

  it.each([
    ['no base URL', [], 'no base URL given'],
    ['two base URLs', ['http://a', 'http://b'], 'one base URL expected, got 2'],
    ['a base URL without scheme', ['localhost:8080'], 'the base URL must be http or https, got "localhost:8080"'],
    ['a base URL that is not one', ['not a url'], 'the base URL must be an http(s) URL'],
    ['a timeout that is not a number', ['http://127.0.0.1:1', '--timeout', 'soon'], '--timeout must be a number of seconds of at least 0.001, got "soon"'],
    ['an interval under 10 ms', ['http://127.0.0.1:1', '--interval', '5'], '--interval must be an integer of milliseconds of at least 10, got "5"'],
    ['an unknown option', ['http://127.0.0.1:1', '--wait', '3'], "Unknown option '--wait'"],
    ['an option without its value', ['http://127.0.0.1:1', '--log'], "Option '--log <value>' argument missing"],
  ])('exits 2 with the usage on %s', async (_case, argv, message) => {
    const output = captureOutput();
    expect(await deployWatch(argv, {}, output)).toBe(2);
    expect(output.stderr.join('\n')).toContain(message);
    expect(output.stderr.join('\n')).toContain('usage: npm run deploy-watch -- <base-url>');
  });
});

describe('deploy-watch: Render', () => {
  const renderEnv = (render: FakeRender, extra: Record<string, string> = {}) => ({ RENDER_API_KEY: RENDER_KEY, RENDER_SERVICE_ID: 'srv-abc', RENDER_API_BASE: render.url, ...extra });

  it('follows the latest deploy until live, then the health check, with the bearer key', async () => {
    const render = await track(fakeRender([deploy('build_in_progress'), deploy('build_in_progress'), deploy('update_in_progress'), deploy('live')]));
    const service = await track(serviceReadyAfter(1));
    const output = captureOutput();
    const code = await deployWatch([service.url, '--interval', '20', '--timeout', '10'], renderEnv(render), output);
    expect(code).toBe(0);
    expect(stateLines(output.stdout)).toEqual([
      { state: 'deploy', detail: 'Render deploy dep-c9x build_in_progress (commit 1a2b3c4d5e6f)' },
      { state: 'deploy', detail: 'Render deploy dep-c9x update_in_progress (commit 1a2b3c4d5e6f)' },
      { state: 'deploy', detail: 'Render deploy dep-c9x live (commit 1a2b3c4d5e6f)' },
      { state: 'unhealthy', detail: 'HTTP 503 {"status":"fail","reason":"starting"}' },
      { state: 'healthy', detail: 'HTTP 200' },
    ]);
    expect(render.paths).toEqual(Array(4).fill('/v1/services/srv-abc/deploys?limit=1'));
    expect(render.headers.map((headers) => headers.authorization)).toEqual(Array(4).fill(`Bearer ${RENDER_KEY}`));
    // The health check starts only once the deploy is live.
    expect(service.polls[0]).toBeGreaterThanOrEqual(render.polls[3]!);
    expect(output.text()).not.toContain(RENDER_KEY);
  });

  it.each(['build_failed', 'update_failed', 'canceled'])('exits 3 when the deploy ends %s, without polling the service', async (status) => {
    const render = await track(fakeRender([deploy('build_in_progress'), deploy(status)]));
    const service = await track(serviceReadyAfter(0));
    const output = captureOutput();
    expect(await deployWatch([service.url, '--interval', '20', '--timeout', '10'], renderEnv(render), output)).toBe(3);
    expect(output.stderr).toEqual([expect.stringMatching(new RegExp(`^deploy-watch: Render deploy dep-c9x ${status} \\(commit 1a2b3c4d5e6f\\) after \\d+\\.\\d s$`))]);
    expect(service.polls).toHaveLength(0);
  });

  it("exits 4 with the API's message when Render refuses the key, never printing it", async () => {
    const render = await track(fakeRender([{ status: 401, body: { id: 'unauthorized', message: 'invalid API key' } }]));
    const output = captureOutput();
    expect(await deployWatch(['http://127.0.0.1:1', '--interval', '20', '--timeout', '10'], renderEnv(render), output)).toBe(4);
    expect(output.stderr).toEqual([expect.stringMatching(/^deploy-watch: Render API answered HTTP 401: invalid API key after \d+\.\d s$/)]);
    expect(render.polls).toHaveLength(1);
    expect(output.text()).not.toContain(RENDER_KEY);
  });

  it('keeps polling through a Render API outage, and through a service with no deploy yet', async () => {
    const render = await track(fakeRender([{ status: 503, body: { message: 'upstream maintenance' } }, { status: 200, body: [] }, deploy('live')]));
    const service = await track(serviceReadyAfter(0));
    const output = captureOutput();
    expect(await deployWatch([service.url, '--interval', '20', '--timeout', '10'], renderEnv(render), output)).toBe(0);
    expect(stateLines(output.stdout).map(({ state, detail }) => `${state}: ${detail}`)).toEqual([
      'render-api: Render API answered HTTP 503: upstream maintenance',
      'deploy: service srv-abc has no deploy yet',
      'deploy: Render deploy dep-c9x live (commit 1a2b3c4d5e6f)',
      'healthy: HTTP 200',
    ]);
  });

  it('uses the health check alone, saying why, when only one Render variable is set', async () => {
    const service = await track(serviceReadyAfter(0));
    const output = captureOutput();
    expect(await deployWatch([service.url, '--timeout', '5'], { RENDER_API_KEY: RENDER_KEY }, output)).toBe(0);
    expect(output.stderr).toEqual(['deploy-watch: Render API not used: RENDER_SERVICE_ID is not set']);
  });
});

describe('deploy-watch: logs', () => {
  it('prints the lines added to --log during the watch, prefixed, and not the older ones', async () => {
    const logFile = path.join(scratch, 'service.log');
    writeFileSync(logFile, 'old line before the watch\n');
    const service = await track(serviceReadyAfter(8));
    const output = captureOutput();
    const watching = deployWatch([service.url, '--interval', '50', '--timeout', '10', '--log', logFile], {}, output);
    await new Promise((resolve) => setTimeout(resolve, 60));
    appendFileSync(logFile, '{"level":"info","message":"listening"}\nmigrations ');
    await new Promise((resolve) => setTimeout(resolve, 60));
    appendFileSync(logFile, 'done\nlast line without newline');
    expect(await watching).toBe(0);
    const logLines = output.stdout.filter((line) => line.startsWith('[log] '));
    expect(logLines).toEqual(['[log] {"level":"info","message":"listening"}', '[log] migrations done', '[log] last line without newline']);
  });

  it('prints the output of --log-command and stops its process group at the end', async () => {
    const pidFile = path.join(scratch, 'command.pid');
    const service = await track(serviceReadyAfter(6));
    const output = captureOutput();
    const command = `echo "from stdout"; echo "from stderr" >&2; echo $$ > ${pidFile}; exec sleep 30`;
    expect(await deployWatch([service.url, '--interval', '50', '--timeout', '10', '--log-command', command], {}, output)).toBe(0);
    expect(output.stdout).toEqual(expect.arrayContaining(['[cmd] from stdout', '[cmd] from stderr']));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('says when the log command exits by itself, and goes on watching', async () => {
    const service = await track(serviceReadyAfter(4));
    const output = captureOutput();
    expect(await deployWatch([service.url, '--interval', '50', '--timeout', '10', '--log-command', 'echo bye; exit 7'], {}, output)).toBe(0);
    expect(output.stdout).toEqual(expect.arrayContaining(['[cmd] bye', '[cmd] exited (code 7)']));
  });
});

describe('deploy-watch as its own process', () => {
  it('exits 0 healthy, 1 unhealthy at the deadline, 2 on bad usage', async () => {
    const ready = await track(serviceReadyAfter(1));
    const never = await track(serviceReadyAfter(Number.POSITIVE_INFINITY));
    const [healthy, unhealthy, usage] = await Promise.all([
      runScript('deployWatch.ts', [ready.url, '--interval', '50', '--timeout', '20']),
      runScript('deployWatch.ts', [never.url, '--interval', '50', '--timeout', '1']),
      runScript('deployWatch.ts', ['--timeout', '3']),
    ]);
    expect({ code: healthy.code, stdout: healthy.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('deploy-watch: healthy:') });
    expect({ code: unhealthy.code, stderr: unhealthy.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('last failure: HTTP 503') });
    expect({ code: usage.code, stderr: usage.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('no base URL given') });
  }, 60_000);

  it('exits 130 on SIGTERM after stopping its log command', async () => {
    const never = await track(serviceReadyAfter(Number.POSITIVE_INFINITY));
    const pidFile = path.join(scratch, 'command.pid');
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register', path.join(REPO_ROOT, 'scripts', 'deployWatch.ts'), never.url, '--interval', '50', '--timeout', '60', '--log-command', `echo $$ > ${pidFile}; exec sleep 30`],
      { cwd: REPO_ROOT, env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    const exited = once(child, 'exit');
    const deadline = Date.now() + 30_000;
    while (!(existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted by SIGTERM after \d+\.\d s/);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 60_000);
});
