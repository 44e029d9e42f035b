import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LogStats } from './logStats';
import {
  EXCLUDED_DEFAULT_METRICS,
  METRIC_CATALOGUE,
  type CatalogueKey,
  type MetricDefinition,
  type MetricType,
} from './metricCatalogue';

/** A metric of the service's own, for `metrics.counter()` and `metrics.gauge()`. */
export interface MetricSpec<L extends string> {
  /**
   * The full Prometheus name (`orders_placed_total`): the instance's prefix is not added, so
   * prepend `metrics.prefix` to follow it. An invalid name throws.
   */
  readonly name: string;
  /** The `# HELP` text of the exposition. */
  readonly help: string;
  /** The labels its series carry. Default none. Keep their values bounded: never raw paths or ids. */
  readonly labelNames?: readonly L[];
}

/** A histogram of the service's own, for `metrics.histogram()`. */
export interface HistogramSpec<L extends string> extends MetricSpec<L> {
  /** Upper bounds of the buckets, finite and strictly ascending. Default prom-client's, 0.005 to 10 (seconds). */
  readonly buckets?: readonly number[];
}

/** The catalogue keys of sightline's histograms, whose buckets `MetricsOptions.buckets` may set. */
export type HistogramKey = {
  [K in CatalogueKey]: (typeof METRIC_CATALOGUE)[K]['type'] extends 'histogram' ? K : never;
}[CatalogueKey];

/**
 * How an instance's metric registry is built. `createTelemetry()` fills these in from its
 * configuration (`OBS_METRICS_PREFIX`) and its `metrics` option.
 */
export interface MetricsOptions {
  /** Prepended to the name of every metric sightline registers, process metrics included. */
  readonly prefix?: string;
  /** prom-client's process metrics (memory, CPU, event-loop lag, GC, handles). Default true. */
  readonly processMetrics?: boolean;
  /** Buckets of sightline's histograms, by catalogue key. */
  readonly buckets?: Partial<Record<HistogramKey, readonly number[]>>;
  /** Exposes what logging dropped or contained as counters. */
  readonly logStats?: () => Readonly<LogStats>;
}

/** The prom-client metric `catalogued(key)` answers: a Counter, Gauge or Histogram, as the catalogue types it. */
export type CatalogueMetric<K extends CatalogueKey> = (typeof METRIC_CATALOGUE)[K]['type'] extends 'counter'
  ? Counter<string>
  : (typeof METRIC_CATALOGUE)[K]['type'] extends 'gauge'
    ? Gauge<string>
    : Histogram<string>;

/**
 * One instance's metrics (`obs.metrics`): its registry, holding sightline's catalogue, and
 * helpers to add the service's own counters, gauges and histograms to it.
 */
export interface SightlineMetrics {
  /** This instance's own registry (never prom-client's global one). */
  readonly registry: Registry;
  /** What the instance prepends to the names of sightline's metrics and of the process metrics (`OBS_METRICS_PREFIX`); empty by default. */
  readonly prefix: string;
  /** Get-or-create: the same name and labels give the same counter; a clash throws naming both. */
  counter<L extends string = string>(spec: MetricSpec<L>): Counter<L>;
  /** Get-or-create, as `counter()`: the same name and labels give the same gauge; a clash throws naming both. */
  gauge<L extends string = string>(spec: MetricSpec<L>): Gauge<L>;
  /**
   * Get-or-create, as `counter()`; the buckets of the first call stay. Bad buckets throw.
   * Observe seconds, the Prometheus base unit, when it measures time.
   */
  histogram<L extends string = string>(spec: HistogramSpec<L>): Histogram<L>;
  /** One of sightline's own metrics, with the instance's prefix and buckets. */
  catalogued<K extends CatalogueKey>(key: K): CatalogueMetric<K>;
  /** Full name of a catalogue metric (prefix included). */
  nameOf(key: CatalogueKey): string;
  /** Buckets of one of sightline's histograms: those given in the `metrics.buckets` option, else the catalogue's. */
  bucketsOf(key: HistogramKey): readonly number[];
  /** The registry as Prometheus text, or as prom-client's JSON when `json` is true. */
  exposition(json: boolean): Promise<{ readonly contentType: string; readonly body: string }>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** express-prom-bundle registers this one itself (see middleware/httpMetrics). */
const REGISTERED_BY_BUNDLE: CatalogueKey = 'httpRequestDuration';

export function createMetrics(options: MetricsOptions = {}): SightlineMetrics {
  const { prefix = '', processMetrics = true, buckets = {} } = options;
  if (prefix !== '' && !METRIC_NAME.test(prefix)) {
    throw new TypeError(`metrics: prefix must be letters, digits, '_' or ':' not starting with a digit, got ${JSON.stringify(prefix)}`);
  }
  for (const [key, value] of Object.entries(buckets)) assertBuckets(key, value);
  const registry = new Registry();

  function getOrCreate<M>(type: MetricType, spec: HistogramSpec<string>, make: () => M): M {
    if (!METRIC_NAME.test(spec.name)) {
      throw new TypeError(`metrics: ${JSON.stringify(spec.name)} is not a valid Prometheus metric name`);
    }
    const existing = registry.getSingleMetric(spec.name) as (M & { labelNames?: readonly string[] }) | undefined;
    if (existing === undefined) return make();
    const labels = [...(spec.labelNames ?? [])].sort();
    const existingLabels = [...(existing.labelNames ?? [])].sort();
    if (typeOf(existing) !== type || labels.join(',') !== existingLabels.join(',')) {
      throw new TypeError(
        `metrics: ${spec.name} is already registered as a ${typeOf(existing)} with labels [${existingLabels.join(', ')}]; ` +
          `asked for a ${type} with labels [${labels.join(', ')}]`,
      );
    }
    return existing;
  }

  const api: SightlineMetrics = {
    registry,
    prefix,
    counter: (spec) =>
      getOrCreate('counter', spec, () => new Counter({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] })),
    gauge: (spec) =>
      getOrCreate('gauge', spec, () => new Gauge({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] })),
    histogram: (spec) =>
      getOrCreate('histogram', spec, () => {
        if (spec.buckets !== undefined) assertBuckets(spec.name, spec.buckets);
        return new Histogram({
          name: spec.name,
          help: spec.help,
          labelNames: spec.labelNames ?? [],
          buckets: spec.buckets === undefined ? undefined : [...spec.buckets],
          registers: [registry],
        });
      }),
    catalogued<K extends CatalogueKey>(key: K): CatalogueMetric<K> {
      const definition: MetricDefinition = METRIC_CATALOGUE[key];
      const spec = { name: prefix + definition.name, help: definition.help, labelNames: definition.labelNames };
      if (definition.type === 'counter') return api.counter(spec) as CatalogueMetric<K>;
      if (definition.type === 'gauge') return api.gauge(spec) as CatalogueMetric<K>;
      return api.histogram({ ...spec, buckets: api.bucketsOf(key as HistogramKey) }) as CatalogueMetric<K>;
    },
    nameOf: (key) => prefix + METRIC_CATALOGUE[key].name,
    bucketsOf: (key) => buckets[key] ?? METRIC_CATALOGUE[key].buckets,
    async exposition(json) {
      if (json) return { contentType: JSON_CONTENT_TYPE, body: JSON.stringify(await registry.getMetricsAsJSON()) };
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };

  if (processMetrics) {
    collectDefaultMetrics({ register: registry, prefix });
    for (const name of EXCLUDED_DEFAULT_METRICS) registry.removeSingleMetric(prefix + name);
  }
  for (const key of Object.keys(METRIC_CATALOGUE) as CatalogueKey[]) {
    if (key !== REGISTERED_BY_BUNDLE && METRIC_CATALOGUE[key].section !== 'logging') api.catalogued(key);
  }
  if (options.logStats !== undefined) registerLogCounters(api, options.logStats);
  return api;
}

/** Counters read from the logger's own tallies at scrape time: logging stays free of metric calls. */
function registerLogCounters(metrics: SightlineMetrics, read: () => Readonly<LogStats>): void {
  collectedCounter(metrics, METRIC_CATALOGUE.logLinesDropped, () => [[{ reason: 'sampling' }, read().droppedBySampling]]);
  collectedCounter(metrics, METRIC_CATALOGUE.logFailures, () => {
    const stats = read();
    return [
      [{ kind: 'transport' }, stats.transportErrors],
      [{ kind: 'format' }, stats.formatErrors],
      [{ kind: 'export' }, stats.exportErrors],
    ];
  });
  collectedCounter(metrics, METRIC_CATALOGUE.logTruncations, () => {
    const stats = read();
    return [
      [{ kind: 'string' }, stats.truncatedStrings],
      [{ kind: 'line' }, stats.truncatedLines],
    ];
  });
}

function collectedCounter(
  metrics: SightlineMetrics,
  definition: MetricDefinition,
  values: () => readonly (readonly [Record<string, string>, number])[],
): void {
  new Counter({
    name: metrics.prefix + definition.name,
    help: definition.help,
    labelNames: definition.labelNames,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [labels, value] of values()) this.inc(labels, value);
    },
  });
}
function typeOf(metric: unknown): MetricType | 'other' {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  return 'other';
}

export function assertBuckets(name: string, buckets: readonly number[]): void {
  const ascending = buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > (buckets[i - 1] as number)));
  if (buckets.length === 0 || !ascending) {
    throw new TypeError(`metrics: buckets of ${name} must be finite and strictly ascending, got ${JSON.stringify(buckets)}`);
  }
}
