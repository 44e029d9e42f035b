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

export type VariantName = (typeof VARIANT_NAMES)[number];

export const BASELINE: VariantName = 'bare';

export const ROUTE_PATH = '/v1/items/42';

export function isVariantName(value: string): value is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(value);
}

/** Variants whose server process patches `http` and Express for OpenTelemetry before loading Express. */
export function isTraced(variant: VariantName): boolean {
  return variant === 'sightline-tracing' || variant === 'opentelemetry';
}
