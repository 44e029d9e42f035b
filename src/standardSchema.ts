/**
 * The part of the Standard Schema interface (https://standardschema.dev, version 1) that
 * settings use. zod, valibot and ArkType schemas all implement it, so a setting's schema may
 * come from any of them and sightline's API does not follow one library's major versions.
 */
export interface StandardSchema<Input = unknown, Output = Input> {
  /** The interface's properties, under the name the specification gives them. */
  readonly '~standard': {
    /** The specification's version: 1. */
    readonly version: 1;
    /** The library that made the schema (`zod`). */
    readonly vendor: string;
    /** Checks a value; settings need the answer at once, so a promise is refused. */
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    /** The types a schema takes and gives, for inference only. */
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** What `validate` answers: the value it produced, or why it refused. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardIssue[] };

/** One reason a schema refused a value, and where in the value it lies. */
export interface StandardIssue {
  /** Why, in words. */
  readonly message: string;
  /** The keys leading to the part refused; none for the value as a whole. */
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The value `schema` produces from `value`, or its issues in one line ("where: why; …"). */
export function validateNow<Output>(
  schema: StandardSchema<unknown, Output>,
  value: unknown,
): { readonly ok: true; readonly value: Output } | { readonly ok: false; readonly message: string } {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    throw new TypeError(`settings: a schema (${schema['~standard'].vendor}) answered with a promise; settings are read at once`);
  }
  if (result.issues === undefined) return { ok: true, value: result.value };
  return { ok: false, message: result.issues.map(issueText).join('; ') };
}

function issueText(issue: StandardIssue): string {
  const where = (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .filter((key) => typeof key !== 'symbol')
    .join('.');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}
