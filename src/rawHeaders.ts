/**
 * Node's `rawHeaders` (`req.rawHeaders`, `res.rawHeaders` of a client response): one flat
 * array of names and values, `['Host', 'x', 'Cookie', 'sid=1', …]`, in which a secret
 * value sits under no key. Redaction censors the value after each sensitive name.
 */

/** An RFC 9110 field name (a token), or an HTTP/2 pseudo-header such as `:authority`. */
const HEADER_NAME = /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/**
 * True when the first `limit` entries of an array pair up as header names and string
 * values, and the array has an even length. A list of plain words can pass (`['password',
 * 'reset']`), which costs only the word after a sensitive one.
 */
export function looksLikeRawHeaders(list: readonly unknown[], limit: number): boolean {
  const n = list.length;
  if (n < 2 || n % 2 !== 0) return false;
  for (let i = 0; i < limit && i < n; i += 2) {
    const name = list[i];
    if (typeof name !== 'string' || typeof list[i + 1] !== 'string' || !HEADER_NAME.test(name)) return false;
  }
  return true;
}
