import TransportStream from 'winston-transport';
import { MESSAGE } from '../logLevels';
import { parseTraceparent, type TraceParent } from '../w3cTraceContext';

export type LogLine = Record<string, unknown> & {
  timestamp: string;
  level: string;
  message: string;
};

/** An in-memory winston transport holding every formatted line, parsed. */
export class LogCapture extends TransportStream {
  readonly lines: LogLine[] = [];

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.lines.push(JSON.parse(String(info[MESSAGE])) as LogLine);
    next();
  }

  /** Lines whose `message` equals `message`, optionally only those of one request. */
  find(message: string, requestId?: string): LogLine[] {
    return this.lines.filter(
      (line) => line.message === message && (requestId === undefined || line.request_id === requestId),
    );
  }

  clear(): void {
    this.lines.length = 0;
  }
}

/**
 * Captures an instance's log lines for assertions:
 * `const logs = captureLogs(); createObservability({ logger: { transports: [logs] } })`.
 */
export function captureLogs(): LogCapture {
  return new LogCapture();
}

/** Parses a `traceparent` value or throws with the reason, for `expect`-style assertions. */
export function assertTraceparent(value: unknown): TraceParent {
  if (typeof value !== 'string') {
    throw new Error(`expected a traceparent header, got ${JSON.stringify(value)}`);
  }
  const parsed = parseTraceparent(value);
  if (parsed === null) throw new Error(`not a valid W3C traceparent: ${JSON.stringify(value)}`);
  return parsed;
}

/** A registry as prom-client reads it: `metricValue(obs.metrics.registry, 'http_requests_total', { route: '/x' })`. */
interface ReadableRegistry {
  getSingleMetric(name: string): { get(): Promise<{ values: { value: number; labels: object; metricName?: string }[] }> } | undefined;
}

/**
 * The value of one series: the sum over series whose labels include `labels`, or undefined
 * when the metric does not exist. For a histogram, name the series (`…_count`, `…_sum`,
 * `…_bucket` with `le`).
 */
export async function metricValue(
  registry: ReadableRegistry,
  name: string,
  labels: Readonly<Record<string, string | number>> = {},
): Promise<number | undefined> {
  const histogramSuffix = /_(count|sum|bucket)$/.exec(name);
  const metric = registry.getSingleMetric(name) ?? (histogramSuffix ? registry.getSingleMetric(name.slice(0, histogramSuffix.index)) : undefined);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  let total = 0;
  for (const sample of values) {
    if (sample.metricName !== undefined && sample.metricName !== name) continue;
    const sampleLabels = sample.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([key, value]) => String(sampleLabels[key]) === String(value))) total += sample.value;
  }
  return total;
}
