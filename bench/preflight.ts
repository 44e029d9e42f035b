import { startServer, type StoppedServer } from './serverProcess';
import type { BenchSettings } from './settings';
import { baseOf, isTraced, ROUTE_PATH, type VariantName } from './variants';

export interface LogCheck {
  readonly variant: VariantName;
  readonly requests: number;
  readonly lines: number;
  readonly expected: string;
  /** Requests in the HTTP duration histogram; `undefined` for variants without a registry. */
  readonly metricRequests: number | undefined;
  readonly expectedMetricRequests: number | undefined;
  /** Spans exported; `undefined` for variants that do not trace. */
  readonly spans: number | undefined;
  readonly minSpans: number | undefined;
}

interface Range {
  readonly min: number;
  readonly max: number;
}

const CHECK_REQUESTS = 200;

/**
 * Before timing anything: every variant answers the route correctly, writes the log lines
 * it claims to, counts the requests in its HTTP metrics exactly when it should, and exports
 * spans when it traces, so a fast number can never come from a variant that skipped its work.
 */
export async function checkVariant(variant: VariantName, settings: BenchSettings): Promise<LogCheck> {
  const server = await startServer(variant, { core: settings.serverCore, captureOutput: true });
  let stopped: StoppedServer;
  try {
    await sendCheckedRequests(`http://127.0.0.1:${server.port}${ROUTE_PATH}`, CHECK_REQUESTS);
  } finally {
    stopped = await server.stop();
  }
  const lines = logLines(stopped.output, variant);
  const range = expectedLines(variant, CHECK_REQUESTS);
  const check: LogCheck = {
    variant,
    requests: CHECK_REQUESTS,
    lines,
    expected: `${range.min}..${range.max}`,
    metricRequests: stopped.metricRequests,
    expectedMetricRequests: expectedMetricRequests(variant, CHECK_REQUESTS),
    spans: stopped.spans,
    minSpans: minSpans(variant, CHECK_REQUESTS),
  };
  if (lines < range.min || lines > range.max) {
    throw new Error(`${variant}: ${lines} log lines for ${CHECK_REQUESTS} requests, expected ${check.expected}`);
  }
  if (check.metricRequests !== check.expectedMetricRequests) {
    throw new Error(
      `${variant}: ${check.metricRequests} requests in its HTTP metrics for ${CHECK_REQUESTS} requests, ` +
        `expected ${check.expectedMetricRequests}`,
    );
  }
  if ((check.spans === undefined) !== (check.minSpans === undefined) || (check.spans ?? 0) < (check.minSpans ?? 0)) {
    throw new Error(`${variant}: ${check.spans} spans exported for ${CHECK_REQUESTS} requests, expected >= ${check.minSpans}`);
  }
  return check;
}

/** One line for the console: what the variant was seen to do. */
export function describeCheck(check: LogCheck): string {
  const parts = [`200 OK x${check.requests}`, `${check.lines} log lines (expected ${check.expected})`];
  if (check.expectedMetricRequests !== undefined) {
    parts.push(`${check.metricRequests} requests in HTTP metrics (expected ${check.expectedMetricRequests})`);
  }
  if (check.minSpans !== undefined) parts.push(`${check.spans} spans exported (expected >= ${check.minSpans})`);
  return `check ${check.variant}: ${parts.join(', ')}`;
}

async function sendCheckedRequests(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const response = await fetch(url);
    const body: unknown = await response.json();
    if (response.status !== 200 || JSON.stringify(body) !== '{"id":"42","name":"item 42"}') {
      throw new Error(`GET ${url} answered ${response.status} ${JSON.stringify(body)}`);
    }
  }
}

function logLines(output: string, variant: VariantName): number {
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  for (const line of lines) {
    try {
      JSON.parse(line);
    } catch {
      throw new Error(`${variant}: stdout line is not JSON: ${line.slice(0, 200)}`);
    }
  }
  return lines.length;
}

/** Sampling at 0.1 is random per request: the bounds only catch "nothing" and "everything". */
function expectedLines(variant: VariantName, requests: number): Range {
  switch (baseOf(variant)) {
    case 'bare':
    case 'prom-bundle':
    case 'sightline-disabled':
    case 'sightline-ids':
    case 'sightline-nologs':
    case 'opentelemetry':
      return { min: 0, max: 0 };
    case 'pino-http':
      return { min: requests, max: requests };
    case 'sightline-rate1':
    case 'sightline-tracing':
    case 'sightline-nometrics':
    case 'sightline-cls':
      return { min: 2 * requests, max: 2 * requests };
    case 'sightline-rate0.1':
      return { min: 2, max: Math.round(requests * 0.6) };
  }
}

/** Every request in the histogram when metrics are on; none when switched off (so the parts add up). */
function expectedMetricRequests(variant: VariantName, requests: number): number | undefined {
  switch (baseOf(variant)) {
    case 'bare':
    case 'pino-http':
    case 'opentelemetry':
      return undefined;
    case 'sightline-disabled':
    case 'sightline-ids':
    case 'sightline-nometrics':
      return 0;
    case 'sightline-rate1':
    case 'sightline-rate0.1':
    case 'sightline-tracing':
    case 'sightline-nologs':
    case 'sightline-cls':
    case 'prom-bundle':
      return requests;
  }
}

/** Every request is sampled, so each gives at least its server span. */
function minSpans(variant: VariantName, requests: number): number | undefined {
  return isTraced(variant) ? requests : undefined;
}
