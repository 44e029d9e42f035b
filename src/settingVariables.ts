import type { Setting } from './setting';

/** One environment variable as the docs' table lists it. */
export interface EnvironmentVariable {
  /** The variable's name (a row may name several, comma-separated). */
  readonly name: string;
  /** As the docs show it: a plain value is set in code, text with spaces or backticks is shown as is. */
  readonly default: string;
  /** What it does (markdown). */
  readonly meaning: string;
}

/** The docs' rows of a table's settings, each followed by the rows of its fallbacks. */
export function documentedVariables(settings: readonly Setting<unknown>[]): EnvironmentVariable[] {
  return settings.flatMap((setting) => [
    { name: setting.name, default: documentedDefault(setting), meaning: setting.meaning },
    ...(setting.fallbacks ?? []).map((fallback) => ({
      name: fallback,
      default: 'unset',
      meaning: `read for \`${setting.name}\` when that is unset or invalid`,
    })),
  ]);
}

function documentedDefault(setting: Setting<unknown>): string {
  const own = setting.shownDefault ?? defaultText(setting.default);
  const fallbacks = setting.fallbacks ?? [];
  if (fallbacks.length === 0) return own;
  return `${fallbacks.map((name) => `\`${name}\``).join(', else ')}, else ${setting.shownDefault ?? quoted(own)}`;
}

/** The docs' words for a default: `unset`, `empty`, or its text. */
export function defaultText(value: unknown): string {
  if (value === undefined) return 'unset';
  if (value === '') return 'empty';
  return String(value);
}

function quoted(text: string): string {
  return text === 'unset' || text === 'empty' ? text : `\`${text}\``;
}
