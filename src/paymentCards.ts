/**
 * Payment card numbers (PANs) in text: 13-19 digits starting 2-6 (all card networks in
 * use) that pass the Luhn check.
 */

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
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    digits++;
    double = !double;
  }
  return digits >= 13 && digits <= 19 && sum % 10 === 0;
}
