/** Three decimals: microseconds for a figure in milliseconds, milliseconds for one in seconds. */
export function roundToThousandths(value: number): number {
  return Math.round(value * 1000) / 1000;
}
