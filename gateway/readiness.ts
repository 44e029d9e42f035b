import { httpProbe, type HealthProbe, type ObservabilityHealth, type ProbeOutcome } from '../middleware';
import type { Competitors } from './competitors';

export interface ReadinessOptions {
  readonly health: Pick<ObservabilityHealth, 'register' | 'unregister'>;
  readonly competitors: Competitors;
  /** A competitor's health is asked at most this often. Default 1000. */
  readonly intervalMs?: number;
  /** Each competitor probe fails after this long. Default 1000 (it must fit sightline's readiness deadline). */
  readonly timeoutMs?: number;
  /** Replaces `httpProbe(<url>/health/ready)`, for tests. */
  readonly probeOf?: (url: URL) => HealthProbe;
}

/** Check names: sightline allows no `:` in them (they become `<name>:responseTime` keys). */
export const COMPETITOR_CHECK_PREFIX = 'competitor.';
export const COMPETITORS_CHECK = 'competitors';

/**
 * Registers `competitor.<id>` (non-critical: one competitor down only warns) for each
 * competitor and the critical `competitors`, passing while at least one is healthy. Both
 * read one shared probe per competitor, so a readiness request asks each competitor once.
 * Returns the function that unregisters them.
 */
export function registerReadiness(options: ReadinessOptions): () => void {
  const { health, competitors, intervalMs = 1000, timeoutMs = 1000, probeOf = (url: URL) => httpProbe(url) } = options;
  for (const [name, value] of Object.entries({ intervalMs, timeoutMs })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`readiness: ${name} must be a number of milliseconds above 0, got ${JSON.stringify(value)}`);
    }
  }
  const probes = competitors.list().map((competitor) => {
    const url = new URL(competitor.url.href);
    url.pathname = competitor.healthPath;
    return { id: competitor.id, run: sharedProbe(probeOf(url), intervalMs, timeoutMs) };
  });
  const names: string[] = [];
  for (const { id, run } of probes) {
    const name = COMPETITOR_CHECK_PREFIX + id;
    health.register(name, () => run(), { critical: false, timeoutMs });
    names.push(name);
  }
  health.register(
    COMPETITORS_CHECK,
    // Passes as soon as one competitor answers healthy: a hanging one must not time the check out.
    () =>
      new Promise<ProbeOutcome>((resolve) => {
        const healthy: string[] = [];
        let pending = probes.length;
        for (const { id, run } of probes) {
          void run().then((outcome) => {
            pending -= 1;
            if (outcome.ok) healthy.push(id);
            if (healthy.length === 1 && outcome.ok) {
              resolve({ ok: true, observed: healthy.length, message: `healthy: ${healthy.join(', ')}` });
            } else if (pending === 0 && healthy.length === 0) {
              resolve({ ok: false, observed: 0, message: `none of ${probes.length} competitors is healthy` });
            }
          });
        }
      }),
    { critical: true, timeoutMs },
  );
  names.push(COMPETITORS_CHECK);
  return () => {
    for (const name of names) health.unregister(name);
  };
}

/** One probe run shared by every caller while it is in flight, and its result reused for `intervalMs`. */
function sharedProbe(probe: HealthProbe, intervalMs: number, timeoutMs: number): () => Promise<ProbeOutcome> {
  let inFlight: Promise<ProbeOutcome> | undefined;
  let last: { readonly at: number; readonly outcome: ProbeOutcome } | undefined;
  return function runShared() {
    if (inFlight !== undefined) return inFlight;
    if (last !== undefined && Date.now() - last.at < intervalMs) return Promise.resolve(last.outcome);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    inFlight = probe(controller.signal)
      .then(normalise, (error: unknown) => ({ ok: false, message: error instanceof Error ? error.message : String(error) }))
      .then((outcome) => {
        clearTimeout(timer);
        last = { at: Date.now(), outcome };
        inFlight = undefined;
        return outcome;
      });
    return inFlight;
  };
}

function normalise(value: ProbeOutcome | boolean | void): ProbeOutcome {
  if (value === undefined || value === true) return { ok: true };
  if (value === false) return { ok: false, message: 'probe reported failure' };
  return value;
}
