import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The monitoring files of infra/ under test: infra/prometheus laid out in a temporary tree
 * the way the committed config expects it, the metric names a PromQL expression selects, the
 * metric names a `/metrics` exposition offers, and the queries of the Grafana dashboards in
 * infra/grafana/dashboards. Used to prove that every dashboard panel and alert rule names
 * only metrics the services really expose.
 */

const ROOT = path.resolve(__dirname, '..', '..');
export const PROMETHEUS_DIR = path.join(ROOT, 'infra', 'prometheus');
export const DASHBOARD_DIR = path.join(ROOT, 'infra', 'grafana', 'dashboards');

/** The addresses prometheus.yml scrapes: the services as `npm start` runs them. */
export const NPM_START_ADDRESSES = {
  gateway: '127.0.0.1:8080',
  baseline: '127.0.0.1:8081',
  fast: '127.0.0.1:8082',
  flaky: '127.0.0.1:8083',
} as const;

export type ScrapedService = keyof typeof NPM_START_ADDRESSES;

export interface PrometheusTreeOptions {
  /** Written to `.sightline/admin-token`, where `npm start` writes it; no file when undefined. */
  readonly token: string | undefined;
  /** Moves a service's scrape address (`127.0.0.1:<port>`). */
  readonly addresses?: Partial<Record<ScrapedService, string>>;
  /** Replaces the global scrape, timeout and evaluation intervals. */
  readonly intervalSeconds?: number;
}

export interface PrometheusTree {
  /** The temporary root, laid out like the repository. */
  readonly root: string;
  /** `<root>/infra/prometheus/prometheus.yml` */
  readonly configFile: string;
  remove(): void;
}

/**
 * infra/prometheus copied under a temporary root laid out like the repository, so the
 * committed config's relative paths (rules.yml beside it, `../../.sightline/admin-token`)
 * resolve as they do for `npm start`. Each address moved must appear in the config exactly
 * once, and each interval replaced must be there: a config that drifts fails loudly.
 */
export function prometheusTree(options: PrometheusTreeOptions): PrometheusTree {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-monitoring-'));
  const dir = path.join(root, 'infra', 'prometheus');
  fs.mkdirSync(dir, { recursive: true });
  for (const file of fs.readdirSync(PROMETHEUS_DIR)) fs.copyFileSync(path.join(PROMETHEUS_DIR, file), path.join(dir, file));
  if (options.token !== undefined) {
    fs.mkdirSync(path.join(root, '.sightline'));
    fs.writeFileSync(path.join(root, '.sightline', 'admin-token'), options.token, { mode: 0o600 });
  }
  const configFile = path.join(dir, 'prometheus.yml');
  let config = fs.readFileSync(configFile, 'utf8');
  for (const [service, address] of Object.entries(options.addresses ?? {})) {
    const quoted = `'${NPM_START_ADDRESSES[service as ScrapedService]}'`;
    const found = config.split(quoted).length - 1;
    if (found !== 1) throw new Error(`prometheus.yml names ${quoted} (${service}) ${found} times, not once`);
    config = config.replace(quoted, `'${address}'`);
  }
  if (options.intervalSeconds !== undefined) {
    for (const key of ['scrape_interval', 'scrape_timeout', 'evaluation_interval']) {
      const line = new RegExp(`^(\\s*${key}:)\\s*\\S+\\s*$`, 'gm');
      const found = config.match(line)?.length ?? 0;
      if (found !== 1) throw new Error(`prometheus.yml sets ${key} ${found} times, not once (in global)`);
      config = config.replace(line, `$1 ${options.intervalSeconds}s`);
    }
  }
  fs.writeFileSync(configFile, config);
  return { root, configFile, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** The alert names of rules.yml, in order (`- alert: Name` lines). */
export function alertNames(rulesText: string): string[] {
  return [...rulesText.matchAll(/^\s*- alert:\s*(\S+)\s*$/gm)].map((match) => match[1] as string);
}

export interface AlertTestCase {
  readonly alertname: string;
  readonly evalTime: string;
  /** `exp_alerts` lists alerts (true) or is `[]` (false). */
  readonly fires: boolean;
}

/**
 * The `alert_rule_test` entries of a promtool test file, written as rules.test.yml writes
 * them (`- eval_time`, `alertname`, `exp_alerts` on consecutive lines). Throws on an entry
 * whose `exp_alerts` is neither `[]` nor a list, so another layout fails rather than hides.
 */
export function alertTestCases(testText: string): AlertTestCase[] {
  const cases: AlertTestCase[] = [];
  const entry = /^\s*- eval_time:\s*(\S+)\s*\n\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:(.*)\n(?=(.*))/gm;
  for (const match of testText.matchAll(entry)) {
    const [, evalTime, alertname, rest, next] = match as unknown as [string, string, string, string, string];
    const fires = rest.trim() === '' && /^\s*- exp_labels:/.test(next);
    if (!fires && rest.trim() !== '[]') throw new Error(`alert_rule_test ${alertname} at ${evalTime}: exp_alerts is neither [] nor a list`);
    cases.push({ alertname, evalTime, fires });
  }
  const declared = testText.match(/^\s*(?:-\s+)?alertname:/gm)?.length ?? 0;
  if (declared !== cases.length) throw new Error(`read ${cases.length} of ${declared} alert_rule_test entries; keep eval_time, alertname and exp_alerts together`);
  return cases;
}

/** Words that are PromQL syntax, not metric names, when not followed by `(` (compared lower-cased). */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
/** Keywords whose parenthesised list holds label names. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** An aggregation's grouping may come before its argument: `sum by (le) (…)`. */
const GROUPING = /^(?:by|without)\s*\(/i;

const IDENTIFIER_START = /[A-Za-z_:]/;
const IDENTIFIER_PART = /[A-Za-z0-9_:]/;

/**
 * The metric names `promql` selects, in order of appearance, each once. Skips function and
 * aggregation names (an identifier followed by `(`, or by `by (`/`without (`), keywords (`by`, `without`, `on`,
 * `ignoring`, `group_left`, `group_right`, `bool`, `offset`, set operators) and the label lists
 * after them, label matchers inside braces (except a `__name__` equality, which names a metric),
 * strings, numbers and durations, ranges and subqueries in brackets, comments, and Grafana
 * variables (`$__rate_interval`, `$competitor`, `${datasource}`). Throws on an unterminated
 * string, brace or bracket, naming it.
 */
export function metricNamesIn(promql: string): string[] {
  const names: string[] = [];
  const add = (name: string): void => {
    if (!names.includes(name)) names.push(name);
  };
  let i = 0;
  const n = promql.length;

  const skipSpace = (from: number): number => {
    let at = from;
    while (at < n && /\s/.test(promql[at] as string)) at += 1;
    return at;
  };
  const stringEnd = (from: number): number => {
    const quote = promql[from];
    let at = from + 1;
    while (at < n && promql[at] !== quote) at += quote === '`' ? 1 : promql[at] === '\\' ? 2 : 1;
    if (at >= n) throw new SyntaxError(`unterminated string at ${from} in ${JSON.stringify(promql)}`);
    return at + 1;
  };
  const identifierEnd = (from: number): number => {
    let at = from + 1;
    while (at < n && IDENTIFIER_PART.test(promql[at] as string)) at += 1;
    return at;
  };
  /** Index past the `close` matching the opener at `from`, strings skipped. */
  const groupEnd = (from: number, close: string): number => {
    let at = from + 1;
    while (at < n && promql[at] !== close) {
      const c = promql[at] as string;
      at = c === '"' || c === "'" || c === '`' ? stringEnd(at) : at + 1;
    }
    if (at >= n) throw new SyntaxError(`unterminated "${promql[from] ?? ''}" at ${from} in ${JSON.stringify(promql)}`);
    return at + 1;
  };
  /** A `__name__="…"` matcher inside braces names a metric. */
  const namesInMatchers = (body: string): void => {
    for (const match of body.matchAll(/(?:^|[{,\s])__name__\s*=\s*(["'`])((?:\\.|(?!\1).)*)\1/g)) add(match[2] as string);
  };

  while (i < n) {
    const c = promql[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '#') {
      while (i < n && promql[i] !== '\n') i += 1;
    } else if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(i);
    } else if (c === '{') {
      const end = groupEnd(i, '}');
      namesInMatchers(promql.slice(i + 1, end - 1));
      i = end;
    } else if (c === '[') {
      i = groupEnd(i, ']');
    } else if (c === '$') {
      // A Grafana variable: $name, $__name or ${name} / ${name:format}.
      i = promql[i + 1] === '{' ? groupEnd(i + 1, '}') : identifierEnd(i);
    } else if (/[0-9.]/.test(c)) {
      // A number or a duration (1.5, 0x1f, 1e3, 5m, 1h30m).
      i += 1;
      while (i < n && /[A-Za-z0-9_.]/.test(promql[i] as string)) i += 1;
    } else if (IDENTIFIER_START.test(c)) {
      const end = identifierEnd(i);
      const word = promql.slice(i, end);
      const next = skipSpace(end);
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        i = promql[next] === '(' ? groupEnd(next, ')') : end;
      } else if (promql[next] === '(' || KEYWORDS.has(lower) || GROUPING.test(promql.slice(next))) {
        i = end;
      } else {
        add(word);
        i = end;
      }
    } else {
      i += 1;
    }
  }
  return names;
}

/**
 * Metric families a `/metrics` exposition offers: every `# TYPE` line (a metric with no
 * series yet is still exposed) and every sample's name.
 */
export function exposedMetrics(exposition: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      families.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
    if (sample && !isExposed(sample[1] as string, families)) families.set(sample[1] as string, 'untyped');
  }
  return families;
}

const HISTOGRAM_SERIES = /^(.+)_(bucket|sum|count)$/;

/** Whether `name` is a family of `exposed`, or a `_bucket`/`_sum`/`_count` series of a histogram or summary in it. */
export function isExposed(name: string, exposed: ReadonlyMap<string, string>): boolean {
  if (exposed.has(name)) return true;
  const series = HISTOGRAM_SERIES.exec(name);
  if (!series) return false;
  const type = exposed.get(series[1] as string);
  return type === 'histogram' || (type === 'summary' && series[2] !== 'bucket');
}

export interface NamedQuery {
  /** Where the query comes from, for the failure message. */
  readonly where: string;
  readonly expr: string;
}

export interface UnknownMetric {
  readonly where: string;
  readonly metric: string;
  readonly expr: string;
}

/** Every metric name in `queries` that `exposed` does not offer (and `alsoKnown` does not list). */
export function unknownMetrics(
  queries: readonly NamedQuery[],
  exposed: ReadonlyMap<string, string>,
  alsoKnown: readonly string[] = [],
): UnknownMetric[] {
  const unknown: UnknownMetric[] = [];
  for (const { where, expr } of queries) {
    for (const metric of metricNamesIn(expr)) {
      if (!alsoKnown.includes(metric) && !isExposed(metric, exposed)) unknown.push({ where, metric, expr });
    }
  }
  return unknown;
}

/** Series Prometheus itself writes for every target (not on any `/metrics`). */
export const SCRAPE_SERIES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

export interface DashboardPanel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: unknown;
  readonly targets?: readonly { readonly expr?: string; readonly refId?: string; readonly datasource?: unknown }[];
  readonly panels?: readonly DashboardPanel[];
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: unknown;
  readonly datasource?: unknown;
}

export interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly schemaVersion?: number;
  readonly panels?: readonly DashboardPanel[];
  readonly templating?: { readonly list?: readonly DashboardVariable[] };
  readonly [key: string]: unknown;
}

/** The dashboards of infra/grafana/dashboards, by file name. */
export function loadDashboards(dir: string = DASHBOARD_DIR): Map<string, Dashboard> {
  const dashboards = new Map<string, Dashboard>();
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    dashboards.set(file, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Dashboard);
  }
  return dashboards;
}

/** Every panel of a dashboard, those inside rows included. */
export function panelsOf(dashboard: Dashboard): DashboardPanel[] {
  const all: DashboardPanel[] = [];
  const visit = (panels: readonly DashboardPanel[] | undefined): void => {
    for (const panel of panels ?? []) {
      all.push(panel);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return all;
}

/**
 * The PromQL of a dashboard: every panel target's `expr`, and the expression inside each
 * query variable (`label_values(<selector>, label)` gives its selector; `query_result(<expr>)`
 * its expression).
 */
export function dashboardQueries(file: string, dashboard: Dashboard): NamedQuery[] {
  const queries: NamedQuery[] = [];
  for (const panel of panelsOf(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string') {
        queries.push({ where: `${file} panel "${panel.title ?? panel.id ?? '?'}" ${target.refId ?? ''}`.trim(), expr: target.expr });
      }
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const raw = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: unknown } | undefined)?.query;
    if (typeof raw !== 'string') continue;
    const expr = variableExpression(raw.trim());
    if (expr !== undefined) queries.push({ where: `${file} variable $${variable.name}`, expr });
  }
  return queries;
}

function variableExpression(query: string): string | undefined {
  const labelValues = /^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/s.exec(query);
  if (labelValues) return labelValues[1];
  const result = /^query_result\((.*)\)$/s.exec(query);
  if (result) return result[1];
  // label_names(), metrics(regex), label_values(label): no metric named.
  return undefined;
}

/** A dashboard expression with Grafana's variables replaced, ready for Prometheus's own parser. */
export function withGrafanaVariables(expr: string, rangeInterval = '1m'): string {
  return expr
    .replace(/\$__(?:rate_)?interval\b|\$\{__(?:rate_)?interval\}|\$__range\b/g, rangeInterval)
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '.*');
}
