import winston from 'winston';
import type TransportStream from 'winston-transport';
import { BatchedStreamTransport } from './batchedStreamTransport';
import { containLogCalls } from './containedLogCalls';
import { containTransports } from './containedTransport';
import type { ContextStore } from './context';
import { writeAroundStreams } from './directLogWrite';
import { createLineFormat, type LineIdentity } from './logFormat';
import { LOG_LEVELS, type LogLevel } from './logLevels';
import type { LogLimits } from './logLimits';
import type { LogStats } from './logStats';
import type { RedactionOptions, Redactor } from './redaction';

/**
 * An instance's winston logger (`obs.logger`): the levels `fatal`, `error`, `warn`, `info`,
 * `http`, `verbose`, `debug`, `silly`; each line JSON with the request's ids, redacted.
 */
export type SightlineLogger = winston.Logger & { fatal: winston.LeveledLogMethod };

export interface LoggerOptions {
  readonly identity: LineIdentity;
  readonly level: LogLevel;
  readonly context: ContextStore;
  readonly redactor: Redactor;
  readonly stats: LogStats;
  /** Where lines go; default: one batched JSON stream to `destination`. */
  readonly transports?: readonly TransportStream[];
  /** Destination of the default transport; default `process.stdout`. */
  readonly destination?: NodeJS.WritableStream;
  /** Added after `transports` (or the default): log export, which never replaces where lines go. */
  readonly extraTransports?: readonly TransportStream[];
  /** Each finished line of a request, as written. */
  readonly onRequestLine?: (requestId: string, line: string) => void;
  /** The longest a string and a line may be; default `DEFAULT_LOG_LIMITS`. */
  readonly limits?: LogLimits;
  /** The `maxEntries` and `maxDepth` the redactor was made with, if not its defaults. */
  readonly redactionLimits?: Pick<RedactionOptions, 'maxEntries' | 'maxDepth'>;
}

export interface LoggerHandle {
  readonly logger: SightlineLogger;
  /** Writes every buffered line now. */
  flush(): void;
  /** Lines written around winston's streams so far (see `writeAroundStreams`). */
  directLines(): number;
}

/**
 * A winston logger whose format does all the work (context, redaction, sampling, one
 * `JSON.stringify`) and whose transports can fail without the caller noticing: a transport
 * that throws or emits `error` is counted and kept attached. Your transports are never
 * changed: each is put behind a `ContainedTransport` of sightline's, and `logger.remove(yours)`
 * finds it there. Its logging methods never throw, whatever their arguments (see
 * `containLogCalls`).
 */
export function createLogger(options: LoggerOptions): LoggerHandle {
  const { identity, level, context, redactor, stats } = options;
  const countError = (): void => {
    stats.transportErrors += 1;
  };
  const transports = [
    ...(options.transports ?? [new BatchedStreamTransport({ stream: options.destination ?? process.stdout, onError: countError })]),
    ...(options.extraTransports ?? []),
  ];

  const logger = winston.createLogger({
    levels: LOG_LEVELS,
    level,
    format: createLineFormat({
      identity,
      context,
      redactor,
      stats,
      onRequestLine: options.onRequestLine,
      limits: options.limits,
      redactionLimits: options.redactionLimits,
    }),
    exitOnError: false,
  }) as SightlineLogger;

  // winston re-emits a transport's `error` on the logger (and re-attaches the transport);
  // without a listener that would crash the process.
  logger.on('error', countError);
  containTransports(logger, countError);
  for (const transport of transports) logger.add(transport);
  const directWrites = writeAroundStreams(logger);
  containLogCalls(logger, stats);

  return {
    logger,
    flush() {
      for (const transport of logger.transports) {
        if (transport instanceof BatchedStreamTransport) transport.flush();
      }
    },
    directLines: () => directWrites.lines,
  };
}
