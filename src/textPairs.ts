import type { TextKeySensitivity } from './keyDecisionCache';
import { keepsNumbers, normaliseKey } from './sensitiveKeys';

/**
 * `key=value` and `key: value` pairs written in free text (messages, URLs, form bodies,
 * JSON or util.inspect output, headers): the value of a sensitive key is censored. Also
 * pairs URL-encoded inside another value, once (`password%3Dx`) or twice (`password%253Dx`).
 */
export interface PairRedaction {
  /** Censors the value of every sensitive `key=value` / `key: value` pair. */
  redactPairs(text: string): string;
  /** Censors the value of every sensitive pair whose `=` is URL-encoded. */
  redactEncodedPairs(text: string): string;
  /** The key written just before the `=` / `:` at `separator` (quotes allowed) is sensitive. */
  sensitiveKeyBefore(text: string, separator: number): boolean;
  /** The key written just before the URL-encoded `=` at `percent` is sensitive. */
  sensitiveEncodedKeyBefore(text: string, percent: number): boolean;
}

/** `[A-Za-z0-9_.-]`: a character of a key written in free text. */
export function isKeyChar(c: number): boolean {
  const lower = c | 32;
  return (lower >= 97 && lower <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

/** Ends an unquoted value in free text: whitespace, `&`, `;`, quotes. */
function isValueEnd(c: number): boolean {
  return c === 32 || c === 38 || c === 59 || c === 34 || c === 39 || (c >= 9 && c <= 13);
}

/** `?`, `&` or `;`: what comes before a query or form parameter's name. */
function isParameterStart(c: number): boolean {
  return c === 63 || c === 38 || c === 59;
}

function isHexDigit(c: number): boolean {
  const lower = c | 32;
  return (c >= 48 && c <= 57) || (lower >= 97 && lower <= 102);
}

/** Length of a URL-encoded `=` at `i`: 3 for `%3D`, 5 for `%253D` (encoded twice), else 0. */
export function encodedEqualsLength(s: string, i: number): number {
  if (s.charCodeAt(i) !== 37) return 0;
  const at = s.charCodeAt(i + 1) === 50 && s.charCodeAt(i + 2) === 53 ? i + 3 : i + 1;
  return s.charCodeAt(at) === 51 && (s.charCodeAt(at + 1) | 32) === 100 ? at + 2 - i : 0;
}

/** Ends a URL-encoded value: what ends a plain one, or an encoded `&` (`%26`, `%2526`). */
function isEncodedValueEnd(s: string, j: number): boolean {
  const c = s.charCodeAt(j);
  if (c !== 37) return isValueEnd(c);
  return s.startsWith('26', j + 1) || s.startsWith('2526', j + 1);
}

/** A number or a list of numbers written as text (`42`, `[1,2,3]}`): a count, not a credential. */
function isCountText(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 44 || c === 46 || c === 91 || c === 93 || c === 125)) return false;
  }
  return true;
}

/** The pair redaction of one string redactor: its compiled patterns and key decisions. */
class PairRedactor implements PairRedaction {
  // key=value / key: value, with the key optionally quoted (JSON, util.inspect, escaped JSON).
  private readonly pairRe = /(?<![\w.-])(\w[\w.-]{0,63})\\?["']?[ \t]*([=:])[ \t]*/g;
  private readonly schemeRe = /(?:bearer|basic|token|digest|negotiate)[ \t]+/iy;
  private readonly censor: string;
  private readonly textKeySensitivity: (key: string) => TextKeySensitivity;

  constructor(censor: string, textKeySensitivity: (key: string) => TextKeySensitivity) {
    this.censor = censor;
    this.textKeySensitivity = textKeySensitivity;
  }

  /** `key` starts at `keyStart` in `s` and is followed by `separator`. */
  private isSensitiveAt(s: string, key: string, keyStart: number, separator: number): boolean {
    const sensitivity = this.textKeySensitivity(key);
    if (sensitivity === 'none') return false;
    return sensitivity === 'always' || (separator === 61 && keyStart > 0 && isParameterStart(s.charCodeAt(keyStart - 1)));
  }

  redactPairs(s: string): string {
    const pairRe = this.pairRe;
    const schemeRe = this.schemeRe;
    const censor = this.censor;
    const n = s.length;
    let out = '';
    let last = 0;
    pairRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = pairRe.exec(s)) !== null) {
      const key = m[1] as string;
      const separator = m[2] as string;
      if (!this.isSensitiveAt(s, key, m.index, separator.charCodeAt(0))) continue;
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
        if (separator === ':' && normaliseKey(key).includes('cookie')) {
          // `Cookie: a=1; b=2` — the whole header value, to the end of the line.
          while (j < n && s.charCodeAt(j) !== 10 && s.charCodeAt(j) !== 13) j++;
        } else {
          while (j < n && !isValueEnd(s.charCodeAt(j))) j++;
        }
        if (j === from) continue;
        if (prefix === '' && keepsNumbers(normaliseKey(key)) && isCountText(s, from, j)) continue;
        end = j;
        replacement = prefix + censor;
      }
      out += s.slice(last, start) + replacement;
      last = end;
      pairRe.lastIndex = end;
    }
    return last === 0 ? s : out + s.slice(last);
  }

  sensitiveKeyBefore(s: string, separator: number): boolean {
    let end = separator;
    while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
    const q = s.charCodeAt(end - 1);
    if (q === 34 || q === 39) end--;
    if (s.charCodeAt(end - 1) === 92) end--;
    let start = end;
    while (start > 0 && isKeyChar(s.charCodeAt(start - 1))) {
      if (--start < end - 64) return false; // longer than any key the pair regex takes
    }
    return start < end && this.isSensitiveAt(s, s.slice(start, end), start, s.charCodeAt(separator));
  }

  sensitiveEncodedKeyBefore(s: string, percent: number): boolean {
    let start = percent;
    while (start > 0 && isKeyChar(s.charCodeAt(start - 1))) {
      if (--start < percent - 68) return false;
    }
    let parameter: boolean;
    if (start > 0 && s.charCodeAt(start - 1) === 37 && isHexDigit(s.charCodeAt(start)) && isHexDigit(s.charCodeAt(start + 1))) {
      // `%26key` / `%2526key`: the key starts after the encoded separator before it.
      if (s.startsWith('25', start) && isHexDigit(s.charCodeAt(start + 2)) && isHexDigit(s.charCodeAt(start + 3))) start += 2;
      const code = s.slice(start, start + 2).toUpperCase();
      parameter = code === '26' || code === '3F' || code === '3B';
      start += 2;
    } else {
      parameter = start > 0 && isParameterStart(s.charCodeAt(start - 1));
    }
    if (start >= percent) return false;
    const sensitivity = this.textKeySensitivity(s.slice(start, percent));
    return sensitivity === 'always' || (parameter && sensitivity === 'asParameter');
  }

  redactEncodedPairs(s: string): string {
    const censor = this.censor;
    const n = s.length;
    let out = '';
    let last = 0;
    let i = s.indexOf('%');
    while (i >= 0) {
      const length = encodedEqualsLength(s, i);
      if (length > 0 && this.sensitiveEncodedKeyBefore(s, i)) {
        const start = i + length;
        let end = start;
        while (end < n && !isEncodedValueEnd(s, end)) end++;
        if (end > start) {
          out += s.slice(last, start) + censor;
          last = end;
        }
        i = s.indexOf('%', end);
      } else {
        i = s.indexOf('%', i + 1);
      }
    }
    return last === 0 ? s : out + s.slice(last);
  }

}

/** `textKeySensitivity` decides (and caches) a key name found in text. */
export function createPairRedaction(censor: string, textKeySensitivity: (key: string) => TextKeySensitivity): PairRedaction {
  return new PairRedactor(censor, textKeySensitivity);
}
