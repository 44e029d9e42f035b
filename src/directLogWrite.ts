import type winston from 'winston';
import { BatchedStreamTransport } from './batchedStreamTransport';
import type { LineFormat } from './logFormat';
import { LEVEL } from './logLevels';

type Info = Record<string | symbol, unknown> & { level: string; message: unknown };

/** What winston-transport records on a transport when a logger pipes into it (see its constructor). */
interface PipedTransport {
  readonly parent?: unknown;
  readonly levels?: unknown;
}

/** How many lines took the direct path; a test fails when a configuration that should take it stops doing so. */
export interface DirectWrites {
  /** Lines handed from the logger's format straight to its transports' `log()`, not through winston's streams. */
  readonly lines: number;
}

const done = (): void => undefined;

/**
 * winston passes each line through two object-mode streams, the logger and then each
 * transport: about 1 µs a line on Node 24, two thirds more than the line costs without them.
 * This writes a line around them, with the same steps, when doing so cannot change what any
 * transport receives:
 *
 * - the logger is sightline's (its format is a `LineFormat`), writable, holds nothing queued
 *   either way, knows the line's level, and is read by its pipes only (one `data` listener
 *   each, as stream pipes add, and no `readable` listener);
 * - every transport is a `BatchedStreamTransport` (whose `log()` is synchronous) without a
 *   format or a level of its own, piped from this logger, writable and with nothing queued.
 *
 * Then the line takes winston's own steps, in order: nothing while the logger is `silent`,
 * the logger's format (`transformLater`: the transports write in batches), and each transport
 * that is not `silent` gets `log()` when `logger.isLevelEnabled(level)` (asked once per level
 * and logger level) — which, with no transport level, is the check winston-transport makes. The format drops the `exception`
 * flag (see logFormat), so that check of winston-transport never applies. Anything else takes
 * winston's streams, in order, with its request noted first (see `LineFormat.pinRequest`).
 * test/unit/loggerDifferential.test.ts holds both paths to the same bytes and requires the
 * direct one to be taken.
 */
export function writeAroundStreams(logger: winston.Logger): DirectWrites {
  const streamWrite = logger.write.bind(logger) as (info: unknown, ...rest: unknown[]) => boolean;
  const counts = { lines: 0 };
  const isLevelEnabled = levelCheck(logger);

  function takesLinesDirectly(transport: unknown): transport is BatchedStreamTransport {
    if (!(transport instanceof BatchedStreamTransport) || transport.format !== undefined || transport.level) return false;
    const piped = transport as PipedTransport;
    if (piped.parent !== logger || piped.levels !== logger.levels) return false;
    return transport.writable && !transport.destroyed && transport.writableLength === 0;
  }

  /** The transports to write to directly, or undefined when the line must take the streams. */
  function directTransports(level: unknown): readonly BatchedStreamTransport[] | undefined {
    if (typeof level !== 'string' || logger.levels[level] === undefined || logger.levels[logger.level] === undefined) return undefined;
    if (typeof (logger.format as Partial<LineFormat>).transformLater !== 'function') return undefined;
    if (!logger.writable || logger.destroyed || logger.writableLength !== 0 || logger.readableLength !== 0) return undefined;
    // winston builds this array on every read.
    const transports: unknown[] = logger.transports;
    if (transports.length === 0 || logger.listenerCount('data') !== transports.length || logger.listenerCount('readable') !== 0) return undefined;
    for (const transport of transports) if (!takesLinesDirectly(transport)) return undefined;
    return transports as BatchedStreamTransport[];
  }

  function writeDirectly(info: Info, transports: readonly BatchedStreamTransport[]): void {
    counts.lines += 1;
    if (logger.silent) return;
    if (!info[LEVEL]) info[LEVEL] = info.level;
    const formatted = (logger.format as unknown as LineFormat).transformLater(info);
    if (!formatted) return;
    if (!isLevelEnabled(formatted[LEVEL] as string)) return;
    for (const transport of transports) if (!transport.silent) transport.log(formatted, done);
  }

  logger.write = function write(this: winston.Logger, info: unknown, ...rest: unknown[]): boolean {
    const line = info as Info | undefined;
    const transports = rest.length === 0 && line != null ? directTransports(line[LEVEL] || line.level) : undefined;
    if (transports === undefined) {
      // winston may format the line later, out of the caller's async context.
      if (typeof line === 'object' && line !== null) (logger.format as Partial<LineFormat>).pinRequest?.(line);
      return streamWrite(info, ...rest);
    }
    writeDirectly(line as Info, transports);
    return true;
  } as winston.Logger['write'];

  return counts;
}

/**
 * `logger.isLevelEnabled(level)`, asked once per level while the logger's level and levels
 * stay the same: with no transport level of its own (as the direct path requires), nothing
 * else decides it, and winston builds an array of its transports on every call.
 */
function levelCheck(logger: winston.Logger): (level: string) => boolean {
  let answers = new Map<string, boolean>();
  let level: string | undefined;
  let levels: object | undefined;
  return (asked) => {
    if (logger.level !== level || logger.levels !== levels) {
      answers = new Map();
      level = logger.level;
      levels = logger.levels;
    }
    let answer = answers.get(asked);
    if (answer === undefined) {
      answer = logger.isLevelEnabled(asked);
      answers.set(asked, answer);
    }
    return answer;
  };
}
