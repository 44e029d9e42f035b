import { rangeText, signedMs, type Range } from './stats';

/** How the streams bench writes its figures, in RESULTS.md and on the console. */

/** `–` for a figure that was not measured (NaN) or has no finite value. */
export const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');
export const r0 = (range: Range): string => rangeText(range, (v) => fixed(v, 0));
export const r1 = (range: Range): string => rangeText(range, (v) => fixed(v, 1));
export const r2 = (range: Range): string => rangeText(range, (v) => fixed(v, 2));
export const signed = (range: Range): string => (Number.isFinite(range.median) ? signedMs(range.median) : '–');

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function failuresText(failures: Record<string, number>): string {
  const entries = Object.entries(failures);
  return entries.length === 0 ? '0' : entries.map(([what, n]) => `${n} ${what}`).join(', ');
}
