import { keepsNumbers, normaliseKey } from './sensitiveKeys';

/**
 * `key=value` and `key: value` pairs written in free text (messages, URLs, form bodies,
 * JSON or util.inspect output, headers): the value of a sensitive key is censored.
 */
export interface PairRedaction {
  /** Censors the value of every sensitive `key=value` / `key: value` pair. */
  redactPairs(text: string): string;
  /** The key written just before the `=` / `:` at `separator` (quotes allowed) is sensitive. */
  sensitiveKeyBefore(text: string, separator: number): boolean;
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

/** A number or a list of numbers written as text (`42`, `[1,2,3]}`): a count, not a credential. */
function isCountText(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 44 || c === 46 || c === 91 || c === 93 || c === 125)) return false;
  }
  return true;
}

/** `isSensitiveTextKey` decides (and caches) a key name found in text. */
export function createPairRedaction(censor: string, isSensitiveTextKey: (key: string) => boolean): PairRedaction {
  // key=value / key: value, with the key optionally quoted (JSON, util.inspect, escaped JSON).
  const pairRe = /(?<![\w.-])(\w[\w.-]{0,63})\\?["']?[ \t]*([=:])[ \t]*/g;
  const schemeRe = /(?:bearer|basic|token|digest|negotiate)[ \t]+/iy;

  function redactPairs(s: string): string {
    const n = s.length;
    let out = '';
    let last = 0;
    pairRe.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = pairRe.exec(s)) !== null) {
      const key = m[1] as string;
      const separator = m[2] as string;
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

  function sensitiveKeyBefore(s: string, separator: number): boolean {
    let end = separator;
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

  return { redactPairs, sensitiveKeyBefore };
}
