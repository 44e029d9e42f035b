import type winston from 'winston';
import { LEVEL, LOG_LEVELS } from './logLevels';
import type { LogStats } from './logStats';

type Info = Record<string | symbol, unknown> & { level: string; message: unknown };
type LogMethod = (this: winston.Logger | undefined, ...args: unknown[]) => unknown;

/** As the redactor marks a nested value it cannot read. */
const UNREADABLE = '[Unserializable]';
/** The level of a line whose own level cannot be read: a failed call is worth seeing. */
const FALLBACK_LEVEL = 'warn';

/**
 * Makes the logger's level methods (`info`, `error`, …) and `log` never throw into their
 * caller. winston reads a call's arguments before any format runs (`Object.assign` of the
 * fields, `message`, `stack` and `cause`, and it sets `level` on an object given as the
 * line), so a throwing getter, a Proxy whose traps throw or a frozen object would escape
 * sightline's format. Such a call writes its line from what can be read instead: each value
 * that cannot be read becomes `[Unserializable]`, fields that cannot even be listed are
 * named in `format_error`, and the line is counted in `stats.formatErrors`. A call that
 * fails once its line is being written (a transport) is counted in `stats.transportErrors`
 * and not written again.
 */
export function containLogCalls(logger: winston.Logger, stats: LogStats): void {
  let writes = 0;
  const write = logger.write;
  logger.write = function countedWrite(this: winston.Logger, ...args: unknown[]): boolean {
    writes += 1;
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as winston.Logger['write'];

  function contained(original: LogMethod, salvage: (args: readonly unknown[]) => Info): LogMethod {
    return function containedLogCall(this: winston.Logger | undefined, ...args: unknown[]): unknown {
      const writesBefore = writes;
      try {
        return original.apply(this, args);
      } catch {
        const self = this ?? logger;
        if (writes !== writesBefore) {
          stats.transportErrors += 1;
          return self;
        }
        stats.formatErrors += 1;
        try {
          self.write(withDefaultMeta(salvage(args), self.defaultMeta));
        } catch {
          stats.transportErrors += 1;
        }
        return self;
      }
    };
  }

  const methods = logger as unknown as Record<string, LogMethod>;
  for (const level of Object.keys(LOG_LEVELS)) {
    const original = methods[level];
    if (typeof original !== 'function') continue;
    methods[level] = contained(original, (args) => salvagedCall(level, args));
  }
  methods.log = contained(methods.log as LogMethod, ([first, ...rest]) =>
    rest.length === 0 ? salvagedCall(readable(first, 'level'), [first]) : salvagedCall(first, rest),
  );
}

/** The line winston would have made of `logger[level](...args)`, from what can be read. */
function salvagedCall(level: unknown, args: readonly unknown[]): Info {
  const levelName = typeof level === 'string' && Object.hasOwn(LOG_LEVELS, level) ? level : FALLBACK_LEVEL;
  const info: Info = { level: levelName, message: '', [LEVEL]: levelName };
  const [message, meta] = args;
  if (args.length === 1 && isObject(message)) {
    // `logger.info({ message, ...fields })`: the object is the line.
    copyFields(message, info);
    info.message = readable(message, 'message');
  } else {
    info.message = message;
    if (args.length > 1 && isObject(meta)) {
      copyFields(meta, info);
      info.message = message;
      // winston's own additions: a `message` among the fields follows the line's, an error's stack and cause are kept.
      const extra = readable(meta, 'message');
      if (extra !== undefined && extra !== '' && extra !== UNREADABLE) info.message = `${safeText(message)} ${safeText(extra)}`;
      for (const key of ['stack', 'cause'] as const) {
        const value = readable(meta, key);
        if (value !== undefined && value !== '') info[key] = value;
      }
    }
  }
  info.level = levelName;
  return info;
}

/** Each enumerable own field of `source` that can be read, the others marked; `format_error` when they cannot be listed. */
function copyFields(source: object, into: Info): void {
  let keys: string[];
  try {
    keys = Object.keys(source);
  } catch (error) {
    into.format_error = `the log call's fields could not be read: ${describe(error)}`;
    return;
  }
  for (const key of keys) {
    let value: unknown;
    try {
      value = (source as Record<string, unknown>)[key];
    } catch {
      value = UNREADABLE;
    }
    setOwn(into, key, value);
  }
}

/** `__proto__` included, as an ordinary member. */
function setOwn(target: object, key: string | symbol, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function readable(source: unknown, key: string): unknown {
  if (!isObject(source)) return undefined;
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

function withDefaultMeta(info: Info, defaultMeta: unknown): Info {
  if (!isObject(defaultMeta)) return info;
  const line = { level: info.level, message: info.message } as Info;
  copyFields(defaultMeta, line);
  for (const key of Reflect.ownKeys(info)) setOwn(line, key, info[key]);
  return line;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function safeText(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(value);
  } catch {
    return UNREADABLE;
  }
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
}
