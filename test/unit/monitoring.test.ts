import fs from 'node:fs';
import path from 'node:path';
import {
  alertNames,
  alertTestCases,
  dashboardQueries,
  exposedMetrics,
  isExposed,
  metricNamesIn,
  NPM_START_ADDRESSES,
  prometheusTree,
  unknownMetrics,
  withGrafanaVariables,
  type Dashboard,
} from '../support/monitoring';

const EXPOSITION = [
  '# HELP http_requests_total Requests answered.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="GET",route="/v1/models",status_code="200"} 3',
  '# HELP http_request_duration_seconds Time to answer.',
  '# TYPE http_request_duration_seconds histogram',
  'http_request_duration_seconds_bucket{le="0.1"} 1',
  'http_request_duration_seconds_bucket{le="+Inf"} 1',
  'http_request_duration_seconds_sum 0.02',
  'http_request_duration_seconds_count 1',
  '# HELP sandbox_crashes_total Crashes (none yet: no sample line).',
  '# TYPE sandbox_crashes_total counter',
  '# TYPE rpc_seconds summary',
  'rpc_seconds_sum 1',
  'untyped_sample 1',
  '',
].join('\n');

describe('metricNamesIn', () => {
  it('finds a bare metric name and one with matchers', () => {
    expect(metricNamesIn('up == 0')).toEqual(['up']);
    expect(metricNamesIn('http_requests_total{status_code=~"5..", route!="/health"}')).toEqual(['http_requests_total']);
  });

  it('skips functions, aggregations and the label lists of by, without, on, ignoring and group_left', () => {
    const expr = `histogram_quantile(0.95, sum by (service, competitor, le) (rate(http_request_duration_seconds_bucket[5m])))
      / on (service) group_left (version) max without (instance) (build_info)
      / ignoring (kind) sum(rate(errors_total[1m])) by (kind)`;
    expect(metricNamesIn(expr)).toEqual(['http_request_duration_seconds_bucket', 'build_info', 'errors_total']);
  });

  it('skips strings, durations, numbers, offsets, subqueries, bool and set operators', () => {
    const expr = `label_replace(rate(stream_events_total{service="gateway"}[5m]), "competitor", "$1", "upstream", "(.+)")
      and streams_active offset 5m >= bool 1e3
      unless max_over_time(gateway_circuit_state[10m:30s]) > 0x1f or vector(Inf) < NaN`;
    expect(metricNamesIn(expr)).toEqual(['stream_events_total', 'streams_active', 'gateway_circuit_state']);
  });

  it('reads a metric named by a __name__ matcher, and ignores label names inside braces', () => {
    expect(metricNamesIn('{__name__="sandbox_workers", state="idle"}')).toEqual(['sandbox_workers']);
    expect(metricNamesIn('{job="gateway", le="0.1"}')).toEqual([]);
  });

  it('skips Grafana variables and comments', () => {
    expect(metricNamesIn('rate(streams_total{upstream=~"$competitor"}[$__rate_interval]) # per ${datasource}\n + sandbox_queue_depth')).toEqual([
      'streams_total',
      'sandbox_queue_depth',
    ]);
  });

  it('lists each metric once, in order of appearance', () => {
    expect(metricNamesIn('sum(rate(a_total[5m])) / sum(rate(b_total[5m])) + sum(rate(a_total[1m]))')).toEqual(['a_total', 'b_total']);
  });

  it('throws on an unterminated string or brace', () => {
    expect(() => metricNamesIn('up{job="gateway}')).toThrow(/unterminated/);
    expect(() => metricNamesIn('up{job="gateway"')).toThrow(/unterminated "\{"/);
  });
});

describe('exposedMetrics and isExposed', () => {
  const exposed = exposedMetrics(EXPOSITION);

  it('takes families from TYPE lines, with or without samples, and names of untyped samples', () => {
    expect([...exposed]).toEqual([
      ['http_requests_total', 'counter'],
      ['http_request_duration_seconds', 'histogram'],
      ['sandbox_crashes_total', 'counter'],
      ['rpc_seconds', 'summary'],
      ['untyped_sample', 'untyped'],
    ]);
  });

  it("counts a histogram's _bucket, _sum and _count series as the histogram, a summary's _sum and _count", () => {
    for (const name of ['http_request_duration_seconds_bucket', 'http_request_duration_seconds_sum', 'http_request_duration_seconds_count']) {
      expect(isExposed(name, exposed)).toBe(true);
    }
    expect(isExposed('rpc_seconds_count', exposed)).toBe(true);
    expect(isExposed('rpc_seconds_bucket', exposed)).toBe(false);
    expect(isExposed('http_requests_total_count', exposed)).toBe(false);
  });
});

describe('unknownMetrics', () => {
  const exposed = exposedMetrics(EXPOSITION);

  it('reports a made-up metric name, with where it was found', () => {
    const unknown = unknownMetrics(
      [
        { where: 'rules.yml HttpErrorRateHigh', expr: 'sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_totals[5m]))' },
        { where: 'overview.json p95', expr: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))' },
        { where: 'sandbox.json crashes', expr: 'increase(sandbox_crashes_total[5m]) + sandbox_explosions_total' },
      ],
      exposed,
    );
    expect(unknown).toEqual([
      expect.objectContaining({ where: 'rules.yml HttpErrorRateHigh', metric: 'http_requests_totals' }),
      expect.objectContaining({ where: 'sandbox.json crashes', metric: 'sandbox_explosions_total' }),
    ]);
  });

  it("accepts the series Prometheus writes itself only when told to", () => {
    expect(unknownMetrics([{ where: 'TargetDown', expr: 'up == 0' }], exposed)).toEqual([expect.objectContaining({ metric: 'up' })]);
    expect(unknownMetrics([{ where: 'TargetDown', expr: 'up == 0' }], exposed, ['up'])).toEqual([]);
  });
});

describe('dashboardQueries', () => {
  const dashboard: Dashboard = {
    panels: [
      { id: 1, title: 'Rate', targets: [{ refId: 'A', expr: 'rate(a_total[$__rate_interval])' }] },
      { id: 2, type: 'row', title: 'Row', panels: [{ id: 3, title: 'Inside', targets: [{ refId: 'B', expr: 'b_gauge' }] }] },
    ],
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus' },
        { name: 'competitor', type: 'query', query: { query: 'label_values(gateway_circuit_state{job="gateway"}, competitor)' } },
        { name: 'service', type: 'query', query: 'label_values(service)' },
      ],
    },
  };

  it('collects panel targets, those in rows too, and the selectors of query variables', () => {
    expect(dashboardQueries('x.json', dashboard)).toEqual([
      { where: 'x.json panel "Rate" A', expr: 'rate(a_total[$__rate_interval])' },
      { where: 'x.json panel "Inside" B', expr: 'b_gauge' },
      { where: 'x.json variable $competitor', expr: 'gateway_circuit_state{job="gateway"}' },
    ]);
  });
});

describe('withGrafanaVariables', () => {
  it('replaces interval variables with a duration and other variables with a match-all regex', () => {
    expect(withGrafanaVariables('rate(x{a=~"$competitor", b=~"${service}"}[$__rate_interval]) and y[$__interval]', '30s')).toBe(
      'rate(x{a=~".*", b=~".*"}[30s]) and y[30s]',
    );
    expect(withGrafanaVariables('label_replace(x, "c", "$1", "u", "(.+)")')).toBe('label_replace(x, "c", "$1", "u", "(.+)")');
  });
});

describe('prometheusTree', () => {
  it('lays infra/prometheus out like the repository, with the token where npm start writes it', () => {
    const tree = prometheusTree({ token: 'secret-token' });
    try {
      expect(tree.configFile).toBe(path.join(tree.root, 'infra', 'prometheus', 'prometheus.yml'));
      expect(fs.readFileSync(path.join(tree.root, '.sightline', 'admin-token'), 'utf8')).toBe('secret-token');
      expect(fs.existsSync(path.join(tree.root, 'infra', 'prometheus', 'rules.yml'))).toBe(true);
      expect(fs.readFileSync(tree.configFile, 'utf8')).toContain(`'${NPM_START_ADDRESSES.gateway}'`);
    } finally {
      tree.remove();
    }
    expect(fs.existsSync(tree.root)).toBe(false);
  });

  it('moves addresses and shortens intervals, leaving the rest as committed', () => {
    const tree = prometheusTree({ token: undefined, addresses: { fast: '127.0.0.1:40002' }, intervalSeconds: 1 });
    try {
      const config = fs.readFileSync(tree.configFile, 'utf8');
      expect(config).toContain("'127.0.0.1:40002'");
      expect(config).not.toContain(`'${NPM_START_ADDRESSES.fast}'`);
      expect(config).toContain(`'${NPM_START_ADDRESSES.flaky}'`);
      expect(config).toMatch(/^\s*scrape_interval: 1s$/m);
      expect(config).toMatch(/^\s*scrape_timeout: 1s$/m);
      expect(config).toMatch(/^\s*evaluation_interval: 1s$/m);
      expect(fs.existsSync(path.join(tree.root, '.sightline'))).toBe(false);
    } finally {
      tree.remove();
    }
  });
});

describe('alertNames and alertTestCases', () => {
  it('reads alert names and whether each test case expects the alert or silence', () => {
    expect(alertNames('groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n      - record: r\n      - alert: B\n')).toEqual(['A', 'B']);
    const tests = [
      '    alert_rule_test:',
      '      - eval_time: 1m',
      '        alertname: A',
      '        exp_alerts: []',
      '      - eval_time: 5m',
      '        alertname: A',
      '        exp_alerts:',
      '          - exp_labels:',
      '              severity: warning',
      '',
    ].join('\n');
    expect(alertTestCases(tests)).toEqual([
      { alertname: 'A', evalTime: '1m', fires: false },
      { alertname: 'A', evalTime: '5m', fires: true },
    ]);
  });

  it('refuses a layout it cannot read rather than missing cases', () => {
    expect(() => alertTestCases('      - alertname: A\n        eval_time: 1m\n        exp_alerts: []\n')).toThrow(/read 0 of 1/);
  });
});
