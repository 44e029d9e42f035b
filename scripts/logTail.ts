import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * Log followers for `deploy-watch`: the new lines of a file (`--log`), or the output of a
 * command (`--log-command`), each line handed to `write` with a prefix, until `stop()`.
 */

export interface LogFollower {
  /** Stops following; the lines read so far are all written when it resolves. Idempotent. */
  stop(): Promise<void>;
}

export interface FollowFileOptions {
  readonly write: (line: string) => void;
  /** How often the file is looked at. Default 200 ms. */
  readonly pollMs?: number;
  /** Default `[log] `. */
  readonly prefix?: string;
}

/**
 * Follows `file` from its current end (all of it when it does not exist yet, once it
 * appears); starts over when it shrinks (truncated or rotated). A last line without a
 * newline is written at `stop()`.
 */
export function followFile(file: string, options: FollowFileOptions): LogFollower {
  const { write, pollMs = 200, prefix = '[log] ' } = options;
  let offset: number | undefined;
  let partial = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();

  const emit = (text: string): void => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) write(`${prefix}${line.replace(/\r$/, '')}`);
  };

  async function readNew(): Promise<void> {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      offset ??= 0; // not there yet: everything it will hold is new
      return;
    }
    if (offset === undefined) {
      offset = size; // only what is written from now on
      return;
    }
    if (size < offset) {
      offset = 0;
      partial = '';
    }
    if (size === offset) return;
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      emit(buffer.subarray(0, bytesRead).toString('utf8'));
    } finally {
      await handle.close();
    }
  }

  const poll = (): void => {
    reading = readNew()
      .catch(() => undefined)
      .then(() => {
        if (!stopped) timer = setTimeout(poll, pollMs).unref();
      });
  };
  poll();

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        await reading;
        await readNew().catch(() => undefined);
        if (partial !== '') write(`${prefix}${partial}`);
        partial = '';
      })();
      return stopping;
    },
  };
}

export interface FollowCommandOptions {
  readonly write: (line: string) => void;
  /** Default `[cmd] `. */
  readonly prefix?: string;
  /** Time between SIGTERM and SIGKILL at `stop()`. Default 2000 ms. */
  readonly killGraceMs?: number;
}

/**
 * Runs `command` with `/bin/sh -c` in a process group of its own and writes each line of
 * its stdout and stderr. `stop()` ends the whole group (a pipeline such as
 * `kubectl logs -f x | grep y` included): SIGTERM, then SIGKILL after the grace time.
 */
export function followCommand(command: string, options: FollowCommandOptions): LogFollower {
  const { write, prefix = '[cmd] ', killGraceMs = 2000 } = options;
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stopRequested = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      write(`${prefix}could not start: ${error.message}`);
      resolve();
    });
    child.once('close', (code, signal) => {
      if (!stopRequested) write(`${prefix}exited (${signal === null ? `code ${String(code)}` : `signal ${signal}`})`);
      resolve();
    });
  });
  const lines = [child.stdout, child.stderr].map((stream) => {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (line) => write(`${prefix}${line}`));
    return once(reader, 'close');
  });

  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        stopRequested = true;
        if (child.exitCode === null && child.signalCode === null) signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), killGraceMs).unref();
        // `close` comes once the shell exited and every process of the group let go of the pipes.
        await exited;
        clearTimeout(timer);
        await Promise.all(lines);
      })();
      return stopping;
    },
  };
}
