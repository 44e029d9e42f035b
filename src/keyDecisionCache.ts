import { isSensitiveQueryParameter, keepsNumbers, normaliseKey } from './sensitiveKeys';

/** Distinct key names whose decision is remembered (oldest forgotten first). */
const KEY_CACHE_LIMIT = 2048;
/** Longer key names are decided every time rather than kept in the cache. */
const KEY_CACHE_MAX_KEY_LENGTH = 200;
/** Keys found in text shorter than this are cached (see isSensitiveTextKey). */
const CACHED_TEXT_KEY_LENGTH = 13;

/**
 * How a key written in text (`key=value`, `key: value`) is treated: `asParameter` keys are
 * sensitive only as query or form parameters (`?key=…`).
 */
export type TextKeySensitivity = 'none' | 'always' | 'asParameter';

/** What a redactor knows about one key name. */
export interface KeyInfo {
  readonly sensitive: boolean;
  readonly inText: TextKeySensitivity;
  /** A sensitive key whose number values are counts, kept (`tokens: 42`). */
  readonly keepsNumbers: boolean;
  /** The key as written in output (itself redacted as a string), computed on first use. */
  name: string | undefined;
  /** `"name":`, computed on first use. */
  member: string | undefined;
}

/** One redactor's remembered key decisions, bounded in number and key length. */
export interface KeyDecisionCache {
  /** The decision for a key of an object, a Map or a rawHeaders list, remembered. */
  info(key: string): KeyInfo;
  /**
   * For a key found in free text. Only short ones are remembered: a longer substring can
   * be a slice that keeps its whole (maybe large) parent string alive.
   */
  textKeySensitivity(key: string): TextKeySensitivity;
}

/** The cache of one redactor, deciding unknown keys with `decideKey`. */
export function createKeyDecisionCache(decideKey: (key: string) => boolean): KeyDecisionCache {
  const cache = new Map<string, KeyInfo>();

  function info(key: string): KeyInfo {
    let known = cache.get(key);
    if (known === undefined) {
      const sensitive = decideKey(key);
      known = {
        sensitive,
        inText: sensitive ? 'always' : isSensitiveQueryParameter(key) ? 'asParameter' : 'none',
        keepsNumbers: sensitive && keepsNumbers(normaliseKey(key)),
        name: undefined,
        member: undefined,
      };
      if (key.length <= KEY_CACHE_MAX_KEY_LENGTH) {
        if (cache.size >= KEY_CACHE_LIMIT) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(key, known);
      }
    }
    return known;
  }

  function textKeySensitivity(key: string): TextKeySensitivity {
    const known = cache.get(key);
    if (known !== undefined) return known.inText;
    if (key.length < CACHED_TEXT_KEY_LENGTH) return info(key).inText;
    return decideKey(key) ? 'always' : 'none'; // longer than any parameter-only name
  }

  return { info, textKeySensitivity };
}
