/** Where the process is in its life, as the health probes report it. */
export type LifecyclePhase = 'starting' | 'ready' | 'draining';

export interface StartupState {
  /** Every startup task has finished (successfully or not). */
  readonly finished: boolean;
  /** Tasks still running, by name. */
  readonly pending: readonly string[];
  /** Tasks that failed, with the reason. */
  readonly failed: readonly { readonly task: string; readonly message: string }[];
}

export interface Lifecycle {
  phase(): LifecyclePhase;
  /** Registers work that must finish before startup is complete (a cache warm-up, a migration check). */
  startupTask(name: string, task: Promise<unknown> | (() => Promise<unknown>)): void;
  startup(): StartupState;
  /** Readiness fails from now on. Idempotent. */
  beginDraining(): void;
  /** Called once when draining begins (at once if it already has). */
  onDraining(listener: () => void): void;
}

export function createLifecycle(): Lifecycle {
  const pending = new Set<string>();
  const failed: { task: string; message: string }[] = [];
  const drainingListeners: (() => void)[] = [];
  let draining = false;

  return {
    phase() {
      if (draining) return 'draining';
      return pending.size === 0 ? 'ready' : 'starting';
    },
    startupTask(name, task) {
      if (pending.has(name)) throw new TypeError(`startupTask: ${JSON.stringify(name)} is already running`);
      pending.add(name);
      let running: Promise<unknown>;
      try {
        running = typeof task === 'function' ? task() : task;
      } catch (error) {
        running = Promise.reject(error);
      }
      Promise.resolve(running).then(
        () => pending.delete(name),
        (error: unknown) => {
          pending.delete(name);
          failed.push({ task: name, message: error instanceof Error ? error.message : String(error) });
        },
      );
    },
    startup() {
      return { finished: pending.size === 0, pending: [...pending], failed: [...failed] };
    },
    beginDraining() {
      if (draining) return;
      draining = true;
      for (const listener of drainingListeners.splice(0)) {
        try {
          listener();
        } catch {
          // One listener's failure must not keep the others from learning of the drain.
        }
      }
    },
    onDraining(listener) {
      if (draining) listener();
      else drainingListeners.push(listener);
    },
  };
}
