/**
 * Payment card numbers (PANs), in text and as JS numbers: 13-19 digits starting 2-6 (all
 * card networks in use) that pass the Luhn check. A 13-digit number must start with 4,
 * the only network that issued 13-digit cards, so that millisecond timestamps (13 digits,
 * starting 2 from 2033) are not taken for cards.
 */

/** Smallest number that can be a card: 13 digits starting with 4. */
export const SMALLEST_CARD_NUMBER = 4e12;
const SMALLEST_CARD_BIGINT = 4_000_000_000_000n;

/**
 * Plain or grouped 4-4-4-4(-3) / 4-6-5(4). The digits before and after must not run on
 * (`0.4111…` is a fraction, not a card).
 */
export const CARD_PATTERN_SOURCE =
  '(?<![0-9A-Za-z.])[2-6]\\d{3}(?:\\d{9,15}|( |-)\\d{4}\\1\\d{4}\\1\\d{1,4}(?:\\1\\d{3})?|( |-)\\d{6}\\2\\d{4,5})(?![0-9A-Za-z]|\\.\\d)';

/** Luhn check over the digits of `text` (other characters are skipped); also checks the digit count. */
export function isCardNumber(text: string): boolean {
  let sum = 0;
  let digits = 0;
  let double = false;
  let first = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    first = d;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    digits++;
    double = !double;
  }
  if (digits === 13 && first !== 4) return false;
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}

/** A number or bigint logged as such (`card: 4111111111111111`) that is a card number. */
export function isCardNumberValue(value: number | bigint): boolean {
  if (typeof value === 'number' ? !(value >= SMALLEST_CARD_NUMBER) || !Number.isInteger(value) : value < SMALLEST_CARD_BIGINT) {
    return false;
  }
  const text = value.toString();
  const first = text.charCodeAt(0);
  return text.length <= 19 && first >= 50 && first <= 54 && isCardNumber(text);
}
