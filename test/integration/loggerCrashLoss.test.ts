import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What a SIGKILL takes from the default logger (one BatchedStreamTransport on stdout): a real
 * child logs until it is killed, noting each line in a ledger written synchronously first
 * (see test/fixtures/steadyLogger.ts); what reached its stdout is compared with the ledger.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'steadyLogger.ts');

/** BatchedStreamTransport's defaults, which the bound is made of. */
const FLUSH_DELAY_MS = 10;
const MAX_BUFFERED_LINES = 1000;
/**
 * Ticks of the fixture's 1 ms interval a line may wait for its batch: the tick that armed the
 * flush timer, the ten whose due times come before the timer's, and one more when the loop
 * runs late (the interval, overdue, runs once before the timer does).
 */
const BATCH_TICKS = FLUSH_DELAY_MS + 2;

interface LedgerEntry {
  readonly seq: number;
  readonly tick: number;
  readonly level: string;
  /** Bytes process.stdout still held, queued in the process, before the line was logged. */
  readonly queued: number;
  /** When the line was logged, in milliseconds of the child's clock. */
  readonly at: number;
}

interface Run {
  /** The `seq` of each steady line that reached stdout, in order. */
  readonly received: readonly number[];
  /** Every line that reached stdout, the child's own included. */
  readonly lines: number;
  /** The distinct byte lengths of the steady lines. */
  readonly lineBytes: ReadonlySet<number>;
  readonly ledger: readonly LedgerEntry[];
}

interface RunOptions {
  readonly mode: 'steady' | 'busy';
  /** A pipe the test reads, or a file (whose writes are synchronous). */
  readonly stdout: 'pipe' | 'file';
  readonly errorEvery?: number;
  /** Bytes of stdout to wait for before the kill. */
  readonly killAfterBytes?: number;
  /** Then this long, so that the kill lands anywhere in a batch's 10 ms. */
  readonly delayMs?: number;
  /** `busy` only: the child kills itself once it has logged this many lines. */
  readonly killAt?: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function runUntilKilled(options: RunOptions): Promise<Run> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-crash-'));
  try {
    const ledgerPath = path.join(directory, 'ledger');
    const outputPath = path.join(directory, 'stdout');
    const outputFd = options.stdout === 'file' ? fs.openSync(outputPath, 'w') : undefined;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        LEDGER: ledgerPath,
        MODE: options.mode,
        ERROR_EVERY: String(options.errorEvery ?? 0),
        KILL_AT: String(options.killAt ?? ''),
      },
      stdio: ['ignore', outputFd ?? 'pipe', 'pipe'],
    });
    if (outputFd !== undefined) fs.closeSync(outputFd);
    let piped = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (piped += chunk));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const written = (): number => (outputFd === undefined ? piped.length : fs.statSync(outputPath).size);

    if (options.killAt === undefined) {
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('READY') || written() < (options.killAfterBytes ?? 0)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the child did not log as expected:\n${stderr}`);
        await pause(2);
      }
      await pause(options.delayMs ?? 0);
      child.kill('SIGKILL');
    }
    await closed;
    expect(child.signalCode).toBe('SIGKILL');

    const output = outputFd === undefined ? piped : fs.readFileSync(outputPath, 'utf8');
    return { ...parseOutput(output), ledger: parseLedger(fs.readFileSync(ledgerPath, 'utf8')) };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

function parseOutput(output: string): Pick<Run, 'received' | 'lines' | 'lineBytes'> {
  const received: number[] = [];
  const lineBytes = new Set<number>();
  // A line cut short by the kill never reached stdout whole.
  const whole = output.slice(0, output.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  for (const text of whole) {
    const line = JSON.parse(text) as { message?: string; seq?: string };
    if (!line.message?.startsWith('steady line')) continue;
    received.push(Number(line.seq));
    lineBytes.add(Buffer.byteLength(text) + 1);
  }
  return { received, lines: whole.length, lineBytes };
}

function parseLedger(text: string): LedgerEntry[] {
  const whole = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  return whole.map((entry) => {
    const [seq, tick, level, queued, at] = entry.split(' ');
    return { seq: Number(seq), tick: Number(tick), level: level!, queued: Number(queued), at: Number(at) };
  });
}

/** The lines the child was asked for that never reached stdout, after checking that the ones that did came whole and in order. */
function lostLines(run: Run): readonly LedgerEntry[] {
  expect(run.received.length).toBeGreaterThan(0);
  expect(run.received).toEqual(run.received.map((_, index) => index + 1));
  expect(run.ledger.map((entry) => entry.seq)).toEqual(run.ledger.map((_, index) => index + 1));
  // The ledger is written before each line is logged: it can be one ahead of stdout, never behind.
  expect(run.ledger.length).toBeGreaterThanOrEqual(run.received.length);
  return run.ledger.slice(run.received.length);
}

/** Lost lines older than a batch: lines that were written, but to a stdout that still held them. */
function olderThanABatch(run: Run, lost: readonly LedgerEntry[]): readonly LedgerEntry[] {
  const last = run.ledger.at(-1)!;
  return lost.filter((entry) => entry.tick < last.tick - BATCH_TICKS);
}

/** Error lines among the lost ones, but the last line the ledger names (perhaps not yet logged). */
function lostErrors(run: Run, lost: readonly LedgerEntry[]): readonly LedgerEntry[] {
  const last = run.ledger.at(-1)!;
  return lost.filter((entry) => entry.level === 'error' && entry !== last);
}

describe('a SIGKILL', () => {
  jest.setTimeout(90_000);

  it('takes only lines of the last batch, logged within 10 ms of the event loop, when stdout is a file', async () => {
    // Kills 5, 17 and 29 ms after stdout grew (a batch was written): a batch that waited longer than 10 ms would show.
    for (const delayMs of [5, 17, 29]) {
      const run = await runUntilKilled({ mode: 'steady', stdout: 'file', killAfterBytes: 60_000, delayMs });
      const lost = lostLines(run);
      expect(olderThanABatch(run, lost)).toEqual([]);
      expect(lost.length).toBeLessThan(MAX_BUFFERED_LINES);
    }
  });

  it('takes the 999 lines held before the 1000th writes the batch, when the event loop never turns', async () => {
    const run = await runUntilKilled({ mode: 'busy', stdout: 'file', killAt: 3 * MAX_BUFFERED_LINES - 1 });
    // Two full batches were written, with no timer ever firing; the third was one line short.
    expect(run.lines).toBe(2 * MAX_BUFFERED_LINES);
    expect(lostLines(run)).toHaveLength(MAX_BUFFERED_LINES - 1);
  });

  it('takes, on a pipe, the last batch and what stdout still held; never an error line written before', async () => {
    for (const delayMs of [2, 7]) {
      const run = await runUntilKilled({ mode: 'steady', stdout: 'pipe', errorEvery: 5, killAfterBytes: 60_000, delayMs });
      const lost = lostLines(run);
      expect(run.lineBytes.size).toBe(1);
      const [lineBytes] = [...run.lineBytes];
      // Bytes queued in stdout when the last line was noted: whole lines, lost with the process.
      const queuedLines = Math.ceil(run.ledger.at(-1)!.queued / lineBytes!);
      expect(olderThanABatch(run, lost).length).toBeLessThanOrEqual(queuedLines);
      expect(lostErrors(run, lost).length).toBeLessThanOrEqual(queuedLines);
    }
  });
});
