import type { Setting, SettingsTable } from './setting';
import { REDACTED, SettingsError, type SettingProblem } from './settingProblem';
import { documentedVariables, type EnvironmentVariable } from './settingVariables';
import { validateNow } from './standardSchema';

/** How a table's `load` treats what it refuses, and the rules across its settings. */
export interface DefineSettingsOptions<C> {
  /** Names the configuration in a thrown error: "`subject` configuration rejected". */
  readonly subject: string;
  /**
   * `true` (the default, for an application): any invalid value throws `SettingsError`, so the
   * service refuses to start. `false` (for a library inside someone else's service): an invalid
   * environment value is reported in `problems` and ignored. A value given in code that is
   * invalid throws either way.
   */
  readonly strict?: boolean;
  /**
   * Rules across settings, run once every value has passed its own schema. Each problem names
   * the setting to blame, reported as its value was given; out of strict mode that setting keeps its default.
   */
  readonly check?: (config: Readonly<C>) => readonly CrossSettingProblem<C>[];
}

/** A rule across settings broken: the setting to blame, and why. */
export interface CrossSettingProblem<C> {
  /** The setting to blame, by its key in the table. */
  readonly key: keyof C;
  /** Why the combination is refused, in a sentence. */
  readonly message: string;
}

/** What `load` read, and what it refused (empty unless the table is not strict). */
export interface LoadedSettings<C> {
  /** Every setting's value: given in code, else read from the environment, else its default. */
  readonly config: Readonly<C>;
  /** Each value refused, with the variable it came from; a refused setting has its default in `config`. */
  readonly problems: readonly SettingProblem[];
}

/** Values given in code, by key; they win over the environment, and `undefined` is "not given". */
export type SettingsOverrides<C> = { readonly [K in keyof C]?: unknown };

/** A table made usable: one loader, and the docs' rows. */
export interface DefinedSettings<C> {
  /**
   * Reads every setting: a value given in code, else the first valid of its variables, else its
   * default. Every problem is found before anything is thrown or returned.
   */
  load(environment?: Readonly<Record<string, string | undefined>>, overrides?: SettingsOverrides<C>): LoadedSettings<C>;
  /** Every variable the table reads, with its default and meaning, for the docs' table. */
  readonly variables: readonly EnvironmentVariable[];
  /** Every setting's default. */
  readonly defaults: Readonly<C>;
}

interface Origin {
  readonly variable: string;
  readonly source: SettingProblem['source'];
  readonly value: unknown;
}

/**
 * Makes a table of settings (by key: variable, schema, default, meaning) into its loader and
 * its docs' rows. A table whose own defaults fail its schemas or rules, or that names a
 * variable twice, throws here, at definition.
 */
export function defineSettings<C>(table: SettingsTable<C>, options: DefineSettingsOptions<C>): DefinedSettings<C> {
  const keys = Object.keys(table) as (keyof C & string)[];
  const strict = options.strict ?? true;
  const defaults = Object.freeze(Object.fromEntries(keys.map((key) => [key, table[key].default])) as C);
  assertSoundTable(table, keys, defaults, options);

  function load(
    environment: Readonly<Record<string, string | undefined>> = process.env,
    overrides: SettingsOverrides<C> = {},
  ): LoadedSettings<C> {
    const problems: SettingProblem[] = [];
    const config: Record<string, unknown> = {};
    const origins = new Map<string, Origin>();
    for (const key of keys) {
      const setting = table[key] as Setting<unknown>;
      const read = readSetting(setting, key, overrides[key], environment, problems);
      config[key] = read === undefined ? setting.default : read.value;
      if (read !== undefined) origins.set(key, read.origin);
    }
    if (problems.length === 0 && options.check !== undefined) {
      for (const { key, message } of options.check(config as C)) {
        const setting = table[key] as Setting<unknown>;
        const origin = origins.get(key as string) ?? { variable: setting.name, source: 'environment', value: undefined };
        problems.push({ ...origin, value: setting.secret === true ? REDACTED : origin.value, message });
        config[key as string] = setting.default;
      }
    }
    if ((strict && problems.length > 0) || problems.some((problem) => problem.source === 'code')) {
      throw new SettingsError(options.subject, problems);
    }
    return { config: Object.freeze(config as C), problems: Object.freeze(problems) };
  }

  return { load, variables: Object.freeze(documentedVariables(keys.map((key) => table[key]))), defaults };
}

/** A setting's value from code, else from the first of its variables that holds a valid one; each refusal goes to `problems`. */
function readSetting(
  setting: Setting<unknown>,
  key: string,
  given: unknown,
  environment: Readonly<Record<string, string | undefined>>,
  problems: SettingProblem[],
): { readonly value: unknown; readonly origin: Origin } | undefined {
  const refuse = (origin: Origin, message: string) => {
    problems.push({ ...origin, value: setting.secret === true ? REDACTED : origin.value, message });
  };
  if (given !== undefined) {
    const origin: Origin = { variable: `options.${key}`, source: 'code', value: given };
    const result = validateNow(setting.schema, given);
    if (result.ok) return { value: result.value, origin };
    refuse(origin, result.message);
    return undefined;
  }
  let found: { readonly value: unknown; readonly origin: Origin } | undefined;
  for (const variable of [setting.name, ...(setting.fallbacks ?? [])]) {
    const text = environment[variable];
    if (text === undefined) continue;
    const origin: Origin = { variable, source: 'environment', value: text };
    const read = setting.fromText === undefined ? { ok: true as const, value: text } : validateNow(setting.fromText, text);
    const result = read.ok ? validateNow(setting.schema, read.value) : read;
    if (!result.ok) refuse(origin, result.message);
    else found ??= { value: result.value, origin };
  }
  return found;
}

function assertSoundTable<C>(table: SettingsTable<C>, keys: readonly (keyof C & string)[], defaults: C, options: DefineSettingsOptions<C>): void {
  const names = new Set<string>();
  for (const key of keys) {
    const setting = table[key] as Setting<unknown>;
    for (const name of [setting.name, ...(setting.fallbacks ?? [])]) {
      if (names.has(name)) throw new TypeError(`defineSettings (${options.subject}): ${name} is read by two settings`);
      names.add(name);
    }
    if (setting.default === undefined) continue;
    const result = validateNow(setting.schema, setting.default);
    if (!result.ok) throw new TypeError(`defineSettings (${options.subject}): the default of ${key} fails its schema: ${result.message}`);
    if (typeof setting.default === 'object' && setting.shownDefault === undefined) {
      throw new TypeError(`defineSettings (${options.subject}): ${key} needs a shownDefault, its default is not text`);
    }
  }
  const broken = options.check?.(defaults) ?? [];
  if (broken.length > 0) {
    throw new TypeError(`defineSettings (${options.subject}): the defaults break a rule: ${broken.map((p) => `${String(p.key)} ${p.message}`).join('; ')}`);
  }
}
