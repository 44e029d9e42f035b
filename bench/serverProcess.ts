import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isServerMessage, type RunnerMessage, type ServerMessage, type WorkDone } from './protocol';
import type { VariantName } from './variants';
import { nextMessage } from './childMessage';

export interface RunningServer {
  readonly variant: VariantName;
  readonly pid: number;
  readonly port: number;
  readonly stop: () => Promise<StoppedServer>;
}

export interface StoppedServer extends WorkDone {
  /** What the server wrote on stdout, when started with `captureOutput`. */
  readonly output: string;
}

export interface StartOptions {
  readonly core: number;
  /** Pipe stdout to the runner instead of /dev/null (for checking the log lines). */
  readonly captureOutput: boolean;
}

const SERVER_SCRIPT = path.join(__dirname, 'server.js');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export async function startServer(variant: VariantName, options: StartOptions): Promise<RunningServer> {
  // taskset execs node in place, so the pid and the IPC channel are the server's own.
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, SERVER_SCRIPT, variant], {
    stdio: ['ignore', options.captureOutput ? 'pipe' : 'ignore', options.captureOutput ? 'pipe' : 'ignore', 'ipc'],
    env: serverEnvironment(),
  });
  const output = collectOutput(child);
  const listening = await nextMessage(child, START_TIMEOUT_MS, `${variant} server to listen`, isServerMessage);
  if (listening.type !== 'listening') {
    child.kill('SIGKILL');
    throw new Error(`${variant} server did not start: ${describe(listening)}${output.stderr()}`);
  }
  const pid = child.pid ?? Number.NaN;
  assertPinned(pid, options.core, variant);
  return {
    variant,
    pid,
    port: listening.port,
    stop: () => stopServer(child, variant, output),
  };
}

async function stopServer(child: ChildProcess, variant: VariantName, output: Output): Promise<StoppedServer> {
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stopped = nextMessage(child, STOP_TIMEOUT_MS, `${variant} server to stop`, isServerMessage);
  child.send({ type: 'stop' } satisfies RunnerMessage);
  try {
    const message = await stopped;
    if (message.type !== 'stopped') throw new Error(`${variant} server failed on stop: ${describe(message)}`);
    await exited;
    const { logStats, spans, metricRequests } = message;
    return { logStats, spans, metricRequests, output: output.stdout() };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/**
 * The runner's environment without OpenTelemetry's variables: the SDK reads some itself (batch
 * processor sizes, span limits), and a variant must measure the same wherever it is run.
 */
function serverEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
}

interface Output {
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function collectOutput(child: ChildProcess): Output {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  return {
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    stderr: () => (stderr.length === 0 ? '' : `\n${Buffer.concat(stderr).toString('utf8')}`),
  };
}

function describe(message: ServerMessage): string {
  return message.type === 'failed' ? message.message : JSON.stringify(message);
}

/** A server sharing the load generator's core would measure the scheduler, not the middleware. */
function assertPinned(pid: number, core: number, variant: VariantName): void {
  const allowed = cpusAllowed(pid);
  if (allowed !== String(core)) {
    throw new Error(`${variant} server (pid ${pid}) may run on cores ${allowed}, expected only ${core}`);
  }
}

export function cpusAllowed(pid: number | 'self'): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? 'unknown';
}

// USER_HZ, which /proc reports in: 100 on Linux whatever the kernel's own tick rate.
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

export interface CoreTimes {
  readonly total: number;
  readonly steal: number;
}

/** Cumulative time of one core from /proc/stat, in ticks; steal is time the hypervisor gave to other guests. */
export function coreTimes(core: number): CoreTimes {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((row) => row.startsWith(`cpu${core} `));
  if (line === undefined) throw new Error(`no cpu${core} in /proc/stat`);
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: ticks.reduce((sum, value) => sum + value, 0), steal: ticks[7] ?? 0 };
}
