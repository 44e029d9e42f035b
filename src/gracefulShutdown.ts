import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Lifecycle } from './lifecycle';
import type { SightlineLogger } from './logger';

/**
 * Options of `obs.handleSignals(server, options)`: the shutdown's timing, the signals it answers
 * and its side effects (injectable, for tests). Times are in milliseconds; through
 * `handleSignals()` of an instance their defaults come from `OBS_SHUTDOWN_DRAIN_DELAY_MS` and
 * `OBS_SHUTDOWN_GRACE_PERIOD_MS`.
 */
export interface SignalHandlingOptions {
  /** Milliseconds between readiness turning 503 and the server refusing connections, for load balancers to notice. Default 5000. */
  readonly drainDelayMs?: number;
  /** Milliseconds in-flight requests and streams get to finish once the server stops accepting; then their connections are cut. Default 20000. */
  readonly gracePeriodMs?: number;
  /** Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called with 0 when everything is closed and flushed. Default `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Where the signals come from. Default `process`. */
  readonly signalSource?: NodeJS.EventEmitter;
}

export interface GracefulShutdownDependencies {
  readonly lifecycle: Lifecycle;
  readonly logger: SightlineLogger;
  /** Flushes telemetry (logs, spans, events): `obs.shutdown()`. */
  readonly flush: () => Promise<void>;
}

/**
 * The shutdown that `handleSignals()` installed for one server: start it yourself with
 * `shutdown()`, or remove its signal listeners with `dispose()`.
 */
export interface SignalHandling {
  /** What a signal starts; idempotent, so a second signal waits for the first shutdown. */
  shutdown(reason: string): Promise<void>;
  /** Removes the signal listeners. */
  dispose(): void;
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
const IDLE_SWEEP_MS = 100;

/**
 * On a signal: readiness fails at once, the drain delay passes, the server stops accepting,
 * in-flight requests and streams get the grace period, whatever is left is closed, then
 * telemetry is flushed and `exit(0)` called.
 */
export function handleSignals(server: Server, dependencies: GracefulShutdownDependencies, options: SignalHandlingOptions = {}): SignalHandling {
  const { lifecycle, logger, flush } = dependencies;
  const {
    drainDelayMs = 5000,
    gracePeriodMs = 20000,
    signals = DEFAULT_SIGNALS,
    exit = (code: number) => process.exit(code),
    signalSource = process,
  } = options;
  for (const [name, value] of [['drainDelayMs', drainDelayMs], ['gracePeriodMs', gracePeriodMs]] as const) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`handleSignals: ${name} must be a number >= 0, got ${value}`);
  }

  let running: Promise<void> | undefined;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  server.on('connection', track);

  async function stop(reason: string): Promise<void> {
    lifecycle.beginDraining();
    logger.warn('shutdown started', { target: 'sightline', reason, drain_delay_ms: drainDelayMs, grace_period_ms: gracePeriodMs });
    await sleep(drainDelayMs);
    const closed = closeServer(server);
    // Keep-alive connections between requests would hold `close` back until their own timeout.
    const sweeper = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
    server.closeIdleConnections();
    const finished = await Promise.race([closed.then(() => true), sleep(gracePeriodMs).then(() => false)]);
    clearInterval(sweeper);
    if (!finished) {
      logger.warn('grace period over, closing the remaining connections', { target: 'sightline', connections: sockets.size });
      const cut = [...sockets].map((socket) => once(socket, 'close'));
      server.closeAllConnections();
      // A socket reports `close` only once its handle is closed, on a later turn, and the
      // responses it carried end then: their log lines must be written before the flush.
      await Promise.all([closed, ...cut]);
    }
    logger.info('shutdown finished', { target: 'sightline', reason, in_grace_period: finished });
    try {
      await flush();
    } catch {
      // Nothing left to report it to; the exit must still happen.
    }
    exit(0);
  }

  function shutdown(reason: string): Promise<void> {
    running ??= stop(reason);
    return running;
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running !== undefined) logger.warn('signal received during shutdown, still draining', { target: 'sightline', signal });
    void shutdown(signal);
  };
  for (const signal of signals) signalSource.on(signal, onSignal);

  return {
    shutdown,
    dispose() {
      for (const signal of signals) signalSource.removeListener(signal, onSignal);
      server.removeListener('connection', track);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
