import { types } from 'node:util';
import type { Redactor } from './redaction';

export interface StringBoundsOptions {
  /** Characters (UTF-16 code units) a string keeps; longer ones are cut and marked. */
  readonly maxLength: number;
  readonly redactor: Redactor;
  /** The redactor's own limits: strings it would leave out are not looked at. Default 10 and 8, as the redactor's. */
  readonly maxEntries?: number;
  readonly maxDepth?: number;
  /** Called once for every string or key that is cut. */
  readonly onCut: () => void;
}

/** Cuts long strings before the redactor reads them, so that a line's redaction costs at most so much. */
export interface StringBounds {
  /** `text` itself when it is short enough, else its beginning (already redacted) and a marker saying how much was cut. */
  string(text: string): string;
  /** A top-level field as `redactor.jsonMember` writes it, from a key and value whose long strings are cut first. */
  jsonMember(key: string, value: unknown): string | undefined;
}

/**
 * A cut string is redacted over this many characters past its end before it is cut, so that
 * a secret that straddles the cut is found whole and cannot leave its first characters behind.
 */
const CUT_MARGIN = 1024;
const DEFAULT_MAX_ENTRIES = 10;
const CIRCULAR = '[Circular]';
const DEFAULT_MAX_DEPTH = 8;

/**
 * The redactor reads every character of every string it is given (several regex passes),
 * about 0.1 s a megabyte: strings are cut before it sees them. A value holding a long string
 * is replaced by a copy that the redactor writes as it would the original (a Set becomes an
 * array, an Error the object the redactor makes of one, a value with `toJSON` its JSON), with
 * only the long strings changed; any other value is passed on as it is.
 */
export function createStringBounds(options: StringBoundsOptions): StringBounds {
  return new StringBounder(options);
}

/** `createStringBounds`'s bounds: one per line format, its methods sharing the limits and the redactor. */
class StringBounder implements StringBounds {
  private readonly maxLength: number;
  private readonly redactor: Redactor;
  private readonly onCut: () => void;
  private readonly maxEntries: number;
  private readonly maxDepth: number;
  private censor: string | undefined;

  constructor(options: StringBoundsOptions) {
    this.maxLength = options.maxLength;
    this.redactor = options.redactor;
    this.onCut = options.onCut;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  string(text: string): string {
    return text.length > this.maxLength ? this.cut(text) : text;
  }

  jsonMember(key: string, value: unknown): string | undefined {
    const { maxLength, redactor } = this;
    if (key.length > maxLength) {
      const [outKey, outValue] = this.longKeyEntry(key, value, 1, []);
      return redactor.jsonMember(outKey, outValue);
    }
    if (typeof value === 'string') {
      // The redactor writes the censor for a sensitive key's value without reading it.
      return redactor.jsonMember(key, value.length > maxLength && !redactor.isSensitiveKey(key) ? this.cut(value) : value);
    }
    return redactor.jsonMember(key, typeof value === 'object' && value !== null ? this.bounded(value, 1, []) : value);
  }

  private cut(text: string): string {
    const { maxLength, onCut } = this;
    onCut();
    const redacted = this.redactor.string(text.slice(0, maxLength + CUT_MARGIN));
    const kept = sliceWhole(redacted, maxLength);
    return kept + truncationMarker(text.length - kept.length, text.length);
  }

  /** What the redactor writes for a sensitive key's value: a long key cut short may no longer look sensitive. */
  private censored(): string {
    this.censor ??= String(this.redactor.fields({ password: '' }).password);
    return this.censor;
  }

  /** The key and value of a member, `key` cut; the value is censored when the whole key is sensitive. */
  private longKeyEntry(key: string, value: unknown, depth: number, stack: object[]): readonly [string, unknown] {
    return [this.cut(key), this.redactor.isSensitiveKey(key) ? this.censored() : this.bounded(value, depth, stack)];
  }

  private bounded(value: unknown, depth: number, stack: object[]): unknown {
    if (typeof value === 'string') return value.length > this.maxLength ? this.cut(value) : value;
    if (typeof value !== 'object' || value === null) return value;
    // As the redactor writes it: a copy's reference back to its original must not lead to the original's long strings.
    if (stack.includes(value)) return CIRCULAR;
    stack.push(value);
    try {
      return this.boundedObject(value, depth, stack, true);
    } catch {
      // A getter or Proxy trap that throws: the redactor marks the value itself.
      return value;
    } finally {
      stack.pop();
    }
  }

  private boundedObject(o: object, depth: number, stack: object[], allowToJSON: boolean): unknown {
    const { maxDepth } = this;
    if (Array.isArray(o)) return depth > maxDepth ? o : this.boundedArray(o, depth, stack);
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) {
      if (ArrayBuffer.isView(o) || types.isAnyArrayBuffer(o) || types.isDate(o)) return o;
      if (o instanceof Error || types.isNativeError(o)) return depth > maxDepth ? o : this.boundedError(o as Error, depth, stack);
      if (types.isMap(o)) return depth > maxDepth ? o : this.boundedMap(o, depth, stack);
      if (types.isSet(o)) return depth > maxDepth ? o : this.boundedSet(o, depth, stack);
      if (types.isRegExp(o)) return this.boundedText(String(o), o);
      if (types.isBoxedPrimitive(o)) {
        const primitive: unknown = (o as { valueOf(): unknown }).valueOf();
        return typeof primitive === 'string' ? this.boundedText(primitive, o) : o;
      }
    }
    if (allowToJSON) {
      const toJSON: unknown = (o as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        const json: unknown = toJSON.call(o);
        if (json !== o) {
          const result =
            typeof json === 'object' && json !== null ? this.boundedObject(json, depth, stack, false) : this.bounded(json, depth, stack);
          return result === json ? o : result;
        }
      }
    }
    return depth > maxDepth ? o : this.boundedRecord(o as Record<string, unknown>, depth, stack);
  }

  private boundedText(text: string, original: object): unknown {
    return text.length > this.maxLength ? this.cut(text) : original;
  }

  private boundedRecord(o: Record<string, unknown>, depth: number, stack: object[]): unknown {
    const { maxLength } = this;
    const keys = Object.keys(o);
    const limit = Math.min(keys.length, this.maxEntries);
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < limit; i++) {
      const key = keys[i] as string;
      const value = o[key];
      const [outKey, outValue] =
        key.length > maxLength ? this.longKeyEntry(key, value, depth + 1, stack) : [key, this.bounded(value, depth + 1, stack)];
      if (copy === undefined && outKey === key && outValue === value) continue;
      if (copy === undefined) {
        copy = {};
        for (let j = 0; j < i; j++) setOwn(copy, keys[j] as string, o[keys[j] as string]);
      }
      setOwn(copy, outKey, outValue);
    }
    if (copy === undefined) return o;
    // The redactor counts the entries it leaves out; their values are never read.
    for (let i = limit; i < keys.length; i++) setOwn(copy, keys[i] as string, undefined);
    return copy;
  }

  private boundedArray(a: readonly unknown[], depth: number, stack: object[]): unknown {
    const limit = Math.min(a.length, this.maxEntries);
    let copy: unknown[] | undefined;
    for (let i = 0; i < limit; i++) {
      const value = a[i];
      const outValue = this.bounded(value, depth + 1, stack);
      if (outValue === value) continue;
      copy ??= a.slice();
      copy[i] = outValue;
    }
    return copy ?? a;
  }

  private boundedMap(m: ReadonlyMap<unknown, unknown>, depth: number, stack: object[]): unknown {
    const { maxLength, maxEntries } = this;
    let entries: [unknown, unknown][] | undefined;
    let index = 0;
    for (const [k, v] of m) {
      if (index === maxEntries) break;
      const key = typeof k === 'string' ? k : String(k);
      const [outKey, outValue] = key.length > maxLength ? this.longKeyEntry(key, v, depth + 1, stack) : [k, this.bounded(v, depth + 1, stack)];
      if (entries === undefined && (outKey !== k || outValue !== v)) entries = [...m].slice(0, index);
      entries?.push([outKey, outValue]);
      index++;
    }
    if (entries === undefined) return m;
    for (const entry of [...m].slice(index)) entries.push(entry);
    return new Map(entries);
  }

  private boundedSet(s: ReadonlySet<unknown>, depth: number, stack: object[]): unknown {
    const { maxEntries } = this;
    // The redactor writes a Set as an array: an array also keeps entries that the cut makes equal.
    let copy: unknown[] | undefined;
    let index = 0;
    for (const value of s) {
      if (index === maxEntries) break;
      const outValue = this.bounded(value, depth + 1, stack);
      if (copy === undefined && outValue !== value) copy = [...s];
      if (copy !== undefined) copy[index] = outValue;
      index++;
    }
    return copy ?? s;
  }

  private boundedError(e: Error, depth: number, stack: object[]): unknown {
    const { maxLength } = this;
    const name = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    const trace = typeof e.stack === 'string' ? e.stack : undefined;
    const code = (e as { code?: unknown }).code;
    const cause = e.cause;
    const outCode = this.bounded(code, depth + 1, stack);
    const outCause = this.bounded(cause, depth + 1, stack);
    const long = name.length > maxLength || message.length > maxLength || (trace !== undefined && trace.length > maxLength);
    if (!long && outCode === code && outCause === cause) return e;
    // The members the redactor makes of an Error, in its order.
    const copy: Record<string, unknown> = { type: this.string(name), message: this.string(message) };
    if (trace !== undefined) copy.stack = this.string(trace);
    if (code !== undefined) copy.code = outCode;
    if (cause !== undefined) copy.cause = outCause;
    return copy;
  }
}

/**
 * What a cut string ends with. It starts with a space: text redacted again after the cut
 * (`token=abc`, cut) ends its value there and keeps the marker whole.
 */
export function truncationMarker(removed: number, total: number): string {
  return ` …[truncated: ${removed} more of ${total} chars]`;
}

/** The first `length` code units of `text`, one fewer when the last would split a surrogate pair. */
export function sliceWhole(text: string, length: number): string {
  if (text.length <= length) return text;
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
