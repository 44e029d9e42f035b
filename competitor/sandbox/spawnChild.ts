import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/**
 * What the pool uses of a child process: a `ChildProcess` spawned with piped stdio is one.
 * `pid` is set once the operating system started it.
 */
export interface SandboxChildProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'spawn', listener: () => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  /** After `exit`, once stdout and stderr have closed. */
  once(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  /** Before `spawn`: the process could not start (ENOENT, EACCES, EAGAIN…). */
  on(event: 'error', listener: (error: Error) => void): this;
}

/** How the pool starts a child; `node:child_process` `spawn` is one. It may throw or emit `error`. */
export type SpawnSandboxChild = (
  file: string,
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly windowsHide: boolean },
) => SandboxChildProcess;

/** The default: a real process with piped stdin, stdout and stderr. */
export const spawnChildProcess: SpawnSandboxChild = (file, args, options) => spawn(file, args, options);
