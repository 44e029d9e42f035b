/**
 * The variants by name. Nothing here loads Express: the server process reads this before it
 * decides whether to patch modules for OpenTelemetry, which has to happen before Express is
 * required (the apps themselves are in ./apps).
 */
export const VARIANT_NAMES = [
  'bare',
  'sightline-rate1',
  'sightline-rate0.1',
  'sightline-tracing',
  'sightline-disabled',
  'sightline-ids',
  'sightline-nometrics',
  'sightline-nologs',
  'pino-http',
  'prom-bundle',
  'sightline-cls',
  'opentelemetry',
] as const;

/** One of the variants above, as built from this checkout. */
export type BaseVariantName = (typeof VARIANT_NAMES)[number];

/** The variants that run sightline, and so can also run on the build of an earlier commit. */
export type SightlineVariant = Extract<BaseVariantName, `sightline-${string}`>;

/** Marks a sightline variant run on the build of the commit named by `BENCH_BEFORE`. */
export const BEFORE_SUFFIX = '@before';

export type VariantName = BaseVariantName | `${SightlineVariant}${typeof BEFORE_SUFFIX}`;

export const BASELINE: VariantName = 'bare';

export const ROUTE_PATH = '/v1/items/42';

/** A sightline variant of this checkout (not its `@before` twin). */
export function isSightlineVariant(name: VariantName): name is SightlineVariant {
  return name.startsWith('sightline-') && !name.endsWith(BEFORE_SUFFIX);
}

export function isVariantName(value: string): value is VariantName {
  const base = value.endsWith(BEFORE_SUFFIX) ? value.slice(0, -BEFORE_SUFFIX.length) : value;
  if (!(VARIANT_NAMES as readonly string[]).includes(base)) return false;
  return base === value || base.startsWith('sightline-');
}

/** `sightline-rate1@before` → `sightline-rate1`; a variant of this checkout is its own base. */
export function baseOf(variant: VariantName): BaseVariantName {
  return (variant.endsWith(BEFORE_SUFFIX) ? variant.slice(0, -BEFORE_SUFFIX.length) : variant) as BaseVariantName;
}

export function isBefore(variant: VariantName): boolean {
  return variant.endsWith(BEFORE_SUFFIX);
}

export function beforeOf(variant: SightlineVariant): VariantName {
  return `${variant}${BEFORE_SUFFIX}`;
}

/** Variants whose server process patches `http` and Express for OpenTelemetry before loading Express. */
export function isTraced(variant: VariantName): boolean {
  const base = baseOf(variant);
  return base === 'sightline-tracing' || base === 'opentelemetry';
}
