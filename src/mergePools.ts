/** A pool's registered statistics over the figures derived from its events, by pool name. */
export function mergePools(registered: Record<string, unknown>, fromEvents: Record<string, unknown>): Record<string, unknown> {
  // No prototype: a pool named `__proto__` stays a pool.
  const merged: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, fromEvents);
  for (const [name, stats] of Object.entries(registered)) {
    const seen = merged[name];
    merged[name] = isPlainObject(seen) && isPlainObject(stats) ? { ...seen, ...stats } : stats;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
