import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * The JSON Schemas of `schemas/` loaded into one ajv 8 instance (draft 2020-12, formats,
 * strict types), so cross-file references such as `errorBody.schema.json#/$defs/sightline`
 * resolve. `errorsOf(ref, value)` answers ajv's messages, empty when valid.
 */

export const SCHEMA_DIRECTORY = path.resolve(__dirname, '..', '..', 'schemas');
export const SCHEMA_FILES = ['logLine.schema.json', 'healthResponse.schema.json', 'errorBody.schema.json'] as const;

export interface SchemaValidator {
  /** ajv's errors of `value` against `ref` (a schema id, optionally with a `#/$defs/...` pointer), one line each. */
  errorsOf(ref: string, value: unknown): string[];
}

export function loadSchemas(): SchemaValidator {
  const ajv = new Ajv2020({ allErrors: true, strictTypes: true, allowUnionTypes: true });
  addFormats(ajv);
  for (const file of SCHEMA_FILES) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIRECTORY, file), 'utf8')) as object);
  }
  return {
    errorsOf(ref, value) {
      const validate = ajv.getSchema(ref);
      if (validate === undefined) throw new Error(`no schema ${ref}`);
      if (validate(value)) return [];
      return (validate.errors ?? []).map(describe);
    },
  };
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '(root)'} ${error.message ?? error.keyword} (${error.schemaPath}${Object.keys(error.params).length === 0 ? '' : ` ${JSON.stringify(error.params)}`})`;
}
