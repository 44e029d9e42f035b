/**
 * Decides once per trace whether its info lines are kept. The decision comes from the
 * trace id's last 8 hex digits (random in W3C ids), so every service that samples at the
 * same rate keeps or drops the same traces.
 */
export function isTraceSampled(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  if (traceId.length < 8) return true;
  const bucket = Number.parseInt(traceId.slice(-8), 16);
  if (Number.isNaN(bucket)) return true;
  return bucket < rate * 0x1_0000_0000;
}
