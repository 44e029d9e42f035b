import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Runs a fixture service (default `test/fixtures/tracedService.ts`) as a real child process.
 * Tracing has to be tested out of jest's module sandbox: there, require-in-the-middle patches
 * nothing and the OTLP exporters' dynamic imports fail. Signals need a process of their own.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const REGISTER = path.join(REPO_ROOT, 'src', 'register.ts');

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export type LogLine = Record<string, unknown>;

export interface StartServiceOptions {
  /** `SERVICE_NAME` of the fixture (sightline's `service`, the span resource's `service.name`). */
  readonly name: string;
  /** Added to (and overriding) the defaults: tracing on, batches leaving after 100 ms. */
  readonly env?: Readonly<Record<string, string>>;
  /** Start with `-r src/register.ts` (patching before Express loads). Default true. */
  readonly preload?: boolean;
  /**
   * Preloads in order, each `register` (sightline's) or a file in test/fixtures; replaces
   * `preload` when given.
   */
  readonly preloads?: readonly string[];
  /** File in test/fixtures. Default `tracedService.ts`. */
  readonly fixture?: string;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildService {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every stdout line that parsed as a JSON object, in order. */
  logLines(): LogLine[];
  /** Resolves with the log lines once `predicate` holds for them (lines are written in batches). */
  waitForLogLines(predicate: (lines: readonly LogLine[]) => boolean, timeoutMs?: number): Promise<LogLine[]>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM (the fixture flushes spans and logs), SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
  /** Sends a signal and returns at once. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited(): Promise<ChildExit>;
}

const running = new Set<ChildProcess>();

/** The inherited environment without settings that would change what the fixture does. */
function baseEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(OTEL_|OBS_|LOG_)/.test(key) || key === 'NODE_OPTIONS' || key === 'DOWNSTREAM_URL' || key === 'SERVICE_NAME') continue;
    env[key] = value;
  }
  return env;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await done;
  } finally {
    clearTimeout(timer);
    running.delete(child);
  }
}

export function startService(options: StartServiceOptions): Promise<ChildService> {
  const { name, env = {}, preload = true, fixture = 'tracedService.ts' } = options;
  const preloads = options.preloads ?? (preload ? ['register'] : []);
  const preloadArgs = preloads.flatMap((file) => ['-r', file === 'register' ? REGISTER : path.join(FIXTURES, file)]);
  const args = ['-r', 'ts-node/register/transpile-only', ...preloadArgs, path.join(FIXTURES, fixture)];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...baseEnvironment(),
      SERVICE_NAME: name,
      OBS_TRACING_ENABLED: 'true',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exit = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const lines: LogLine[] = [];
  let pendingStdout = '';
  let stderrText = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pendingStdout += chunk;
    let newline = pendingStdout.indexOf('\n');
    while (newline !== -1) {
      const line = pendingStdout.slice(0, newline).trim();
      pendingStdout = pendingStdout.slice(newline + 1);
      newline = pendingStdout.indexOf('\n');
      if (line === '') continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) lines.push(parsed as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.setEncoding('utf8');

  return new Promise<ChildService>((resolve, reject) => {
    let started = false;
    const fail = (reason: string): void => {
      if (started) return;
      started = true;
      clearTimeout(timer);
      void stopChild(child);
      reject(new Error(`${name}: ${reason}\n--- stderr ---\n${stderrText}`));
    };
    const timer = setTimeout(() => fail(`no LISTENING line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      running.delete(child);
      fail(`exited before listening (code ${code}, signal ${signal})`);
    });
    child.stderr!.on('data', (chunk: string) => {
      stderrText += chunk;
      const match = /^LISTENING (\d+)$/m.exec(stderrText);
      if (match === null || started) return;
      started = true;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        logLines: () => [...lines],
        async waitForLogLines(predicate, timeoutMs = 5_000) {
          const deadline = Date.now() + timeoutMs;
          while (!predicate(lines)) {
            if (Date.now() >= deadline) {
              throw new Error(
                `${name}: log lines not seen within ${timeoutMs} ms; got ${lines.length}:\n` +
                  lines.map((l) => JSON.stringify(l)).join('\n'),
              );
            }
            await new Promise((r) => setTimeout(r, 20));
          }
          return [...lines];
        },
        stderr: () => stderrText,
        stop: () => stopChild(child),
        kill: (signal) => {
          child.kill(signal);
        },
        exited: () => exit,
      });
    });
  });
}

/** Stops every child still running: call from `afterEach`/`afterAll` so a failed test leaves none behind. */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}
