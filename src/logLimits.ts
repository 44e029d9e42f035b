/** How long a log line and each of its strings may be. */
export interface LogLimits {
  /** Characters a string keeps (message, field values at any depth, keys); the rest is cut and marked. */
  readonly maxStringLength: number;
  /** Bytes of a line's JSON (UTF-8); fields that would not fit are left out and counted. */
  readonly maxLineBytes: number;
}

/**
 * 8 KiB keeps a stack trace, a URL or a SQL statement whole; 64 KiB stays far below what log
 * pipelines refuse (Cloud Logging, and Loki by default, take 256 KB a line) while a runaway
 * value (a request body, a base64 blob) costs at most that much to redact and to write.
 */
export const DEFAULT_LOG_LIMITS: LogLimits = Object.freeze({ maxStringLength: 8192, maxLineBytes: 65_536 });

/** Below these a cut string or line would be mostly its marker and the members sightline puts first. */
export const MIN_LOG_STRING_LENGTH = 64;
export const MIN_LOG_LINE_BYTES = 1024;
/** Above what V8 lets a string hold: in effect, no limit. */
export const MAX_LOG_LIMIT = 1_073_741_824;
