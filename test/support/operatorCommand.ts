import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CommandOutput } from '../../scripts/cliArguments';

/**
 * Drives the operator commands of `scripts/`: in process with their output captured, or as
 * a real child process through ts-node (`node -r ts-node/register scripts/x.ts`), which is
 * what `npm run x` runs after the build. Children never inherit the operator's own
 * `TELEGRAM_*` or `RENDER_*` variables: a test reaches only the fakes it names.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface CapturedOutput extends CommandOutput {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Everything written, stdout then stderr. */
  text(): string;
}

export function captureOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    write: (text) => stdout.push(text),
    text: () => [...stdout, ...stderr].join('\n'),
  };
}

export interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The inherited environment without credentials of the real services. */
export function cleanEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(TELEGRAM_|RENDER_)/.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs `scripts/<script>` with `args` as its own process; resolves when it exits (SIGKILL after `timeoutMs`). */
export function runScript(script: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 60_000): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(REPO_ROOT, 'scripts', script), ...args], {
      cwd: REPO_ROOT,
      env: cleanEnvironment(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
