/**
 * Which key names hold a credential, so that their whole value is censored.
 *
 * Keys are compared in their normalised form (see normaliseKey), so `api_key`, `apiKey`,
 * `API-KEY` and `api.key` are one name.
 */

/** A word anywhere in a normalised key makes it sensitive (`user_password`, `clientSecret`). */
const SENSITIVE_PART =
  /password|passwd|passphrase|secret|apikey|authorization|cookie|credential|privatekey|sessionid|sessid|jwt/;

/** Endings that make a key sensitive (`x-auth-token`, `awsAccessKey`, `stripe-signature`, `totp`). */
const SENSITIVE_ENDINGS: readonly string[] = ['token', 'accesskey', 'signature', 'otp'];

/** Exact names: too short or too common as parts of other words to match anywhere. */
const SENSITIVE_NAMES: ReadonlySet<string> = new Set(['pwd', 'auth', 'session', 'bearer', 'otpcode', 'accountkey']);

/**
 * Plural token keys. Unlike `prompt_tokens` and the other usage counts, which stay, these
 * hold the credentials an OAuth response or a session store hands out; a number under one
 * of them is a count and stays too (see keepsNumbers).
 */
const TOKEN_LISTS: ReadonlySet<string> = new Set([
  'tokens',
  'accesstokens',
  'refreshtokens',
  'idtokens',
  'authtokens',
  'apitokens',
]);

/**
 * Sensitive only as URL query or form parameters (`?key=…`, `&pass=…`, a SAS `&sig=…`):
 * as object keys or in prose (`key: value`) these are everyday words.
 */
const QUERY_PARAMETER_NAMES: readonly string[] = ['key', 'pass', 'sig'];

/** Lower case, with `-`, `_`, `.` and whitespace removed. */
export function normaliseKey(key: string): string {
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

/** True when a normalised key is one of sightline's own sensitive names. */
function isBuiltInSensitiveKey(normalised: string): boolean {
  for (const ending of SENSITIVE_ENDINGS) if (normalised.endsWith(ending)) return true;
  return SENSITIVE_NAMES.has(normalised) || TOKEN_LISTS.has(normalised) || SENSITIVE_PART.test(normalised);
}

/** True when a normalised sensitive key still lets numbers through: `tokens: 42` is a count. */
export function keepsNumbers(normalised: string): boolean {
  return TOKEN_LISTS.has(normalised);
}

/** True when a key written before `=` in a query string or form body is sensitive there. */
export function isSensitiveQueryParameter(key: string): boolean {
  if (key.length > 4) return false;
  for (const name of QUERY_PARAMETER_NAMES) if (equalsIgnoringCase(key, name)) return true;
  return false;
}

/** `key` spells the lower-case ASCII word `lower`, in any case; no string is made (this runs per `=` in a URL). */
function equalsIgnoringCase(key: string, lower: string): boolean {
  if (key.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((key.charCodeAt(i) | 32) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Decides a key from the built-in names and the user's extra keys: strings compared in
 * normalised form, RegExps tested against the key as written (`g`/`y` flags dropped so a
 * test never depends on the previous one).
 */
export function createKeyDecision(extraKeys: readonly (string | RegExp)[]): (key: string) => boolean {
  const extraExact = new Set<string>();
  const extraPatterns: RegExp[] = [];
  for (const key of extraKeys) {
    if (typeof key === 'string') {
      const normalised = normaliseKey(key);
      if (normalised !== '') extraExact.add(normalised);
    } else if (key instanceof RegExp) {
      extraPatterns.push(new RegExp(key.source, key.flags.replace(/[gy]/g, '')));
    } else {
      throw new TypeError('redaction option extraKeys must hold strings and RegExps');
    }
  }
  return function isSensitive(key: string): boolean {
    const normalised = normaliseKey(key);
    if (isBuiltInSensitiveKey(normalised) || extraExact.has(normalised)) return true;
    for (const pattern of extraPatterns) if (pattern.test(key)) return true;
    return false;
  };
}
