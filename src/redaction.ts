import { types } from 'node:util';
import { createKeyDecisionCache, type KeyDecisionCache, type KeyInfo } from './keyDecisionCache';
import { isCardNumberValue, SMALLEST_CARD_NUMBER } from './paymentCards';
import { looksLikeRawHeaders } from './rawHeaders';
import { createStringRedaction } from './secretText';
import { createKeyDecision } from './sensitiveKeys';

/**
 * Redaction of log data, run on every line before any transport.
 *
 * Two mechanisms:
 * - sensitive KEYS (sensitiveKeys.ts): the whole value of a field whose name looks like a
 *   credential (`password`, `authorization`, `*token`, …) is replaced by the censor, at
 *   any depth; so is the value after a sensitive name in Node's `rawHeaders` arrays;
 * - sensitive VALUE SHAPES (secretText.ts): inside every string, substrings that look like
 *   a credential are replaced by the censor; a number that is a card number is too.
 *
 * It is on the hot path of every request, so: every regex is compiled once per redactor,
 * the key decision is cached per key name in a bounded map, numbers too small to be a card
 * and booleans are returned as they are, strings are prefiltered by native searches before
 * any pattern runs, and fields() copies the line in one allocation and overwrites only the
 * values that change.
 *
 * A redactor has no shared state with any other: its caches live in the instance.
 */

/** How a redactor censors; every option has a default. */
export interface RedactionOptions {
  /** Replacement text. Default `'[REDACTED]'`. */
  readonly censor?: string;
  /**
   * More sensitive key names. A string matches a key whose normalised form (lower case,
   * `-`, `_`, `.` and whitespace removed) is equal to the string's normalised form; a
   * RegExp is tested against the key as written (its `g`/`y` flags are ignored).
   */
  readonly extraKeys?: readonly (string | RegExp)[];
  /** Arrays, Sets, Maps and objects with more entries are truncated. Default 10. */
  readonly maxEntries?: number;
  /** Objects and arrays nested deeper than this become `"[Object]"` / `"[Array]"`. Default 8. */
  readonly maxDepth?: number;
}

/** Redacts log data: whole values under sensitive keys, secret-shaped text and numbers anywhere. */
export interface Redactor {
  /** Deep-redacts any value; never mutates its input; returns JSON-safe data. */
  value(input: unknown): unknown;
  /** Redacts the top-level fields of a log line: like value() but the top level object itself is never truncated. Returns a new object. */
  fields(input: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** Redacts secret-shaped substrings in free text (messages, URLs). */
  string(input: string): string;
  /**
   * One top-level field as a JSON object member (`"key":value`), redacted as fields() would;
   * undefined when fields() would leave it out. Lets a log line be written without building
   * a redacted copy of its fields.
   */
  jsonMember(key: string, value: unknown): string | undefined;
  /** True when a key name is sensitive (its whole value is censored). */
  isSensitiveKey(key: string): boolean;
}

const DEFAULT_CENSOR = '[REDACTED]';
const DEFAULT_MAX_ENTRIES = 10;
const DEFAULT_MAX_DEPTH = 8;
/** Top-level field positions whose last key fields() remembers. */
const FIELD_MEMO_SIZE = 32;
const TRUNCATED_KEY = '_truncated';
const CIRCULAR = '[Circular]';
const DEEP_OBJECT = '[Object]';
const DEEP_ARRAY = '[Array]';
const UNSERIALIZABLE = '[Unserializable]';
const NOT_SPECIAL: unique symbol = Symbol('not special');

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !(Number.isInteger(value) || value === Infinity)) {
    throw new RangeError(`redaction option ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Walks and redacts values for one redactor: its limits, key decisions and string redaction. */
class ValueWalker {
  readonly censor: string;
  readonly maxEntries: number;
  readonly maxDepth: number;
  readonly keyInfo: KeyDecisionCache['info'];
  readonly redactString: (text: string) => string;

  constructor(censor: string, maxEntries: number, maxDepth: number, keyInfo: KeyDecisionCache['info'], redactString: (text: string) => string) {
    this.censor = censor;
    this.maxEntries = maxEntries;
    this.maxDepth = maxDepth;
    this.keyInfo = keyInfo;
    this.redactString = redactString;
  }

  outputKey(key: string, info: KeyInfo): string {
    let name = info.name;
    if (name === undefined) {
      name = this.redactString(key);
      info.name = name;
    }
    return name;
  }

  redactNumber(v: number): unknown {
    if (v < SMALLEST_CARD_NUMBER) return v > -Infinity ? v : String(v);
    return Number.isFinite(v) ? (isCardNumberValue(v) ? this.censor : v) : String(v);
  }

  /** A number, or an array whose entries kept in output are all numbers. */
  isCount(v: unknown): boolean {
    if (typeof v === 'number') return true;
    if (!Array.isArray(v)) return false;
    const limit = v.length > this.maxEntries ? this.maxEntries : v.length;
    for (let i = 0; i < limit; i++) if (typeof v[i] !== 'number') return false;
    return true;
  }

  /** The value of a sensitive key that keeps numbers: counts stay, anything else is censored. */
  countOrCensor(v: unknown, depth: number, stack: object[]): unknown {
    return this.isCount(v) ? this.walk(v, depth, stack) : this.censor;
  }

  /** `undefined` means "drop" (undefined, functions, symbols). */
  walk(v: unknown, depth: number, stack: object[]): unknown {
    switch (typeof v) {
      case 'string':
        return this.redactString(v);
      case 'number':
        return this.redactNumber(v);
      case 'boolean':
        return v;
      case 'object':
        return v === null ? null : this.walkObject(v, depth, stack, true);
      case 'bigint':
        return isCardNumberValue(v) ? this.censor : v.toString();
      default:
        return undefined;
    }
  }

  walkObject(o: object, depth: number, stack: object[], allowToJSON: boolean): unknown {
    if (stack.includes(o)) return CIRCULAR;
    stack.push(o);
    try {
      if (Array.isArray(o)) return depth > this.maxDepth ? DEEP_ARRAY : this.walkArray(o, depth, stack);
      const proto: unknown = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) {
        const special = this.walkSpecial(o, depth, stack);
        if (special !== NOT_SPECIAL) return special;
      }
      if (allowToJSON) {
        const toJSON: unknown = (o as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') {
          const json: unknown = toJSON.call(o);
          if (json !== o) {
            return typeof json === 'object' && json !== null
              ? this.walkObject(json, depth, stack, false)
              : this.walk(json, depth, stack);
          }
        }
      }
      return depth > this.maxDepth ? DEEP_OBJECT : this.walkRecord(o, depth, stack);
    } catch {
      return UNSERIALIZABLE;
    } finally {
      stack.pop();
    }
  }

  walkSpecial(o: object, depth: number, stack: object[]): unknown {
    if (ArrayBuffer.isView(o) || types.isAnyArrayBuffer(o)) return `[Buffer ${o.byteLength} bytes]`;
    if (types.isDate(o)) {
      const time = o.getTime();
      return Number.isNaN(time) ? 'Invalid Date' : o.toISOString();
    }
    if (o instanceof Error || types.isNativeError(o)) {
      return depth > this.maxDepth ? DEEP_OBJECT : this.walkError(o as Error, depth, stack);
    }
    if (types.isMap(o)) return depth > this.maxDepth ? DEEP_OBJECT : this.walkMap(o, depth, stack);
    if (types.isSet(o)) return depth > this.maxDepth ? DEEP_ARRAY : this.walkSet(o, depth, stack);
    if (types.isRegExp(o)) return this.redactString(String(o));
    if (types.isBoxedPrimitive(o)) return this.walk((o as { valueOf(): unknown }).valueOf(), depth, stack);
    return NOT_SPECIAL;
  }

  walkRecord(o: object, depth: number, stack: object[]): Record<string, unknown> {
    const source = o as Record<string, unknown>;
    const keys = Object.keys(source);
    const total = keys.length;
    const limit = total > this.maxEntries ? this.maxEntries : total;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < limit; i++) {
      const key = keys[i] as string;
      const info = this.keyInfo(key);
      let value: unknown;
      if (!info.sensitive) value = this.walk(source[key], depth + 1, stack);
      else value = info.keepsNumbers ? this.countOrCensor(source[key], depth + 1, stack) : this.censor;
      if (value !== undefined) setOwn(out, this.outputKey(key, info), value);
    }
    if (total > limit) out[TRUNCATED_KEY] = total - limit;
    return out;
  }

  walkArray(a: readonly unknown[], depth: number, stack: object[]): unknown[] {
    const total = a.length;
    const limit = total > this.maxEntries ? this.maxEntries : total;
    const out: unknown[] = [];
    const rawHeaders = typeof a[0] === 'string' && looksLikeRawHeaders(a, limit);
    for (let i = 0; i < limit; i++) {
      if (rawHeaders && i % 2 === 1 && this.keyInfo(a[i - 1] as string).sensitive) {
        out.push(this.censor);
        continue;
      }
      const value = this.walk(a[i], depth + 1, stack);
      out.push(value === undefined ? null : value);
    }
    if (total > limit) out.push(`[truncated: ${total - limit} more of ${total}]`);
    return out;
  }

  walkMap(m: ReadonlyMap<unknown, unknown>, depth: number, stack: object[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [k, v] of m) {
      if (count === this.maxEntries) break;
      count++;
      const key = typeof k === 'string' ? k : String(k);
      const info = this.keyInfo(key);
      let value: unknown;
      if (!info.sensitive) value = this.walk(v, depth + 1, stack);
      else value = info.keepsNumbers ? this.countOrCensor(v, depth + 1, stack) : this.censor;
      if (value !== undefined) setOwn(out, this.outputKey(key, info), value);
    }
    if (m.size > count) out[TRUNCATED_KEY] = m.size - count;
    return out;
  }

  walkSet(s: ReadonlySet<unknown>, depth: number, stack: object[]): unknown[] {
    const out: unknown[] = [];
    for (const v of s) {
      if (out.length === this.maxEntries) break;
      const value = this.walk(v, depth + 1, stack);
      out.push(value === undefined ? null : value);
    }
    if (s.size > out.length) out.push(`[truncated: ${s.size - out.length} more of ${s.size}]`);
    return out;
  }

  walkError(e: Error, depth: number, stack: object[]): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
      message: this.redactString(typeof e.message === 'string' ? e.message : String(e.message)),
    };
    if (typeof e.stack === 'string') out.stack = this.redactString(e.stack);
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) {
      const value = this.walk(code, depth + 1, stack);
      if (value !== undefined) out.code = value;
    }
    if (e.cause !== undefined) {
      const value = this.walk(e.cause, depth + 1, stack);
      if (value !== undefined) out.cause = value;
    }
    return out;
  }

  /** A top-level field's value, redacted; the value itself when nothing changes. */
  redactField(info: KeyInfo, value: unknown, stack: object[]): unknown {
    if (info.sensitive) return info.keepsNumbers ? this.countOrCensor(value, 1, stack) : this.censor;
    if (typeof value === 'string') return this.redactString(value);
    if (typeof value === 'number') return this.redactNumber(value);
    if (typeof value === 'boolean') return value;
    return this.walk(value, 1, stack);
  }

  fieldsSlow(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const stack: object[] = [input];
    const keys = Object.keys(input);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const info = this.keyInfo(key);
      let value: unknown;
      if (info.sensitive && !info.keepsNumbers) {
        value = this.censor;
      } else {
        try {
          value = info.sensitive ? this.countOrCensor(input[key], 1, stack) : this.walk(input[key], 1, stack);
        } catch {
          value = UNSERIALIZABLE; // a throwing getter
        }
      }
      if (value !== undefined) setOwn(out, this.outputKey(key, info), value);
    }
    return out;
  }
}

/** A redactor with its own compiled patterns and key cache; throws on an invalid option. */
export function createRedactor(options: RedactionOptions = {}): Redactor {
  const censor = options.censor ?? DEFAULT_CENSOR;
  if (typeof censor !== 'string') throw new TypeError('redaction option censor must be a string');
  const maxEntries = checkLimit('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES);
  const maxDepth = checkLimit('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH);

  const keys = createKeyDecisionCache(createKeyDecision(options.extraKeys ?? []));
  const keyInfo = keys.info;
  const redactString = createStringRedaction(censor, keys.textKeySensitivity);
  const walker = new ValueWalker(censor, maxEntries, maxDepth, keyInfo, redactString);

  const recentKeys: (string | undefined)[] = new Array<string | undefined>(FIELD_MEMO_SIZE).fill(undefined);
  const recentInfos: (KeyInfo | undefined)[] = new Array<KeyInfo | undefined>(FIELD_MEMO_SIZE).fill(undefined);

  // ---- API ----------------------------------------------------------------------------

  return {
    value(input: unknown): unknown {
      return walker.walk(input, 0, []);
    },

    fields(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
      if (input === null || typeof input !== 'object') return {};
      // Fast path: copy the object (same shape, one allocation) and overwrite only the
      // values that change. Anything unusual (a field to drop or rename, a symbol key, a
      // throwing getter) takes the general path.
      let out: Record<string, unknown>;
      try {
        out = { ...input };
      } catch {
        return walker.fieldsSlow(input);
      }
      const stack: object[] = [input];
      let index = 0;
      for (const key in out) {
        // Log lines mostly repeat the same fields in the same order: check the key seen at
        // this position last time before the cache lookup.
        let info: KeyInfo;
        if (index < FIELD_MEMO_SIZE && recentKeys[index] === key) {
          info = recentInfos[index] as KeyInfo;
        } else {
          info = keyInfo(key);
          if (index < FIELD_MEMO_SIZE) {
            recentKeys[index] = key;
            recentInfos[index] = info;
          }
        }
        index++;
        const value = out[key];
        const redacted = walker.redactField(info, value, stack);
        if (redacted === undefined || walker.outputKey(key, info) !== key) return walker.fieldsSlow(input);
        if (redacted !== value) out[key] = redacted;
      }
      if (Object.getOwnPropertySymbols(input).length !== 0) return walker.fieldsSlow(input);
      return out;
    },

    string(input: string): string {
      return redactString(typeof input === 'string' ? input : String(input));
    },

    jsonMember(key: string, value: unknown): string | undefined {
      const info = keyInfo(key);
      let redacted: unknown;
      try {
        redacted = walker.redactField(info, value, []);
      } catch {
        redacted = UNSERIALIZABLE;
      }
      if (redacted === undefined) return undefined;
      info.member ??= `${JSON.stringify(walker.outputKey(key, info))}:`;
      return info.member + JSON.stringify(redacted);
    },

    isSensitiveKey(key: string): boolean {
      return keyInfo(String(key)).sensitive;
    },
  };
}
