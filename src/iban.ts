/**
 * IBANs (ISO 13616) in text, compact (`DE89370400440532013000`) or in groups of four
 * (`DE89 3704 0044 0532 0130 00`). A candidate counts only with a registered country code,
 * that country's length and a valid ISO 7064 mod-97 check, so order numbers and
 * IBAN-looking codes that fail the check stay.
 */

/** Length of an IBAN per country, from the SWIFT IBAN registry. */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/**
 * Country, check digits, then 11-30 more characters, compact or grouped by four: where an
 * IBAN can be, to be confirmed by ibanLengthAt.
 */
export const IBAN_CANDIDATE_SOURCE =
  '(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)(?![A-Za-z0-9])';

/** ISO 7064 mod-97-10 over a compact IBAN: the first four characters moved to the end, letters as 10-35. */
function mod97Valid(compact: string): boolean {
  let remainder = 0;
  const n = compact.length;
  for (let k = 0; k < n; k++) {
    const c = compact.charCodeAt((k + 4) % n);
    remainder = c <= 57 ? (remainder * 10 + (c - 48)) % 97 : (remainder * 100 + (c - 55)) % 97;
  }
  return remainder === 1;
}

/**
 * How many characters at the start of an IBAN candidate are a valid IBAN, 0 when none. A
 * grouped candidate longer than its country's IBAN (one more group of four follows it) is
 * tried at that length.
 */
export function ibanLengthAt(candidate: string): number {
  const length = IBAN_LENGTHS[candidate.slice(0, 2)];
  if (length === undefined) return 0;
  const compact = candidate.includes(' ') ? candidate.replace(/ /g, '') : candidate;
  if (compact.length === length) return mod97Valid(compact) ? candidate.length : 0;
  if (compact.length < length || compact === candidate) return 0;
  const end = length + Math.floor((length - 1) / 4);
  return candidate.charCodeAt(end) === 32 && mod97Valid(compact.slice(0, length)) ? end : 0;
}
