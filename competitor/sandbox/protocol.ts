/**
 * The sandbox's wire protocol: newline-delimited JSON over stdio. The pool writes one
 * request line to a child's stdin; the child answers on stdout with progress lines, then one
 * result line (or a fatal line when it fails outright). Imported by the child, which must start
 * fast: it uses nothing but Node's globals.
 */

/** What the pool asks of a child. */
export interface SandboxRequest {
  readonly id: string;
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
}

export interface ProgressMessage {
  readonly id: string;
  readonly type: 'progress';
  readonly message: string;
}

export interface ErrorDetails {
  readonly message: string;
  readonly stack?: string;
}

export interface ResultOkMessage {
  readonly id: string;
  readonly type: 'result';
  readonly ok: true;
  readonly output: unknown;
}

export interface ResultErrorMessage {
  readonly id: string;
  readonly type: 'result';
  readonly ok: false;
  readonly error: ErrorDetails;
}

/** An uncaught exception: the child writes this, then exits with `EXIT_FATAL`. */
export interface FatalMessage {
  readonly type: 'fatal';
  readonly error: ErrorDetails;
}

export type ResultMessage = ResultOkMessage | ResultErrorMessage;
export type ChildMessage = ProgressMessage | ResultMessage | FatalMessage;

/**
 * Why a line from a child is not a message. `invalid_fields` is a known `type` whose fields
 * are missing or of the wrong kind (a result without `ok`, a progress line without `id`).
 */
export type ParseErrorType = 'line_too_long' | 'invalid_json' | 'not_an_object' | 'unknown_type' | 'invalid_fields';

export type ParsedLine =
  | { readonly ok: true; readonly message: ChildMessage }
  | { readonly ok: false; readonly errorType: ParseErrorType; readonly reason: string };

/** A line longer than this (in bytes, newline excluded) is refused unread. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Exit code of a child that hit an uncaught exception (EX_SOFTWARE in sysexits.h). */
export const EXIT_FATAL = 70;

/** Classifies one line a child wrote on stdout (without its newline). */
export function parseChildLine(line: string): ParsedLine {
  if (byteLengthExceeds(line, MAX_LINE_BYTES)) {
    return { ok: false, errorType: 'line_too_long', reason: `line is longer than ${MAX_LINE_BYTES} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, errorType: 'invalid_json', reason: error instanceof Error ? error.message : String(error) };
  }
  if (!isRecord(value)) {
    return { ok: false, errorType: 'not_an_object', reason: `expected a JSON object, got ${kindOf(value)}` };
  }
  switch (value.type) {
    case 'progress':
      if (typeof value.id !== 'string' || typeof value.message !== 'string') {
        return invalidFields('progress', 'needs string "id" and "message"');
      }
      return { ok: true, message: { id: value.id, type: 'progress', message: value.message } };
    case 'result':
      return parseResult(value);
    case 'fatal': {
      const error = errorDetailsOf(value.error);
      if (error === undefined) return invalidFields('fatal', 'needs "error" with a string "message"');
      return { ok: true, message: { type: 'fatal', error } };
    }
    default:
      return {
        ok: false,
        errorType: 'unknown_type',
        reason: `"type" must be "progress", "result" or "fatal", got ${preview(JSON.stringify(value.type) ?? 'nothing', 60)}`,
      };
  }
}

function parseResult(value: Readonly<Record<string, unknown>>): ParsedLine {
  if (typeof value.id !== 'string') return invalidFields('result', 'needs a string "id"');
  if (value.ok === true) {
    if (!Object.hasOwn(value, 'output')) return invalidFields('result', 'with "ok": true needs "output"');
    return { ok: true, message: { id: value.id, type: 'result', ok: true, output: value.output } };
  }
  if (value.ok === false) {
    const error = errorDetailsOf(value.error);
    if (error === undefined) return invalidFields('result', 'with "ok": false needs "error" with a string "message"');
    return { ok: true, message: { id: value.id, type: 'result', ok: false, error } };
  }
  return invalidFields('result', 'needs a boolean "ok"');
}

function errorDetailsOf(value: unknown): ErrorDetails | undefined {
  if (!isRecord(value) || typeof value.message !== 'string') return undefined;
  return typeof value.stack === 'string' ? { message: value.message, stack: value.stack } : { message: value.message };
}

function invalidFields(type: string, reason: string): ParsedLine {
  return { ok: false, errorType: 'invalid_fields', reason: `a "${type}" line ${reason}` };
}

/** Parses the request line a child reads; throws with the reason when it is not one. */
export function parseRequestLine(line: string): SandboxRequest {
  const value: unknown = JSON.parse(line);
  if (!isRecord(value)) throw new TypeError(`request must be a JSON object, got ${kindOf(value)}`);
  if (typeof value.id !== 'string' || value.id === '') throw new TypeError('request needs a non-empty string "id"');
  if (typeof value.tool !== 'string' || value.tool === '') throw new TypeError('request needs a non-empty string "tool"');
  if (!isRecord(value.arguments)) throw new TypeError(`request "arguments" must be a JSON object, got ${kindOf(value.arguments)}`);
  return { id: value.id, tool: value.tool, arguments: value.arguments };
}

/** One NDJSON line, newline included. */
export function encodeLine(message: SandboxRequest | ChildMessage | Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(message)}\n`;
}

/** The first `max` characters, for logging a line without logging all of it. */
export function preview(text: string, max = 200): string {
  return text.length <= max ? text : text.slice(0, max);
}

export interface LineSplitter {
  /** Feeds a chunk; calls back once per complete line. */
  push(chunk: Buffer): void;
  /** What is left without a final newline, as a last line (if any). */
  end(): void;
}

export interface LineSplitterOptions {
  readonly maxLineBytes?: number;
  readonly onLine: (line: string) => void;
  /** A line passed `maxLineBytes`: it is dropped as it arrives (never held whole); `head` is its beginning. */
  readonly onLineTooLong: (head: string) => void;
}

/**
 * Splits a byte stream into lines without holding more than `maxLineBytes` of any one line.
 * Splitting bytes at `\n` is safe for UTF-8: that byte never occurs inside a multi-byte character.
 */
export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { maxLineBytes = MAX_LINE_BYTES, onLine, onLineTooLong } = options;
  let parts: Buffer[] = [];
  let held = 0;
  /** Inside a line already reported as too long: its bytes are skipped up to its newline. */
  let skipping = false;

  function hold(part: Buffer): void {
    if (skipping || part.length === 0) return;
    if (held + part.length > maxLineBytes) {
      const head = Buffer.concat([...parts, part.subarray(0, Math.max(0, 1024 - held))]).toString('utf8');
      parts = [];
      held = 0;
      skipping = true;
      onLineTooLong(head);
      return;
    }
    parts.push(part);
    held += part.length;
  }

  function emitHeld(): void {
    const line = Buffer.concat(parts).toString('utf8');
    parts = [];
    held = 0;
    onLine(line);
  }

  return {
    push(chunk) {
      let start = 0;
      for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
        hold(chunk.subarray(start, newline));
        if (skipping) skipping = false;
        else emitHeld();
        start = newline + 1;
      }
      hold(chunk.subarray(start));
    },
    end() {
      if (!skipping && held > 0) emitHeld();
      parts = [];
      held = 0;
      skipping = false;
    },
  };
}

function byteLengthExceeds(text: string, maxBytes: number): boolean {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most lines are decided without counting.
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, 'utf8') > maxBytes;
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
