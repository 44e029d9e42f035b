import { BASELINE, beforeOf, isSightlineVariant, VARIANT_NAMES, type BaseVariantName, type VariantName } from './variants';

export interface BenchSettings {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly variants: readonly VariantName[];
  /** A commit whose build runs each chosen sightline variant again, as `<variant>@before`. */
  readonly before: string | undefined;
  readonly connections: number;
  readonly pipelining: number;
  readonly serverCore: number;
  readonly loadCore: number;
}

export const SETTING_VARIABLES = [
  'BENCH_ROUNDS',
  'BENCH_SECONDS',
  'BENCH_WARMUP_SECONDS',
  'BENCH_VARIANTS',
  'BENCH_CONNECTIONS',
  'BENCH_BEFORE',
] as const;

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const before = env.BENCH_BEFORE?.trim() === '' ? undefined : env.BENCH_BEFORE?.trim();
  return {
    rounds: positiveNumber(env, 'BENCH_ROUNDS', 3, { integer: true, min: 3 }),
    seconds: positiveNumber(env, 'BENCH_SECONDS', 5, { integer: true, min: 1 }),
    warmupSeconds: positiveNumber(env, 'BENCH_WARMUP_SECONDS', 2, { integer: true, min: 0 }),
    variants: withBefore(variantList(env.BENCH_VARIANTS), before),
    before,
    connections: positiveNumber(env, 'BENCH_CONNECTIONS', 32, { integer: true, min: 1 }),
    pipelining: 1,
    serverCore: 0,
    loadCore: 1,
  };
}

function positiveNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  rule: { readonly integer: boolean; readonly min: number },
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min) {
    throw new Error(`${name} must be ${rule.integer ? 'an integer' : 'a number'} >= ${rule.min}, got ${raw}`);
  }
  return value;
}

/** Each sightline variant right after its own, so a round measures the two builds side by side. */
function withBefore(variants: readonly BaseVariantName[], before: string | undefined): readonly VariantName[] {
  if (before === undefined) return variants;
  return variants.flatMap((name) => (isSightlineVariant(name) ? [name, beforeOf(name)] : [name]));
}

/** The baseline is always measured: every ratio is to its median from the same run. */
function variantList(raw: string | undefined): readonly BaseVariantName[] {
  if (raw === undefined || raw.trim() === '') return VARIANT_NAMES;
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(VARIANT_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`BENCH_VARIANTS: unknown ${unknown.join(', ')}; known: ${VARIANT_NAMES.join(', ')}`);
  }
  const chosen = new Set<string>([BASELINE, ...names]);
  return VARIANT_NAMES.filter((name) => chosen.has(name));
}
