import type winston from 'winston';
import TransportStream from 'winston-transport';
import { BatchedStreamTransport } from './batchedStreamTransport';

/** The settings winston-transport reads from a transport before it calls `log()`. */
const DELEGATED_SETTINGS = ['level', 'format', 'silent', 'handleExceptions', 'handleRejections'] as const;

/** How a transport of yours failed: its `log()` threw, or it emitted `error`. */
export type TransportFailure = 'threw' | 'emitted';

/**
 * A sightline-owned transport standing in front of one of yours, which it never changes: the
 * logger pipes into this one, and its `log()` calls yours.
 *
 * winston-transport's own `_write` decides, here, whether a line reaches yours, from your
 * transport's `level`, `format`, `silent` and `handleExceptions` as they are at that moment
 * (this transport reads and writes them through to yours). What it adds: a `log()` of yours
 * that throws is reported to `onFailure`, and the line's callback is still called exactly
 * once, so the logger keeps flowing and your transport gets the next line. An `error` your
 * transport emits is reported too, and this transport stays piped: winston's own handling
 * would unpipe it, call your `close()` and pipe it again. A `warn` is emitted by this
 * transport, where winston listens for it. Ending this transport ends yours and waits for its
 * `finish`; once the logger no longer pipes into it, your `close()` is called and this
 * transport stops listening to yours.
 *
 * `transport` names yours, as winston's own LegacyTransportStream does: winston's exception
 * handling looks there. Your transport's `logv` is not used: each line is one `log()`.
 */
export class ContainedTransport extends TransportStream {
  /** The transport this one delegates to. */
  readonly transport: TransportStream;
  private readonly onFailure: (error: unknown, failure: TransportFailure) => void;
  private readonly onTransportError = (error: unknown): void => this.onFailure(error, 'emitted');
  private readonly onTransportWarn = (...args: unknown[]): void => void this.emit('warn', ...args);

  constructor(transport: TransportStream, onFailure: (error: unknown, failure: TransportFailure) => void) {
    super();
    this.transport = transport;
    this.onFailure = onFailure;
    for (const key of DELEGATED_SETTINGS) {
      Object.defineProperty(this, key, {
        configurable: true,
        enumerable: true,
        get: () => transport[key],
        set: (value: unknown) => {
          (transport as unknown as Record<string, unknown>)[key] = value;
        },
      });
    }
    transport.on('error', this.onTransportError);
    transport.on('warn', this.onTransportWarn);
  }

  /** Hands the line to your transport's `log()`; a throw is reported, and `next` is called once either way. */
  override log(info: unknown, next: () => void): void {
    // The stream stalls for good if `next` is never called, and errors if called twice.
    let called = false;
    const nextOnce = (): void => {
      if (called) return;
      called = true;
      next();
    };
    try {
      if (typeof this.transport.log !== 'function') throw new TypeError('the transport has no log() method');
      this.transport.log(info, nextOnce);
    } catch (error) {
      this.onFailure(error, 'threw');
      nextOnce();
    }
  }

  /** Called by winston-transport once the logger stops piping into this transport. */
  override close(): void {
    this.transport.removeListener('error', this.onTransportError);
    this.transport.removeListener('warn', this.onTransportWarn);
    try {
      this.transport.close?.();
    } catch (error) {
      this.onFailure(error, 'threw');
    }
  }

  /** Ends your transport with this one: the logger's `finish` waits for yours. */
  override _final(callback: (error?: Error | null) => void): void {
    const transport = this.transport;
    if (!transport.writable) {
      callback();
      return;
    }
    const settle = (): void => {
      transport.removeListener('finish', settle);
      transport.removeListener('error', settle);
      callback();
    };
    transport.once('finish', settle);
    transport.once('error', settle);
    transport.end();
  }
}

/**
 * Makes `logger.add(transport)` put a transport of yours behind a `ContainedTransport`, and
 * `logger.remove(transport)` (yours) take that one away again. A `log()` that throws is
 * counted with `onThrow`; an `error` your transport emits is emitted on the logger, as winston
 * does. sightline's own `BatchedStreamTransport`, whose `log()` never throws, is added as it
 * is, and so is a winston 2 transport (`log(level, msg, meta, callback)`), which winston wraps
 * itself.
 */
export function containTransports(logger: winston.Logger, onThrow: (error: unknown) => void): void {
  const add = logger.add.bind(logger);
  const remove = logger.remove.bind(logger);
  logger.add = function addContained(transport: TransportStream): winston.Logger {
    if (!needsContaining(transport)) return add(transport);
    return add(
      new ContainedTransport(transport, (error, failure) => {
        if (failure === 'threw') onThrow(error);
        else logger.emit('error', error, transport);
      }),
    );
  };
  logger.remove = function removeContained(transport: TransportStream): winston.Logger {
    const front = logger.transports.find((piped) => piped instanceof ContainedTransport && piped.transport === transport);
    return remove(front instanceof ContainedTransport ? front : transport);
  };
}

function needsContaining(transport: TransportStream): boolean {
  if (transport instanceof BatchedStreamTransport || transport instanceof ContainedTransport) return false;
  const candidate = transport as Partial<Record<'log' | 'on' | 'write', unknown>>;
  return typeof candidate.on === 'function' && typeof candidate.write === 'function' && typeof candidate.log === 'function' && candidate.log.length <= 2;
}
