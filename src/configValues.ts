import { z } from 'zod';

/**
 * The kinds of value sightline's own settings take, each as the pair a setting needs: the
 * schema a value given in code must pass, and the reading of an environment variable's text.
 * The readings quote the text they refuse, because `configErrors` carries no value of its own.
 */
export interface ValueKind<T> {
  /** What a value given in code must pass. */
  readonly schema: z.ZodType<T, unknown>;
  /** How an environment variable's text is read and checked. */
  readonly fromText: z.ZodType<T, string>;
}

const quoted = (input: unknown) => JSON.stringify(input);

const TRUE_TEXTS = ['true', '1', 'yes', 'on'] as const;
const BOOLEAN_TEXTS = [...TRUE_TEXTS, 'false', '0', 'no', 'off'] as const;

/** `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, in any case. */
export const booleanValue: ValueKind<boolean> = {
  schema: z.boolean({ error: 'must be true or false' }),
  fromText: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(BOOLEAN_TEXTS, { error: (issue) => `expected true or false, got ${quoted(issue.input)}` }))
    .transform((text) => (TRUE_TEXTS as readonly string[]).includes(text)),
};

/** Any text but blanks; the environment's is trimmed. */
export const textValue: ValueKind<string> = {
  schema: z.string({ error: 'must be text' }).refine((text) => text.trim() !== '', { error: 'must not be empty' }),
  fromText: z.string().trim().min(1, { error: 'must not be empty' }),
};

/** One of `names`, in any case from the environment. */
export function oneOf<const Name extends string>(names: readonly Name[]): ValueKind<Name> {
  return {
    schema: z.enum(names, { error: `must be one of ${names.join(', ')}` }),
    fromText: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(names, { error: (issue) => `expected one of ${names.join(', ')}, got ${quoted(issue.input)}` })),
  };
}

/** Text matching `pattern`, `described` in words for the error. */
export function matching(pattern: RegExp, described: string): ValueKind<string> {
  return {
    schema: z.string({ error: `must be ${described}` }).regex(pattern, { error: `must be ${described}` }),
    fromText: z
      .string()
      .trim()
      .regex(pattern, { error: (issue) => `expected ${described}, got ${quoted(issue.input)}` }),
  };
}

/** A number from 0 to 1; the environment's may be written any way `Number()` reads. */
export const shareValue: ValueKind<number> = {
  schema: z.number({ error: 'must be a number between 0 and 1' }).min(0, { error: 'must be a number between 0 and 1' }).max(1, {
    error: 'must be a number between 0 and 1',
  }),
  fromText: z
    .string()
    .trim()
    .refine((text) => text !== '' && Number.isFinite(Number(text)) && Number(text) >= 0 && Number(text) <= 1, {
      error: (issue) => `expected a number between 0 and 1, got ${quoted(issue.input)}`,
    })
    .transform(Number),
};

/** A whole number from `min` to `max` of `unit` (`milliseconds`); the environment's in digits only. */
export function wholeNumber(min: number, max: number, unit: string): ValueKind<number> {
  const range = min === 0 ? `up to ${max}` : `from ${min} to ${max}`;
  const accepts = (value: number) => Number.isInteger(value) && value >= min && value <= max;
  return {
    schema: z.number({ error: `must be a whole number ${range}` }).refine(accepts, { error: `must be a whole number ${range}` }),
    fromText: z
      .string()
      .trim()
      .refine((text) => /^\d+$/.test(text) && accepts(Number(text)), {
        error: (issue) => `expected a whole number of ${unit} ${range}, got ${quoted(issue.input)}`,
      })
      .transform(Number),
  };
}

/** Text of at least `min` characters that is never quoted back: the reason names only the length. */
export function secretText(min: number): ValueKind<string> {
  const schema = z.string({ error: `must be at least ${min} characters` }).min(min, { error: `must be at least ${min} characters` });
  return { schema, fromText: schema };
}
