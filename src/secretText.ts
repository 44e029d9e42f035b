import { ibanLengthAt } from './iban';
import type { TextKeySensitivity } from './keyDecisionCache';
import { isCardNumber } from './paymentCards';
import { createSecretPatterns } from './secretPatterns';
import { createPairRedaction, encodedEqualsLength, isKeyChar, type PairRedaction } from './textPairs';

/**
 * Redaction of secret-shaped substrings in any string: bearer and basic credentials, JWTs,
 * API keys, AWS secrets next to their key id, emails, card numbers, IBANs, URL credentials,
 * Slack webhook URLs, `key=value` pairs with a sensitive key (also URL-encoded), PEM
 * private keys.
 *
 * It runs on every string of every line, so a string first goes through two native regex
 * searches for the few characters some secret shape needs (`= : @ % _ - J`, `be`/`ba`,
 * `AK`/`AS`/`AI`, `ya29.`, `SG.`, and 4+4 digits for cards and IBANs). Only a string that
 * has one is scanned from there, and only the passes whose trigger that scan confirms run.
 */

// Flags set by the one-pass scan of a string; each one enables one value-shape pass.
const F_PAIR = 1; // `key=value` / `key: value` with a sensitive key
const F_AT = 2; // `@` or `%40` (emails, URL credentials)
const F_URL = 4; // `://`
const F_PEM = 8; // `-----BEGIN`
const F_API = 16; // the start of a known API key format
const F_JWT = 32; // `eyJ`
const F_AUTH = 64; // `Bearer ` / `Basic `, any case
const F_DIGITS = 128; // 4 digits, maybe a space or dash, 4 digits (cards, IBANs)
const F_ENCODED_PAIR = 256; // `key%3D` / `key%253D` with a sensitive key
const F_AWS_KEY_ID = 512; // `AKIA` / `ASIA`

/** 1 for the ASCII characters the scan has a case for (where a secret shape can be told). */
const SCANNED_CHARACTERS = new Uint8Array(128);
for (const c of '-:=@%_AJBbSy') SCANNED_CHARACTERS[c.charCodeAt(0)] = 1;

/** No secret shape fits in fewer characters (`pwd=x`). */
const MIN_SECRET_LENGTH = 5;
/** Shortest string with a card number or an IBAN in it. */
const MIN_DIGITS_LENGTH = 13;

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

/**
 * What starts at an `A`, `S` or `y`: an AWS key id (`AKIA`, `ASIA`), a Google key (`AIza`,
 * `ya29.`), a SendGrid key (`SG.`), or none. Looked for at these letters rather than at
 * every `.`, which is far more common in log text (versions, hosts, addresses).
 */
function shapeAtLetter(s: string, i: number, letter: number): number {
  if (letter === 83) return s.charCodeAt(i + 1) === 71 && s.charCodeAt(i + 2) === 46 ? F_API : 0;
  if (letter === 121) return s.charCodeAt(i + 1) === 97 && s.startsWith('29.', i + 2) ? F_API : 0;
  const c1 = s.charCodeAt(i + 1);
  const c2 = s.charCodeAt(i + 2);
  const c3 = s.charCodeAt(i + 3);
  if (c1 === 75 || c1 === 83) return c2 === 73 && c3 === 65 ? F_API | F_AWS_KEY_ID : 0;
  return c1 === 73 && c2 === 122 && c3 === 97 ? F_API : 0;
}

/** A known API key prefix ends with the `-` or `_` at `i`: sk- glpat- xox?- xapp- sk_ rk_ gh?_ npm_ github_ whsec_. */
function apiKeyPrefixEndsAt(s: string, i: number): boolean {
  const p1 = s.charCodeAt(i - 1);
  const p2 = s.charCodeAt(i - 2);
  if (s.charCodeAt(i) === 45) {
    if (p1 === 107) return p2 === 115; // sk-
    if (p1 === 116) return i >= 5 && s.startsWith('glpat', i - 5);
    return i >= 4 && (s.startsWith('xox', i - 4) || s.startsWith('xapp', i - 4));
  }
  if (p1 === 107) return p2 === 115 || p2 === 114; // sk_ rk_
  if (p2 === 104) return s.charCodeAt(i - 3) === 103; // gh?_
  if (p1 === 109) return i >= 3 && s.startsWith('npm', i - 3);
  if (p1 === 98) return i >= 6 && s.startsWith('github', i - 6);
  if (p1 === 99) return i >= 5 && s.startsWith('whsec', i - 5);
  return false;
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

/** One pass over the characters from the first trigger: which value shapes can be present. */
function scan(s: string, from: number, pairs: PairRedaction): number {
  const n = s.length;
  let flags = 0;
  let prev = from > 0 ? s.charCodeAt(from - 1) : 0;
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    // One table load passes over most characters, cheaper than the switch's compares.
    if (c < 128 && SCANNED_CHARACTERS[c] === 1) {
      switch (c) {
        case 45: // -
          if (apiKeyPrefixEndsAt(s, i)) flags |= F_API;
          else if (s.charCodeAt(i + 1) === 45 && s.startsWith('-----BEGIN', i)) flags |= F_PEM;
          break;
        case 58: // :
          if (s.charCodeAt(i + 1) === 47 && s.charCodeAt(i + 2) === 47) flags |= F_URL;
          if ((flags & F_PAIR) === 0 && isKeyTail(prev) && pairs.sensitiveKeyBefore(s, i)) flags |= F_PAIR;
          break;
        case 61: // =
          if ((flags & F_PAIR) === 0 && isKeyTail(prev) && pairs.sensitiveKeyBefore(s, i)) flags |= F_PAIR;
          break;
        case 64: // @
          flags |= F_AT;
          break;
        case 37: // %40, %3D, %253D
          if (s.charCodeAt(i + 1) === 52 && s.charCodeAt(i + 2) === 48) flags |= F_AT;
          else if ((flags & F_ENCODED_PAIR) === 0 && encodedEqualsLength(s, i) > 0 && pairs.sensitiveEncodedKeyBefore(s, i)) {
            flags |= F_ENCODED_PAIR;
          }
          break;
        case 95: // _
          if (apiKeyPrefixEndsAt(s, i)) flags |= F_API;
          break;
        case 65: // A
        case 83: // S
        case 121: // y
          flags |= shapeAtLetter(s, i, c);
          break;
        case 74: // J of eyJ
          if (prev === 121 && s.charCodeAt(i - 2) === 101) flags |= F_JWT;
          break;
        case 66: // B
        case 98: // b
          if (authSchemeAt(s, i)) flags |= F_AUTH;
          break;
      }
    }
    prev = c;
  }
  return flags;
}

/** Censors every email address in `s`; `emailRe` is the sticky email pattern. */
function redactEmails(s: string, emailRe: RegExp, censor: string): string {
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

/** A redactor of strings; `textKeySensitivity` decides (and caches) a key name found in text. */
export function createStringRedaction(
  censor: string,
  textKeySensitivity: (key: string) => TextKeySensitivity,
): (text: string) => string {
  // `$` in the censor must stay literal in String.prototype.replace replacement patterns.
  const censorPattern = censor.replace(/\$/g, '$$$$');
  const patterns = createSecretPatterns();
  const pairs = createPairRedaction(censor, textKeySensitivity);
  // Every shape needs one of these, except card numbers and IBANs, which need `digitsRe`
  // (non-global: `search` and `test` leave no state behind).
  const triggerRe = /[=:@%_\-J]|[Bb][EeAa]|A[KSI]|ya29\.|SG\./;
  const digitsRe = /\d{4}[ -]?\d{4}/;

  function replaceAuth(match: string, scheme: string, space: string, token: string, offset: number, text: string): string {
    // Bearer (6 letters) always; Basic only where it is clearly a credential.
    if (scheme.length === 6 || headerContext(text, offset, match.length) || looksBase64(token)) return scheme + space + censor;
    return match;
  }

  function replaceCard(match: string): string {
    return isCardNumber(match) ? censor : match;
  }

  function replaceCardOrIban(match: string): string {
    const c = match.charCodeAt(0);
    if (c <= 57) return isCardNumber(match) ? censor : match;
    const iban = ibanLengthAt(match);
    if (iban > 0) return censor + match.slice(iban);
    // Not an IBAN after all: a card number may still be among its groups.
    return match.replace(patterns.card, replaceCard);
  }

  function replaceAwsSecret(_match: string, keyId: string | undefined, separator: string | undefined): string {
    return keyId === undefined ? censor : keyId + (separator ?? '') + censor;
  }

  /** Runs the passes of the shapes `flags` says can be present. */
  function redactShapes(s: string, flags: number): string {
    let r = s;
    if ((flags & F_PEM) !== 0) r = r.replace(patterns.pem, censorPattern);
    if ((flags & F_URL) !== 0) {
      if ((flags & F_AT) !== 0) r = r.replace(patterns.urlCredentials, '$1' + censorPattern + '@');
      if (r.includes('hooks.slack.com/')) r = r.replace(patterns.slackWebhook, '$1' + censorPattern);
    }
    if ((flags & F_PAIR) !== 0) r = pairs.redactPairs(r);
    if ((flags & F_ENCODED_PAIR) !== 0) r = pairs.redactEncodedPairs(r);
    if ((flags & F_AUTH) !== 0) r = r.replace(patterns.auth, replaceAuth);
    if ((flags & F_JWT) !== 0) r = r.replace(patterns.jwt, censorPattern);
    // Before the key id itself is censored, which would leave its secret nothing to sit next to.
    if ((flags & F_AWS_KEY_ID) !== 0) r = r.replace(patterns.awsSecretByKeyId, replaceAwsSecret);
    if ((flags & F_API) !== 0) r = r.replace(patterns.apiKey, censorPattern);
    if ((flags & F_AT) !== 0) r = redactEmails(r, patterns.email, censor);
    if ((flags & F_DIGITS) !== 0) r = r.replace(patterns.cardOrIban, replaceCardOrIban);
    return r;
  }

  // Kept small so that it is inlined where strings are redacted: most strings end here.
  return function redactString(s: string): string {
    const n = s.length;
    if (n < MIN_SECRET_LENGTH) return s;
    // Most strings hold none of the characters a secret shape needs, found by one native
    // regex search; otherwise the characters from the first one on are looked at.
    const first = s.search(triggerRe);
    let flags = first < 0 ? 0 : scan(s, first, pairs);
    if (n >= MIN_DIGITS_LENGTH && digitsRe.test(s)) flags |= F_DIGITS;
    return flags === 0 ? s : redactShapes(s, flags);
  };
}
