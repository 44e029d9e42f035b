/** The log levels by name: winston's npm levels with `fatal` above `error`. A lower number is more severe. */
export const LOG_LEVELS = Object.freeze({
  fatal: 0,
  error: 1,
  warn: 2,
  info: 3,
  http: 4,
  verbose: 5,
  debug: 6,
  silly: 7,
});

/** Keys winston puts on every info object: the level, and the finished line a transport writes. */
export const LEVEL = Symbol.for('level');
export const MESSAGE = Symbol.for('message');

/** A log level's name, from the most severe to the least: `fatal`, `error`, `warn`, `info`, `http`, `verbose`, `debug`, `silly`. */
export type LogLevel = keyof typeof LOG_LEVELS;

export const LOG_LEVEL_NAMES = Object.keys(LOG_LEVELS) as LogLevel[];

/** Levels at `info` or below are subject to sampling; `warn` and above are always kept. */
export function isSampledLevel(level: string): boolean {
  const n = (LOG_LEVELS as Record<string, number>)[level];
  return n === undefined || n >= LOG_LEVELS.info;
}

/** Levels written to their destination at once instead of with the next batch. */
export function isUrgentLevel(level: string): boolean {
  return level === 'fatal' || level === 'error';
}
