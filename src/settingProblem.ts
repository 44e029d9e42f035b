/** One value a settings table refused, named by where it came from. */
export interface SettingProblem {
  /** The environment variable, or `options.<key>` for a value given in code. */
  readonly variable: string;
  /** Where the value came from: the environment (or, when `value` is undefined, its default), or code. */
  readonly source: 'environment' | 'code';
  /** The value as given (an environment variable's text); `[redacted]` for a secret. */
  readonly value: unknown;
  /** Why it was refused. */
  readonly message: string;
}

/** Shown instead of a secret setting's value. */
export const REDACTED = '[redacted]';

/**
 * Thrown by a settings table's `load` with every problem found at once: when a value given in
 * code is invalid, and, in strict mode, when any value is.
 */
export class SettingsError extends Error {
  /** Every problem, in the table's order. */
  readonly problems: readonly SettingProblem[];

  /** `subject` names the configuration ("gateway"); each problem becomes one line of the message. */
  constructor(subject: string, problems: readonly SettingProblem[]) {
    super(`${subject} configuration rejected:\n${problems.map((problem) => `  ${problemLine(problem)}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

/**
 * An environment value as the assignment that set it (`PORT="eighty": must be a number`); a
 * value given in code as a construction error reads (`options.port must be …, got 70000`).
 */
export function problemLine({ variable, source, value, message }: SettingProblem): string {
  if (source === 'code') return `${variable} ${message}, got ${shown(value)}`;
  return value === undefined ? `${variable} (unset): ${message}` : `${variable}=${shown(value)}: ${message}`;
}

function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
