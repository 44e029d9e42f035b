import { IBAN_CANDIDATE_SOURCE } from './iban';
import { CARD_PATTERN_SOURCE } from './paymentCards';

/**
 * The regular expressions for secret-shaped text. Each is run only on a string whose scan
 * found its trigger (see secretText.ts), so they can afford to be exact rather than fast
 * to reject.
 */

/** Known API key and token formats, each anchored where a token starts. */
const API_KEY_FORMATS: readonly string[] = [
  'sk-(?=[A-Za-z0-9_-]*\\d)[A-Za-z0-9_-]{20,}', // OpenAI sk-…, sk-proj-…
  '[sr]k_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe secret / restricted
  'whsec_[A-Za-z0-9+/=]{24,}', // Stripe (and Svix) webhook signing secret
  'gh[pousr]_[A-Za-z0-9]{20,}', // GitHub
  'github_pat_[A-Za-z0-9_]{20,}', // GitHub fine-grained
  'glpat-[A-Za-z0-9_-]{20,}', // GitLab
  'xox[abprs]-[A-Za-z0-9-]{10,}', // Slack bot, user, … tokens
  'xapp-\\d-[A-Za-z0-9-]{10,}', // Slack app-level token
  'A(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])', // AWS access key id
  'AIza[A-Za-z0-9_-]{35}', // Google API key
  'ya29\\.[\\w-]{20,}', // Google OAuth access token
  'SG\\.[\\w-]{22}\\.[\\w-]{43}(?![\\w-])', // SendGrid
  'npm_[A-Za-z0-9]{36}', // npm
];

/** Between an AWS access key id and its secret: spaces, quotes, `,` `:` `;` `=` `|`. */
const AWS_PAIR_SEPARATOR = '[\\s"\',:;=|]{1,6}';
const AWS_KEY_ID = 'A(?:KIA|SIA)[A-Z0-9]{16}';
const AWS_SECRET = '[A-Za-z0-9/+]{40}';

/** The value-shape expressions of one redactor. */
export interface SecretPatterns {
  /** A PEM private key, to its END line or the end of the text. */
  readonly pem: RegExp;
  /** `scheme://userinfo@`, the scheme in group 1. */
  readonly urlCredentials: RegExp;
  /** `Bearer x` / `Basic x`: scheme, space, credential. */
  readonly auth: RegExp;
  /** A JWT (or JWS/JWE): `eyJ…` segments joined by dots. */
  readonly jwt: RegExp;
  /** Any of the known API key and token formats. */
  readonly apiKey: RegExp;
  /**
   * A bare 40-character AWS secret access key next to its key id, either way round: after
   * the id (id in group 1, separator in group 2), or before it.
   */
  readonly awsSecretByKeyId: RegExp;
  /** The secret path of a Slack incoming webhook or workflow trigger; group 1 is what stays. */
  readonly slackWebhook: RegExp;
  /** An email address, tried (sticky) where its local part starts. */
  readonly email: RegExp;
  /** A card number (digits first) or an IBAN candidate (letters first), in one pass. */
  readonly cardOrIban: RegExp;
  /** A card number alone, for the groups of a candidate that turned out not to be an IBAN. */
  readonly card: RegExp;
}

/** Compiles the expressions once, for one redactor. */
export function createSecretPatterns(): SecretPatterns {
  return {
    pem: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    // Userinfo may itself hold a raw `@`, so up to the last `@` before the host.
    urlCredentials: /\b([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s/?#"'<>]+@/g,
    auth: /\b(bearer|basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*)/gi,
    // Starting only where a base64url run starts keeps `eyJeyJeyJ…` linear.
    jwt: /(?<![\w-])eyJ[\w-]{2,}\.[\w-]+(?:\.[\w-]*){0,3}/g,
    // Only where a token starts, so that `sk-sk-sk-…` stays linear.
    apiKey: new RegExp(`(?<![\\w-])(?:${API_KEY_FORMATS.join('|')})`, 'g'),
    awsSecretByKeyId: new RegExp(
      `(?<![A-Za-z0-9])(${AWS_KEY_ID})(${AWS_PAIR_SEPARATOR})${AWS_SECRET}(?![A-Za-z0-9/+=])` +
        `|(?<![A-Za-z0-9/+])${AWS_SECRET}(?=${AWS_PAIR_SEPARATOR}${AWS_KEY_ID}(?![A-Za-z0-9]))`,
      'g',
    ),
    slackWebhook: /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[\w/-]+/g,
    email: /[\w.%+-]{1,64}(?:@|%40)(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/y,
    // One pass for both costs less than two on the many strings with 8 digits in a row (uuids).
    cardOrIban: new RegExp(`${CARD_PATTERN_SOURCE}|${IBAN_CANDIDATE_SOURCE}`, 'g'),
    card: new RegExp(CARD_PATTERN_SOURCE, 'g'),
  };
}
