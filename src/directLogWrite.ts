import type winston from 'winston';
import type TransportStream from 'winston-transport';
import { BatchedStreamTransport } from './batchedStreamTransport';
import type { LineFormat } from './logFormat';
import { LEVEL } from './logLevels';

type Info = Record<string | symbol, unknown> & { level: string; message: unknown };

/** readable-stream 3, which winston uses, has no `writableEnded`. */
interface WritableInternals {
  readonly _writableState?: { readonly ending?: boolean };
}

function isEnding(stream: object): boolean {
  return (stream as WritableInternals)._writableState?.ending === true;
}

const done = (): void => undefined;

/**
 * winston passes each line through two object-mode streams, the logger and then each
 * transport: about 10 µs a line on this project's benchmark machine, more than formatting
 * it. When every transport is a BatchedStreamTransport (whose `log()` is synchronous) and
 * neither stream holds anything queued, a line goes straight through the same steps: the
 * logger's format, then each transport's level check and `log()`. Anything else (another
 * transport, a queued write that must stay in order, a `data` listener, an ended logger)
 * takes winston's streams as before.
 */
export function writeAroundStreams(logger: winston.Logger): void {
  const streamWrite = logger.write.bind(logger) as (info: unknown, ...rest: unknown[]) => boolean;

  /** The transports to write to directly, or undefined when the line must take the streams. */
  function directTransports(): readonly TransportStream[] | undefined {
    if (isEnding(logger) || logger.destroyed || logger.writableLength !== 0 || logger.readableLength !== 0) return undefined;
    // winston builds this array on every read.
    const transports = logger.transports as TransportStream[];
    // Each pipe adds one `data` listener: more means someone else reads the logger's stream.
    if (transports.length === 0 || logger.listenerCount('data') !== transports.length) return undefined;
    for (const transport of transports) {
      if (!(transport instanceof BatchedStreamTransport) || transport.format !== undefined) return undefined;
      if (isEnding(transport) || transport.writableLength !== 0) return undefined;
    }
    return transports;
  }

  function writeDirectly(info: Info, transports: readonly TransportStream[]): void {
    if (logger.silent) return;
    if (info[LEVEL] === undefined) info[LEVEL] = info.level;
    const format = logger.format as Partial<LineFormat> & winston.Logform.Format;
    // The transports are all batched: a line of ours can wait for its batch to be made.
    const formatted = (typeof format.transformLater === 'function' ? format.transformLater(info) : format.transform(info, format.options)) as
      | Info
      | false;
    if (!formatted) return;
    const level = formatted[LEVEL] as string;
    for (const transport of transports) {
      // Unlike winston-transport, no field (`exception: true`) keeps a line from a transport.
      if (transport.silent) continue;
      const threshold = transport.level || logger.level;
      const levels = (transport as { levels?: Record<string, number> }).levels ?? logger.levels;
      const allowed = levels[threshold];
      const severity = levels[level];
      // As winston-transport decides: no threshold passes everything, an unknown level nothing.
      if (!threshold || (allowed !== undefined && severity !== undefined && allowed >= severity)) transport.log?.(formatted, done);
    }
  }

  logger.write = function write(this: winston.Logger, info: unknown, ...rest: unknown[]): boolean {
    const line = info as Info;
    // Lines of a level the logger does not know keep winston's own warning.
    const transports =
      rest.length === 0 && typeof line?.level === 'string' && logger.levels[line.level] !== undefined ? directTransports() : undefined;
    if (transports === undefined) return streamWrite(info, ...rest);
    writeDirectly(line, transports);
    return true;
  } as winston.Logger['write'];
}
