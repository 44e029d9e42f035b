import type { StandardSchema } from './standardSchema';

/**
 * One setting of a table: the environment variable it is read from, the schema its value must
 * pass, its default and what it means. Parsing, validation and the docs' row all come from it.
 */
export interface Setting<T> {
  /** The environment variable. */
  readonly name: string;
  /** Read in this order when `name` is unset or invalid (an alias, an older name). */
  readonly fallbacks?: readonly string[];
  /** Checks a value given in code and, after `fromText`, one read from the environment. */
  readonly schema: StandardSchema<unknown, T>;
  /** Turns the environment's text into what `schema` checks; without it, `schema` gets the text. */
  readonly fromText?: StandardSchema<string, unknown>;
  /** The value when none valid is given; `undefined` leaves the setting unset. */
  readonly default: T;
  /** The default as the docs show it, where its text would not say it (a list, "the profile's"). */
  readonly shownDefault?: string;
  /** What the setting does: the docs' "meaning" column (markdown). */
  readonly meaning: string;
  /** Its value is never shown: a problem reports `[redacted]`. */
  readonly secret?: boolean;
}

/** Every setting of a configuration `C`, by key, in the order the docs list them. */
export type SettingsTable<C> = { readonly [K in keyof C]-?: Setting<C[K]> };
