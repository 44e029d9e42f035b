import type { ChildProcess } from 'node:child_process';

/** The next IPC message of `child` that `accept` recognises; rejects on timeout or exit, naming `what`. */
export function nextMessage<M>(child: ChildProcess, timeoutMs: number, what: string, accept: (message: unknown) => message is M): Promise<M> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (accept(message)) settle(undefined, message);
    };
    const onExit = (code: number | null, signal: string | null): void =>
      settle(new Error(`exited (code ${code}, signal ${signal}) while waiting for ${what}`));
    function settle(error: Error | undefined, message?: M): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error === undefined && message !== undefined) resolve(message);
      else reject(error);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
