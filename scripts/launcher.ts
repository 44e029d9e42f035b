import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** One process of the local pipeline. */
export interface ServiceSpec {
  readonly name: string;
  /** Entry script; `.ts` runs through ts-node (tests), `.js` with plain node (`dist/`). */
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 200. */
  readonly readyUrl: string;
}

export interface RunningService {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LauncherOutput {
  /** A JSON log line of a service, unchanged. */
  line(text: string): void;
  /** Something the launcher itself says, as an object (written as a JSON line). */
  note(fields: Record<string, unknown>): void;
}

/**
 * Node's arguments for a service: sightline's preload first (it patches nothing unless
 * tracing is on), so instrumentation is in place before Express loads.
 */
export function nodeArguments(script: string): string[] {
  const extension = path.extname(script);
  const register = path.resolve(__dirname, '..', 'src', `register${extension}`);
  if (extension !== '.ts') return ['-r', register, script];
  return ['-r', require.resolve('ts-node/register/transpile-only'), '-r', register, script];
}

/** Starts a service whose stdout lines go to `output.line` unchanged, whole lines only. */
export function startService(spec: ServiceSpec, output: LauncherOutput, baseEnv: NodeJS.ProcessEnv): RunningService {
  const child = spawn(process.execPath, nodeArguments(spec.script), {
    env: { ...baseEnv, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (text) => output.line(text));
  createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', (text) => {
    output.note({ level: 'warn', message: 'service wrote to stderr', service_name: spec.name, text: text.slice(0, 2000) });
  });
  return { name: spec.name, child, exited };
}

/** Resolves once `url` answers 200, or rejects naming the service after `timeoutMs` or when it exits. */
export async function waitUntilReady(service: RunningService, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => {
    exited = true;
  });
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${service.name} exited before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service.name} was not ready at ${url} within ${timeoutMs} ms (last: ${last})`);
}

/** SIGTERM to every service, SIGKILL to those still running after `graceMs`; resolves when all exited. */
export async function stopServices(services: readonly RunningService[], graceMs: number): Promise<void> {
  for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const service of services) if (service.child.exitCode === null) service.child.kill('SIGKILL');
  }, graceMs);
  await Promise.all(services.map((service) => service.exited));
  clearTimeout(timer);
}
