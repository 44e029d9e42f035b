import { parseArgs, type ParseArgsConfig } from 'node:util';
import { messageOf } from './describeFailure';

/**
 * Argument handling shared by the operator commands: `node:util` `parseArgs` in strict
 * mode, with its errors turned into `UsageError` (exit code 2) and value checks that quote
 * the bad value.
 */

/** Exit code of every operator command for a command line it cannot use. */
export const USAGE_EXIT_CODE = 2;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommandLine {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** Parses `argv` (without node and the script) against `options`; unknown options and missing values throw `UsageError`. */
export function parseCommandLine(argv: readonly string[], options: OptionSpec): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as ParsedCommandLine['values'], positionals };
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

/** The string value of `--name`, or undefined when it was not given. */
export function stringOption(parsed: ParsedCommandLine, name: string): string | undefined {
  const value = parsed.values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name} takes a value`);
  return value;
}

/** `--name` given as a flag. */
export function flagOption(parsed: ParsedCommandLine, name: string): boolean {
  return parsed.values[name] === true;
}

/** Every value of a repeatable `--name`, split on commas: `--only lint --only tests,typecheck`. */
export function listOption(parsed: ParsedCommandLine, name: string): string[] {
  const value = parsed.values[name];
  if (value === undefined) return [];
  const raw = Array.isArray(value) ? value : [String(value)];
  return raw.flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** Text from the positional arguments (joined by spaces, so quoting is optional); empty or longer than `limit` throws `UsageError`. */
export function textArgument(positionals: readonly string[], limit: number): string {
  const text = positionals.join(' ').trim();
  if (text === '') throw new UsageError('no text given');
  if (text.length > limit) throw new UsageError(`the text is ${text.length} characters; at most ${limit} are accepted`);
  return text;
}

export interface NumberBounds {
  /** Smallest accepted value (inclusive). */
  readonly min: number;
  readonly integer?: boolean;
  /** How the value is named in the message: `seconds`, `ms`. */
  readonly unit: string;
}

/** A number option's value, `fallback` when absent; a non-number or one under `min` throws `UsageError` quoting it. */
export function numberOption(parsed: ParsedCommandLine, name: string, fallback: number, bounds: NumberBounds): number {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const kind = bounds.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || value < bounds.min || (bounds.integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${kind} of ${bounds.unit} of at least ${bounds.min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Where a command writes: injected so tests read what an operator would see. */
export interface CommandOutput {
  /** One line of normal output (a newline is added). */
  out(line: string): void;
  /** One line of diagnostics (a newline is added). */
  err(line: string): void;
  /** Text as is, to normal output (a child's output passed through). */
  write(text: string): void;
}

export const processOutput: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
};

/**
 * Runs a command's `main` when its file is the entry point: sets the exit code and lets
 * the event loop drain (output written to a pipe is not cut short by `process.exit`).
 */
export function runAsCommand(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
