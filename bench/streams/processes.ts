import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { cpusAllowed } from '../serverProcess';
import { isChildMessage } from './protocol';
import { nextMessage } from '../childMessage';

export { coreTimes, cpusAllowed, processCpuSeconds } from '../serverProcess';

export interface ChildSpec {
  readonly name: string;
  /** Absolute path of a compiled `.js` entry. */
  readonly script: string;
  /** Pinned to this core with `taskset -c`; undefined leaves it to the scheduler. */
  readonly core: number | undefined;
  readonly env: Readonly<Record<string, string>>;
  /** Raises RLIMIT_NOFILE (soft and hard) with `prlimit` before node starts. */
  readonly nofile?: number;
  readonly nodeArgs?: readonly string[];
  /**
   * `ipc`: the child says `listening` with its port over IPC. `http`: polled at
   * `http://127.0.0.1:<port>/health/ready` until it answers 200 (`port` required).
   */
  readonly ready: { readonly kind: 'ipc' } | { readonly kind: 'http'; readonly port: number };
  /** Working directory (where `--cpu-prof` writes). Default: the runner's. */
  readonly cwd?: string;
  /** Keep what the child writes on stdout (its log lines) instead of sending it to /dev/null. */
  readonly captureStdout?: boolean;
}

export interface RunningChild {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly process: ChildProcess;
  /** What the child wrote on stderr (last 64 KB). */
  stderr(): string;
  /** What it wrote on stdout, when started with `captureStdout`. */
  stdout(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const STDERR_KEEP = 64 * 1024;
/** Variables that change what a child does; the bench sets the ones it wants itself. */
const CLEARED_PREFIXES = ['OTEL_', 'OBS_', 'LOG_', 'GATEWAY_', 'COMPETITOR_', 'SANDBOX_', 'SESSION_', 'WORKER_', 'NODE_OPTIONS', 'PORT', 'BENCH_'];

/** The runner's environment without anything that would change a child's behaviour. */
export function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || CLEARED_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    env[name] = value;
  }
  return env;
}

export function haveCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Whether `prlimit` may raise this process's children's hard limit (root, or CAP_SYS_RESOURCE). */
export function canRaiseNofile(limit: number): boolean {
  if (!haveCommand('prlimit')) return false;
  const probe = spawnSync('prlimit', [`--nofile=${limit}:${limit}`, 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

export async function startChild(spec: ChildSpec): Promise<RunningChild> {
  const nodeCommand = [process.execPath, ...(spec.nodeArgs ?? []), spec.script];
  const pinned = spec.core === undefined ? nodeCommand : ['taskset', '-c', String(spec.core), ...nodeCommand];
  const command = spec.nofile === undefined ? pinned : ['prlimit', `--nofile=${spec.nofile}:${spec.nofile}`, '--', ...pinned];
  const [file, ...args] = command as [string, ...string[]];
  // prlimit and taskset exec in place: the pid is node's own, and so is the IPC channel.
  const child = spawn(file, args, {
    stdio: ['ignore', spec.captureStdout === true ? 'pipe' : 'ignore', 'pipe', ...(spec.ready.kind === 'ipc' ? (['ipc'] as const) : [])],
    env: { ...cleanEnvironment(), ...spec.env },
    cwd: spec.cwd,
  });
  const stdout: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  const exited = once(child, 'exit');
  const pid = child.pid ?? Number.NaN;
  let port: number;
  try {
    if (spec.ready.kind === 'ipc') {
      const message = await nextMessage(child, START_TIMEOUT_MS, `${spec.name} to listen`, isChildMessage);
      if (message.type !== 'listening') throw new Error(`${spec.name} did not start: ${JSON.stringify(message)}`);
      port = message.port;
    } else {
      port = spec.ready.port;
      await waitReady(child, spec.name, port, START_TIMEOUT_MS);
    }
    if (spec.core !== undefined && cpusAllowed(pid) !== String(spec.core)) {
      throw new Error(`${spec.name} (pid ${pid}) may run on cores ${cpusAllowed(pid)}, expected ${spec.core}`);
    }
  } catch (error) {
    child.kill('SIGKILL');
    const detail = stderr.trim() === '' ? '' : `\n${stderr.trim().slice(-2000)}`;
    throw new Error(`${error instanceof Error ? error.message : String(error)}${detail}`, { cause: error });
  }
  return {
    name: spec.name,
    pid,
    port,
    process: child,
    stderr: () => stderr,
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitReady(child: ChildProcess, name: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before it was ready`);
    last = await status(port, '/health/ready');
    if (last === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready on port ${port} within ${timeoutMs} ms (last status ${last})`);
}

/** Resets the peak resident set size (VmHWM) to the current one (Linux `clear_refs` 5). */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak and current resident set size in MB, from /proc/<pid>/status. */
export function rssMb(pid: number): { readonly peak: number; readonly current: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { peak: kb('VmHWM') / 1024, current: kb('VmRSS') / 1024 };
}

/** The soft limit on open files of a process (/proc/<pid>/limits). */
export function openFilesLimit(pid: number): number {
  const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  return Number(/^Max open files\s+(\d+)/m.exec(text)?.[1] ?? Number.NaN);
}
