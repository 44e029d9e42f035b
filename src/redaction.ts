import { types } from 'node:util';

/**
 * Redaction of log data, run on every line before any transport.
 *
 * Two mechanisms:
 * - sensitive KEYS: the whole value of a field whose name looks like a credential
 *   (`password`, `authorization`, `*token`, …) is replaced by the censor, at any depth;
 * - sensitive VALUE SHAPES: inside every string, substrings that look like a credential
 *   (bearer tokens, JWTs, API keys, emails, card numbers, URL credentials, `key=value`
 *   pairs with a sensitive key, PEM private keys) are replaced by the censor.
 *
 * It is on the hot path of every request, so: every regex is compiled once per redactor,
 * the key decision is cached per key name in a bounded map, numbers and booleans are
 * returned as they are, and a string goes through two native regex searches for the few
 * characters some secret shape needs (`= : @ % _ - J`, `be`/`ba`, `AK`/`AS`/`AI`, and
 * 4+4 digits for cards). Only a string that has one is scanned from there, and only
 * the value-shape passes whose trigger that scan confirms run. fields() copies the line
 * in one allocation and overwrites only the values that change.
 *
 * A redactor has no shared state with any other: its caches live in the instance.
 */

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
/** Distinct key names whose decision is remembered (oldest forgotten first). */
const KEY_CACHE_LIMIT = 2048;
/** Longer key names are decided every time rather than kept in the cache. */
const KEY_CACHE_MAX_KEY_LENGTH = 200;
/** Top-level field positions whose last key fields() remembers. */
const FIELD_MEMO_SIZE = 32;
/** No secret shape fits in fewer characters (`pwd=x`). */
const MIN_SECRET_LENGTH = 5;

const TRUNCATED_KEY = '_truncated';
const CIRCULAR = '[Circular]';
const DEEP_OBJECT = '[Object]';
const DEEP_ARRAY = '[Array]';
const UNSERIALIZABLE = '[Unserializable]';
const NOT_SPECIAL: unique symbol = Symbol('not special');

// Flags set by the one-pass scan of a string; each one enables one value-shape pass.
const F_PAIR = 1; // `key=value` / `key: value` with a sensitive key
const F_AT = 2; // `@` or `%40` (emails, URL credentials)
const F_URL = 4; // `://`
const F_PEM = 8; // `-----BEGIN`
const F_API = 16; // the start of a known API key format
const F_JWT = 32; // `eyJ`
const F_AUTH = 64; // `Bearer ` / `Basic `, any case
const F_CARD = 128; // 4 digits, maybe a space or dash, 4 digits

/** Lower case, with `-`, `_`, `.` and whitespace removed. */
function normaliseKey(key: string): string {
  const lower = key.toLowerCase();
  let out = '';
  let from = 0;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c === 45 || c === 95 || c === 46 || c === 32 || (c >= 9 && c <= 13)) {
      if (i > from) out += lower.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? lower : out + lower.slice(from);
}

/** Luhn check over the digits of `text` (other characters are skipped). */
function luhnValid(text: string): boolean {
  let sum = 0;
  let digits = 0;
  let double = false;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    digits++;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** A character that can end a key written before `=` / `:` in free text. */
function isKeyTail(c: number): boolean {
  const lower = c | 32;
  return (
    (lower >= 97 && lower <= 122) ||
    (c >= 48 && c <= 57) ||
    c === 95 || // _
    c === 45 || // -
    c === 46 || // .
    c === 34 || // "
    c === 39 || // '
    c === 92 || // \
    c === 32 ||
    c === 9
  );
}

/** Ends an unquoted value in free text: whitespace, `&`, `;`, quotes. */
function isValueEnd(c: number): boolean {
  return c === 32 || c === 38 || c === 59 || c === 34 || c === 39 || (c >= 9 && c <= 13);
}

/** `[A-Za-z0-9_.-]`: a character of a key written in free text. */
function isKeyChar(c: number): boolean {
  const lower = c | 32;
  return (lower >= 97 && lower <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

/** `[A-Za-z0-9_.%+-]`: a character of the local part of an email address. */
function isEmailLocalChar(c: number): boolean {
  return isKeyChar(c) || c === 37 || c === 43;
}

/** Lower-case ASCII letter at `i` equals `lower` (ignoring case). */
function letterAt(s: string, i: number, lower: number): boolean {
  return (s.charCodeAt(i) | 32) === lower;
}

/** `bearer` or `basic` (any case) at `i`, followed by a space or tab. */
function authSchemeAt(s: string, i: number): boolean {
  let end: number;
  if (letterAt(s, i + 1, 101) && letterAt(s, i + 2, 97) && letterAt(s, i + 3, 114) && letterAt(s, i + 4, 101) && letterAt(s, i + 5, 114)) {
    end = i + 6;
  } else if (letterAt(s, i + 1, 97) && letterAt(s, i + 2, 115) && letterAt(s, i + 3, 105) && letterAt(s, i + 4, 99)) {
    end = i + 5;
  } else {
    return false;
  }
  const c = s.charCodeAt(end);
  return c === 32 || c === 9;
}

/** `AKIA`, `ASIA` or `AIza` at `i` (where there is an `A`). */
function awsOrGoogleKeyAt(s: string, i: number): boolean {
  const c1 = s.charCodeAt(i + 1);
  const c2 = s.charCodeAt(i + 2);
  const c3 = s.charCodeAt(i + 3);
  if (c1 === 75 || c1 === 83) return c2 === 73 && c3 === 65; // AKIA ASIA
  return c1 === 73 && c2 === 122 && c3 === 97; // AIza
}

/** A known API key prefix ends with the `-` or `_` at `i`: sk- glpat- xox?- sk_ rk_ gh?_ npm_ github_. */
function apiKeyPrefixEndsAt(s: string, i: number): boolean {
  const p1 = s.charCodeAt(i - 1);
  const p2 = s.charCodeAt(i - 2);
  if (s.charCodeAt(i) === 45) {
    if (p1 === 107) return p2 === 115; // sk-
    if (p1 === 116) return i >= 5 && s.startsWith('glpat', i - 5);
    return i >= 4 && s.startsWith('xox', i - 4);
  }
  if (p1 === 107) return p2 === 115 || p2 === 114; // sk_ rk_
  if (p2 === 104) return s.charCodeAt(i - 3) === 103; // gh?_
  if (p1 === 109) return i >= 3 && s.startsWith('npm', i - 3);
  if (p1 === 98) return i >= 6 && s.startsWith('github', i - 6);
  return false;
}

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

interface KeyInfo {
  readonly sensitive: boolean;
  /** The key as written in output (itself redacted as a string), computed on first use. */
  name: string | undefined;
  /** `"name":`, computed on first use. */
  member: string | undefined;
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const censor = options.censor ?? DEFAULT_CENSOR;
  if (typeof censor !== 'string') throw new TypeError('redaction option censor must be a string');
  const maxEntries = checkLimit('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES);
  const maxDepth = checkLimit('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH);

  const extraExact = new Set<string>();
  const extraPatterns: RegExp[] = [];
  for (const key of options.extraKeys ?? []) {
    if (typeof key === 'string') {
      const normalised = normaliseKey(key);
      if (normalised !== '') extraExact.add(normalised);
    } else if (key instanceof RegExp) {
      extraPatterns.push(new RegExp(key.source, key.flags.replace(/[gy]/g, '')));
    } else {
      throw new TypeError('redaction option extraKeys must hold strings and RegExps');
    }
  }

  // `$` in the censor must stay literal in String.prototype.replace replacement patterns.
  const censorPattern = censor.replace(/\$/g, '$$$$');

  // ---- keys ---------------------------------------------------------------------------

  const sensitivePart =
    /password|passwd|passphrase|secret|apikey|authorization|cookie|credential|privatekey|sessionid|sessid|jwt/;

  function decideKey(key: string): boolean {
    const n = normaliseKey(key);
    if (
      n.endsWith('token') ||
      n === 'pwd' ||
      n === 'auth' ||
      n === 'session' ||
      sensitivePart.test(n) ||
      extraExact.has(n)
    ) {
      return true;
    }
    for (const pattern of extraPatterns) if (pattern.test(key)) return true;
    return false;
  }

  const keyCache = new Map<string, KeyInfo>();

  function keyInfo(key: string): KeyInfo {
    let info = keyCache.get(key);
    if (info === undefined) {
      info = { sensitive: decideKey(key), name: undefined, member: undefined };
      if (key.length <= KEY_CACHE_MAX_KEY_LENGTH) {
        if (keyCache.size >= KEY_CACHE_LIMIT) {
          const oldest = keyCache.keys().next();
          if (oldest.done !== true) keyCache.delete(oldest.value);
        }
        keyCache.set(key, info);
      }
    }
    return info;
  }

  /**
   * For a key found in free text. Only short ones are cached: a longer substring can be a
   * slice that keeps its whole (maybe large) parent string alive.
   */
  function isSensitiveTextKey(key: string): boolean {
    const info = keyCache.get(key);
    if (info !== undefined) return info.sensitive;
    return key.length < 13 ? keyInfo(key).sensitive : decideKey(key);
  }

  const recentKeys: (string | undefined)[] = new Array<string | undefined>(FIELD_MEMO_SIZE).fill(undefined);
  const recentInfos: (KeyInfo | undefined)[] = new Array<KeyInfo | undefined>(FIELD_MEMO_SIZE).fill(undefined);

  function outputKey(key: string, info: KeyInfo): string {
    let name = info.name;
    if (name === undefined) {
      name = redactString(key);
      info.name = name;
    }
    return name;
  }

  // ---- strings ------------------------------------------------------------------------

  const pemRe =
    /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g;
  // scheme://userinfo@ — userinfo may itself hold a raw `@`, so up to the last `@` before the host.
  const urlCredentialsRe = /\b([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s/?#"'<>]+@/g;
  // key=value / key: value, with the key optionally quoted (JSON, util.inspect, escaped JSON).
  const pairRe = /(?<![\w.-])(\w[\w.-]{0,63})\\?["']?[ \t]*([=:])[ \t]*/g;
  const schemeRe = /(?:bearer|basic|token|digest|negotiate)[ \t]+/iy;
  const authRe = /\b(bearer|basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi;
  // Starting only where a base64url run starts keeps `eyJeyJeyJ…` linear.
  const jwtRe = /(?<![\w-])eyJ[\w-]{2,}\.[\w-]+(?:\.[\w-]*){0,3}/g;
  const apiKeyRe = new RegExp(
    '(?<![\\w-])(?:' + // where a token starts, so that `sk-sk-sk-…` stays linear
      [
        'sk-(?=[A-Za-z0-9_-]*\\d)[A-Za-z0-9_-]{20,}', // OpenAI sk-…, sk-proj-…
        '[sr]k_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe secret / restricted
        'gh[pousr]_[A-Za-z0-9]{20,}', // GitHub
        'github_pat_[A-Za-z0-9_]{20,}', // GitHub fine-grained
        'glpat-[A-Za-z0-9_-]{20,}', // GitLab
        'xox[abprs]-[A-Za-z0-9-]{10,}', // Slack
        'A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS access key id
        'AIza[A-Za-z0-9_-]{35}', // Google
        'npm_[A-Za-z0-9]{36}', // npm
      ].join('|') +
      ')',
    'g',
  );
  // Tried only where the local part before an `@` / `%40` starts (sticky).
  const emailRe = /[\w.%+-]{1,64}(?:@|%40)(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/y;
  // Every shape needs one of these, except card numbers, which need `digitsRe`
  // (non-global: `search` and `test` leave no state behind).
  const triggerRe = /[=:@%_\-J]|[Bb][EeAa]|A[KSI]/;
  const digitsRe = /\d{4}[ -]?\d{4}/;
  // 13-19 digits starting 2-6 (all card networks in use), plain or grouped 4-4-4-4(-3) / 4-6-5(4).
  const cardRe =
    /(?<![0-9A-Za-z.])[2-6]\d{3}(?:\d{9,15}|( |-)\d{4}\1\d{4}\1\d{1,4}(?:\1\d{3})?|( |-)\d{6}\2\d{4,5})(?![0-9A-Za-z]|\.\d)/g;

  function replaceAuth(match: string, scheme: string, space: string, token: string, offset: number, text: string): string {
    // Bearer (6 letters) always; Basic only where it is clearly a credential.
    if (scheme.length === 6 || headerContext(text, offset, match.length) || looksBase64(token)) return scheme + space + censor;
    return match;
  }

  function replaceCard(match: string): string {
    return luhnValid(match) ? censor : match;
  }

  /**
   * `Basic x` written as a whole header value: at the start or after `:`, `=` or a quote,
   * and at the end or before a quote, `,` or `;`.
   */
  function headerContext(text: string, offset: number, length: number): boolean {
    let i = offset - 1;
    while (i >= 0 && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i--;
    if (i >= 0) {
      const c = text.charCodeAt(i);
      if (c !== 58 && c !== 61 && c !== 34 && c !== 39) return false;
    }
    const end = offset + length;
    if (end === text.length) return true;
    const c = text.charCodeAt(end);
    return c === 34 || c === 39 || c === 44 || c === 59;
  }

  /** Tells `Basic dXNlcjpwYXNz` from `basic usage` in prose. */
  function looksBase64(token: string): boolean {
    return token.length >= 8 && (/[0-9+/=]/.test(token) || /[A-Z]/.test(token.slice(1)));
  }

  function redactPairs(s: string): string {
    const n = s.length;
    let out = '';
    let last = 0;
    pairRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = pairRe.exec(s)) !== null) {
      const key = m[1] as string;
      if (!isSensitiveTextKey(key)) continue;
      const start = pairRe.lastIndex;
      if (start >= n) break;
      const q = s.charCodeAt(start);
      let end: number;
      let replacement: string;
      if (q === 34 || q === 39) {
        let j = start + 1;
        while (j < n) {
          const c = s.charCodeAt(j);
          if (c === 92) j += 2;
          else if (c === q) break;
          else j++;
        }
        const quote = s[start] as string;
        if (j < n) {
          end = j + 1;
          replacement = quote + censor + quote;
        } else {
          end = n;
          replacement = quote + censor;
        }
      } else if (q === 92 && s.charCodeAt(start + 1) === 34) {
        const j = s.indexOf('\\"', start + 2);
        if (j >= 0) {
          end = j + 2;
          replacement = '\\"' + censor + '\\"';
        } else {
          end = n;
          replacement = '\\"' + censor;
        }
      } else {
        let from = start;
        let prefix = '';
        schemeRe.lastIndex = start;
        const scheme = schemeRe.exec(s);
        if (scheme !== null) {
          prefix = scheme[0];
          from = start + prefix.length;
        }
        let j = from;
        if (m[2] === ':' && normaliseKey(key).includes('cookie')) {
          // `Cookie: a=1; b=2` — the whole header value, to the end of the line.
          while (j < n && s.charCodeAt(j) !== 10 && s.charCodeAt(j) !== 13) j++;
        } else {
          while (j < n && !isValueEnd(s.charCodeAt(j))) j++;
        }
        if (j === from) continue;
        end = j;
        replacement = prefix + censor;
      }
      out += s.slice(last, start) + replacement;
      last = end;
      pairRe.lastIndex = end;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  /** The key written just before the `=` / `:` at `sep` (quotes allowed) is sensitive. */
  function sensitiveKeyBefore(s: string, sep: number): boolean {
    let end = sep;
    while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
    const q = s.charCodeAt(end - 1);
    if (q === 34 || q === 39) end--;
    if (s.charCodeAt(end - 1) === 92) end--;
    let start = end;
    while (start > 0 && isKeyChar(s.charCodeAt(start - 1))) {
      if (--start < end - 64) return false; // longer than any key the pair regex takes
    }
    return start < end && isSensitiveTextKey(s.slice(start, end));
  }

  /** One pass over the characters from the first trigger: which value shapes can be present. */
  function scan(s: string, from: number): number {
    const n = s.length;
    let flags = 0;
    let prev = from > 0 ? s.charCodeAt(from - 1) : 0;
    for (let i = from; i < n; i++) {
      const c = s.charCodeAt(i);
      switch (c) {
        case 45: // -
          if (apiKeyPrefixEndsAt(s, i)) flags |= F_API;
          else if (s.charCodeAt(i + 1) === 45 && s.startsWith('-----BEGIN', i)) flags |= F_PEM;
          break;
        case 58: // :
          if (s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 47) flags |= F_URL;
          if ((flags & F_PAIR) === 0 && isKeyTail(prev) && sensitiveKeyBefore(s, i)) flags |= F_PAIR;
          break;
        case 61: // =
          if ((flags & F_PAIR) === 0 && isKeyTail(prev) && sensitiveKeyBefore(s, i)) flags |= F_PAIR;
          break;
        case 64: // @
          flags |= F_AT;
          break;
        case 37: // %40
          if (s.charCodeAt(i + 1) === 52 && s.charCodeAt(i + 2) === 48) flags |= F_AT;
          break;
        case 95: // _
          if (apiKeyPrefixEndsAt(s, i)) flags |= F_API;
          break;
        case 65: // A
          if (awsOrGoogleKeyAt(s, i)) flags |= F_API;
          break;
        case 74: // J of eyJ
          if (prev === 121 && s.charCodeAt(i - 2) === 101) flags |= F_JWT;
          break;
        case 66: // B
        case 98: // b
          if (authSchemeAt(s, i)) flags |= F_AUTH;
          break;
      }
      prev = c;
    }
    return flags;
  }

  function redactEmails(s: string): string {
    const n = s.length;
    let out = '';
    let last = 0;
    let i = 0;
    let at = s.indexOf('@');
    let encoded = s.indexOf('%40');
    while (i < n) {
      // Each search only moves forwards: linear however many `@` there are.
      if (at >= 0 && at < i) at = s.indexOf('@', i);
      if (encoded >= 0 && encoded < i) encoded = s.indexOf('%40', i);
      const sep = at < 0 ? encoded : encoded < 0 ? at : Math.min(at, encoded);
      if (sep < 0) break;
      const next = sep + (sep === at ? 1 : 3);
      let start = sep;
      const min = Math.max(last, sep - 64);
      while (start > min && isEmailLocalChar(s.charCodeAt(start - 1))) start--;
      if (start < sep) {
        emailRe.lastIndex = start;
        const m = emailRe.exec(s);
        if (m !== null) {
          out += s.slice(last, start) + censor;
          last = i = start + m[0].length;
          continue;
        }
      }
      i = next;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  function redactString(s: string): string {
    const n = s.length;
    if (n < MIN_SECRET_LENGTH) return s;
    // Most strings hold none of the characters a secret shape needs, found by one native
    // regex search; otherwise the characters from the first one on are looked at.
    const first = s.search(triggerRe);
    let flags = first < 0 ? 0 : scan(s, first);
    if (n >= 13 && digitsRe.test(s)) flags |= F_CARD;
    if (flags === 0) return s;
    let r = s;
    if ((flags & F_PEM) !== 0) r = r.replace(pemRe, censorPattern);
    if ((flags & (F_AT | F_URL)) === (F_AT | F_URL)) r = r.replace(urlCredentialsRe, '$1' + censorPattern + '@');
    if ((flags & F_PAIR) !== 0) r = redactPairs(r);
    if ((flags & F_AUTH) !== 0) r = r.replace(authRe, replaceAuth);
    if ((flags & F_JWT) !== 0) r = r.replace(jwtRe, censorPattern);
    if ((flags & F_API) !== 0) r = r.replace(apiKeyRe, censorPattern);
    if ((flags & F_AT) !== 0) r = redactEmails(r);
    if ((flags & F_CARD) !== 0) r = r.replace(cardRe, replaceCard);
    return r;
  }

  // ---- values -------------------------------------------------------------------------

  /** `undefined` means "drop" (undefined, functions, symbols). */
  function walk(v: unknown, depth: number, stack: object[]): unknown {
    switch (typeof v) {
      case 'string':
        return redactString(v);
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        return v;
      case 'object':
        return v === null ? null : walkObject(v, depth, stack, true);
      case 'bigint':
        return v.toString();
      default:
        return undefined;
    }
  }

  function walkObject(o: object, depth: number, stack: object[], allowToJSON: boolean): unknown {
    if (stack.includes(o)) return CIRCULAR;
    stack.push(o);
    try {
      if (Array.isArray(o)) return depth > maxDepth ? DEEP_ARRAY : walkArray(o, depth, stack);
      const proto: unknown = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) {
        const special = walkSpecial(o, depth, stack);
        if (special !== NOT_SPECIAL) return special;
      }
      if (allowToJSON) {
        const toJSON: unknown = (o as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') {
          const json: unknown = toJSON.call(o);
          if (json !== o) {
            return typeof json === 'object' && json !== null
              ? walkObject(json, depth, stack, false)
              : walk(json, depth, stack);
          }
        }
      }
      return depth > maxDepth ? DEEP_OBJECT : walkRecord(o, depth, stack);
    } catch {
      return UNSERIALIZABLE;
    } finally {
      stack.pop();
    }
  }

  function walkSpecial(o: object, depth: number, stack: object[]): unknown {
    if (ArrayBuffer.isView(o) || types.isAnyArrayBuffer(o)) return `[Buffer ${o.byteLength} bytes]`;
    if (types.isDate(o)) {
      const time = o.getTime();
      return Number.isNaN(time) ? 'Invalid Date' : o.toISOString();
    }
    if (o instanceof Error || types.isNativeError(o)) {
      return depth > maxDepth ? DEEP_OBJECT : walkError(o as Error, depth, stack);
    }
    if (types.isMap(o)) return depth > maxDepth ? DEEP_OBJECT : walkMap(o, depth, stack);
    if (types.isSet(o)) return depth > maxDepth ? DEEP_ARRAY : walkSet(o, depth, stack);
    if (types.isRegExp(o)) return redactString(String(o));
    if (types.isBoxedPrimitive(o)) return walk((o as { valueOf(): unknown }).valueOf(), depth, stack);
    return NOT_SPECIAL;
  }

  function walkRecord(o: object, depth: number, stack: object[]): Record<string, unknown> {
    const source = o as Record<string, unknown>;
    const keys = Object.keys(source);
    const total = keys.length;
    const limit = total > maxEntries ? maxEntries : total;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < limit; i++) {
      const key = keys[i] as string;
      const info = keyInfo(key);
      const value = info.sensitive ? censor : walk(source[key], depth + 1, stack);
      if (value !== undefined) setOwn(out, outputKey(key, info), value);
    }
    if (total > limit) out[TRUNCATED_KEY] = total - limit;
    return out;
  }

  function walkArray(a: readonly unknown[], depth: number, stack: object[]): unknown[] {
    const total = a.length;
    const limit = total > maxEntries ? maxEntries : total;
    const out: unknown[] = [];
    for (let i = 0; i < limit; i++) {
      const value = walk(a[i], depth + 1, stack);
      out.push(value === undefined ? null : value);
    }
    if (total > limit) out.push(`[truncated: ${total - limit} more of ${total}]`);
    return out;
  }

  function walkMap(m: ReadonlyMap<unknown, unknown>, depth: number, stack: object[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let count = 0;
    for (const [k, v] of m) {
      if (count === maxEntries) break;
      count++;
      const key = typeof k === 'string' ? k : String(k);
      const info = keyInfo(key);
      const value = info.sensitive ? censor : walk(v, depth + 1, stack);
      if (value !== undefined) setOwn(out, outputKey(key, info), value);
    }
    if (m.size > count) out[TRUNCATED_KEY] = m.size - count;
    return out;
  }

  function walkSet(s: ReadonlySet<unknown>, depth: number, stack: object[]): unknown[] {
    const out: unknown[] = [];
    for (const v of s) {
      if (out.length === maxEntries) break;
      const value = walk(v, depth + 1, stack);
      out.push(value === undefined ? null : value);
    }
    if (s.size > out.length) out.push(`[truncated: ${s.size - out.length} more of ${s.size}]`);
    return out;
  }

  function walkError(e: Error, depth: number, stack: object[]): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: typeof e.name === 'string' && e.name !== '' ? e.name : 'Error',
      message: redactString(typeof e.message === 'string' ? e.message : String(e.message)),
    };
    if (typeof e.stack === 'string') out.stack = redactString(e.stack);
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) {
      const value = walk(code, depth + 1, stack);
      if (value !== undefined) out.code = value;
    }
    if (e.cause !== undefined) {
      const value = walk(e.cause, depth + 1, stack);
      if (value !== undefined) out.cause = value;
    }
    return out;
  }

  /** A top-level field's value, redacted; the value itself when nothing changes. */
  function redactField(info: KeyInfo, value: unknown, stack: object[]): unknown {
    if (info.sensitive) return censor;
    if (typeof value === 'string') return redactString(value);
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
    return walk(value, 1, stack);
  }

  function fieldsSlow(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const stack: object[] = [input];
    const keys = Object.keys(input);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const info = keyInfo(key);
      let value: unknown;
      if (info.sensitive) {
        value = censor;
      } else {
        try {
          value = walk(input[key], 1, stack);
        } catch {
          value = UNSERIALIZABLE; // a throwing getter
        }
      }
      if (value !== undefined) setOwn(out, outputKey(key, info), value);
    }
    return out;
  }

  // ---- API ----------------------------------------------------------------------------

  return {
    value(input: unknown): unknown {
      return walk(input, 0, []);
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
        return fieldsSlow(input);
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
        const redacted = redactField(info, value, stack);
        if (redacted === undefined || outputKey(key, info) !== key) return fieldsSlow(input);
        if (redacted !== value) out[key] = redacted;
      }
      if (Object.getOwnPropertySymbols(input).length !== 0) return fieldsSlow(input);
      return out;
    },

    string(input: string): string {
      return redactString(typeof input === 'string' ? input : String(input));
    },

    jsonMember(key: string, value: unknown): string | undefined {
      const info = keyInfo(key);
      let redacted: unknown;
      try {
        redacted = redactField(info, value, []);
      } catch {
        redacted = UNSERIALIZABLE;
      }
      if (redacted === undefined) return undefined;
      info.member ??= `${JSON.stringify(outputKey(key, info))}:`;
      return info.member + JSON.stringify(redacted);
    },

    isSensitiveKey(key: string): boolean {
      return keyInfo(String(key)).sensitive;
    },
  };
}
