import { keepsNumbers, normaliseKey } from './sensitiveKeys';

/** Distinct key names whose decision is remembered (oldest forgotten first). */
const KEY_CACHE_LIMIT = 2048;
/** Longer key names are decided every time rather than kept in the cache. */
const KEY_CACHE_MAX_KEY_LENGTH = 200;
/** Keys found in text shorter than this are cached (see isSensitiveTextKey). */
const CACHED_TEXT_KEY_LENGTH = 13;

/** What a redactor knows about one key name. */
export interface KeyInfo {
  readonly sensitive: boolean;
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
  isSensitiveTextKey(key: string): boolean;
}

/** The cache of one redactor, deciding unknown keys with `decideKey`. */
export function createKeyDecisionCache(decideKey: (key: string) => boolean): KeyDecisionCache {
  const cache = new Map<string, KeyInfo>();

  function info(key: string): KeyInfo {
    let known = cache.get(key);
    if (known === undefined) {
      const sensitive = decideKey(key);
      known = { sensitive, keepsNumbers: sensitive && keepsNumbers(normaliseKey(key)), name: undefined, member: undefined };
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

  function isSensitiveTextKey(key: string): boolean {
    const known = cache.get(key);
    if (known !== undefined) return known.sensitive;
    return key.length < CACHED_TEXT_KEY_LENGTH ? info(key).sensitive : decideKey(key);
  }

  return { info, isSensitiveTextKey };
}
