/**
 * The load scenarios (infra/load) run briefly through `runLoad`, the function behind
 * `npm run load`, against a real gateway and competitor in their own processes: small
 * connection counts, a second or two each. One gateway is shared through `--url`; soak
 * starts and stops its own, as `npm run load` does without `--url`. Latency and rate limits
 * are loosened by flag (other suites share the machine): these tests check the mechanics;
 * the figures are the real runs' business (README, "Load tests").
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/pipeline';
import { startOwnPipeline, type OwnPipeline } from '../../infra/load/pipeline';
import { EXIT, runLoad } from '../../infra/load/run';

jest.setTimeout(60_000);

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function load(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runLoad(argv, { out: (line) => out.push(line), err: (line) => err.push(line), environment: {} });
  return { code, out, err };
}

/** The one printed line starting with `[scenario] <prefix>`. */
function line(run: Run, scenario: string, prefix: string): string {
  const found = run.out.filter((text) => text.startsWith(`[${scenario}] ${prefix}`));
  if (found.length !== 1) throw new Error(`expected one "[${scenario}] ${prefix}" line, got ${found.length} in:\n${run.out.join('\n')}\n${run.err.join('\n')}`);
  return found[0]!;
}

const FIGURES = /p50 \d+\.\d ms, p95 \d+\.\d ms, p99 \d+\.\d ms/;
const TOTAL = (scenario: string): RegExp =>
  new RegExp(`^\\[${scenario}\\] total: [\\d,]+ requests in \\d+\\.\\d s, [\\d,]+ req/s, ${FIGURES.source}, max \\d+\\.\\d ms, non-2xx 0\\.00% \\(0 non-2xx, 0 errors, 0 of them timeouts\\)$`);

let directory: string;
let pipeline: OwnPipeline;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'sightline-load-test-'));
  pipeline = await startOwnPipeline({ model: 'baseline', profile: 'instant', logFile: path.join(directory, 'shared.log'), logLevel: undefined });
});

afterAll(async () => {
  await pipeline?.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('npm run load', () => {
  it('chat_load ramps through its steps and passes with every request answered 2xx', async () => {
    const run = await load('chat_load', '--url', pipeline.url, '--steps', '2,4', '--duration', '2', '--warmup', '0', '--p95-ms', '5000');
    expect(run).toMatchObject({ code: EXIT.passed, err: [] });
    expect(line(run, 'chat_load', 'target')).toBe(`[chat_load] target ${pipeline.url} (given), model baseline: ramp 2 → 4 connections, 1 s each, after 0 s of warm-up`);
    expect(line(run, 'chat_load', 'step 1/2: 2 connections')).toMatch(FIGURES);
    expect(line(run, 'chat_load', 'step 2/2: 4 connections')).toMatch(FIGURES);
    expect(line(run, 'chat_load', 'total')).toMatch(TOTAL('chat_load'));
    expect(run.out.slice(-3)).toEqual([
      '[chat_load] PASS non-2xx share: 0.00% < 1%',
      expect.stringMatching(/^\[chat_load\] PASS p95: \d+\.\d ms < 5000 ms$/),
      '[chat_load] result: PASS',
    ]);
  });

  it('chat_load exits 1 when a threshold cannot be met', async () => {
    const run = await load('chat_load', '--url', pipeline.url, '--steps', '2', '--duration', '1', '--warmup', '0', '--p95-ms', '0');
    expect(run.code).toBe(EXIT.thresholdMissed);
    expect(line(run, 'chat_load', 'FAIL p95')).toMatch(/^\[chat_load\] FAIL p95: \d+\.\d ms >= 0 ms$/);
    expect(run.out.at(-1)).toBe('[chat_load] result: FAIL (1 of 2 thresholds missed)');
  });

  it('stream_load holds its rate and reads every stream to data: [DONE]', async () => {
    const run = await load('stream_load', '--url', pipeline.url, '--rate', '4', '--duration', '2', '--warmup', '0', '--p95-ms', '5000', '--min-rate-pct', '50');
    expect(run).toMatchObject({ code: EXIT.passed, err: [] });
    expect(line(run, 'stream_load', 'total')).toMatch(TOTAL('stream_load'));
    expect(line(run, 'stream_load', 'PASS achieved rate')).toMatch(/ of 4\/s >= 50%$/);
    expect(run.out.at(-1)).toBe('[stream_load] result: PASS');
  });

  it('health_load hammers liveness and readiness side by side', async () => {
    const run = await load('health_load', '--url', pipeline.url, '--connections', '4', '--duration', '1', '--warmup', '0', '--p95-ms', '5000');
    expect(run).toMatchObject({ code: EXIT.passed, err: [] });
    expect(line(run, 'health_load', '/health/live (2 connections)')).toMatch(FIGURES);
    expect(line(run, 'health_load', '/health/ready (2 connections)')).toMatch(FIGURES);
    expect(line(run, 'health_load', 'total')).toMatch(TOTAL('health_load'));
    expect(run.out.at(-1)).toBe('[health_load] result: PASS');
  });

  it('soak starts its own gateway, compares its RSS after warm-up with the end, and stops it', async () => {
    const logFile = path.join(directory, 'soak.log');
    const run = await load('soak', '--duration', '2', '--warmup', '1', '--rate', '4', '--stream-rate', '2', '--log-file', logFile, '--max-rss-growth-pct', '1000', '--p95-ms', '5000');
    expect(run).toMatchObject({ code: EXIT.passed, err: [] });
    const pid = Number(/own gateway, pid (\d+)\)/.exec(line(run, 'soak', 'target'))?.[1]);
    expect(line(run, 'soak', 'gateway RSS')).toMatch(
      new RegExp(`^\\[soak\\] gateway RSS: \\d+\\.\\d MiB after warm-up, \\d+\\.\\d MiB at the end \\([+-]?\\d+\\.\\d\\d%\\), peak \\d+\\.\\d MiB, \\d+ samples from /proc/${pid}/status$`),
    );
    expect(line(run, 'soak', 'completions at 4/s')).toMatch(FIGURES);
    expect(line(run, 'soak', 'streams at 2/s')).toMatch(FIGURES);
    expect(line(run, 'soak', 'total')).toMatch(TOTAL('soak'));
    expect(run.out.at(-1)).toBe('[soak] result: PASS');
    // Stopped, and its log lines went to the file, not to the report.
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(readFileSync(logFile, 'utf8')).toContain('"message":"gateway listening"');
    expect(run.out.some((text) => text.startsWith('{'))).toBe(false);
  });

  it('exits 2 on a bad command line and 3 when the gateway does not answer', async () => {
    expect(await load('chat_load', '--p95', '3')).toEqual({
      code: EXIT.usage,
      out: [],
      err: ['load: unknown flag --p95; did you mean --p95-ms? (npm run load -- --help lists them)', expect.stringMatching(/^usage: /)],
    });
    const closed = await freePort();
    const unreachable = await load('health_load', '--url', `http://127.0.0.1:${closed}`);
    expect(unreachable.code).toBe(EXIT.couldNotRun);
    expect(unreachable.err).toEqual([expect.stringMatching(new RegExp(`^load: http://127.0.0.1:${closed}/health/live did not answer: `))]);
  });

  it('exits 2 for soak against a gateway whose RSS it has no way to read', async () => {
    const run = await load('soak', '--url', pipeline.url, '--duration', '1');
    expect(run.code).toBe(EXIT.usage);
    expect(run.err).toEqual([expect.stringMatching(/^load: soak with --url needs the gateway RSS: give --gateway-pid/)]);
  });
});
