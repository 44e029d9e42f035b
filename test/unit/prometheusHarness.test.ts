import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  describeWithBinary,
  promtoolCheckMetrics,
  promtoolProblems,
  startPrometheus,
  type RunningPrometheus,
} from '../support/prometheus';

const TIMEOUT = 30_000;

describe('promtoolProblems', () => {
  it('parses promtool 2.x lines (`<metric> <problem>`) and the `<metric>: <problem>` form', () => {
    const output = [
      'demo_things_total non-counter metrics should not have "_total" suffix',
      'job:demo_rate:5m: metric names should be written in \'snake_case\' not \'camelCase\'',
      '',
    ].join('\n');
    expect(promtoolProblems(output)).toEqual([
      { metric: 'demo_things_total', problem: 'non-counter metrics should not have "_total" suffix' },
      { metric: 'job:demo_rate:5m', problem: "metric names should be written in 'snake_case' not 'camelCase'" },
    ]);
  });

  it('does not report a parse error as a problem', () => {
    expect(promtoolProblems('error while linting: text format parsing error in line 1\n')).toEqual([]);
  });
});

describeWithBinary('promtool', 'promtool check metrics', () => {
  it(
    'accepts a clean exposition text',
    async () => {
      const text = [
        '# HELP demo_requests_total Requests handled.',
        '# TYPE demo_requests_total counter',
        'demo_requests_total{route="/"} 3',
        '',
      ].join('\n');
      const result = await promtoolCheckMetrics(text);
      expect(result).toEqual({ code: 0, output: '' });
    },
    TIMEOUT,
  );

  it(
    'reports a gauge with a _total suffix (exit 3: lint problems only)',
    async () => {
      const text = ['# HELP demo_things_total Things.', '# TYPE demo_things_total gauge', 'demo_things_total 3', ''].join(
        '\n',
      );
      const result = await promtoolCheckMetrics(text);
      expect(result.code).toBe(3);
      expect(promtoolProblems(result.output)).toEqual([
        { metric: 'demo_things_total', problem: 'non-counter metrics should not have "_total" suffix' },
      ]);
    },
    TIMEOUT,
  );
});

const TOKEN = 'harness-test-token-0123456789';
const EXPOSITION = [
  '# HELP demo_latency_seconds Request latency.',
  '# TYPE demo_latency_seconds histogram',
  'demo_latency_seconds_bucket{le="0.1"} 2',
  'demo_latency_seconds_bucket{le="0.5"} 6',
  'demo_latency_seconds_bucket{le="1"} 10',
  'demo_latency_seconds_bucket{le="+Inf"} 10',
  'demo_latency_seconds_sum 4.2',
  'demo_latency_seconds_count 10',
  '',
].join('\n');

describeWithBinary('prometheus', 'a real prometheus scraping a bearer-protected endpoint', () => {
  let server: http.Server;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
      } else if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    prometheus = await startPrometheus({
      targets: [
        { job: 'demo', url: metricsUrl, bearerToken: TOKEN },
        { job: 'demo_noauth', url: metricsUrl },
      ],
    });
  }, TIMEOUT);

  afterAll(async () => {
    await prometheus?.stop();
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, TIMEOUT);

  it(
    'scrapes with the bearer token and reads the histogram back',
    async () => {
      const prom = prometheus!;
      await prom.waitFor('up{job="demo"} == 1', (samples) => samples.length === 1);

      const [count] = await prom.waitFor('demo_latency_seconds_count{job="demo"}', (samples) => samples.length === 1);
      expect(count?.value).toBe(10);
      expect(count?.metric).toMatchObject({ __name__: 'demo_latency_seconds_count', job: 'demo' });

      // rank 5 of 10 falls in (0.1, 0.5] holding observations 3..6: 0.1 + 0.4 * (5 - 2) / (6 - 2)
      const [median] = await prom.query('histogram_quantile(0.5, sum by (le) (demo_latency_seconds_bucket{job="demo"}))');
      expect(median?.value).toBeCloseTo(0.4, 10);
    },
    TIMEOUT,
  );

  it(
    'sees the scrape without a token rejected with 401',
    async () => {
      const prom = prometheus!;
      await prom.waitFor('up{job="demo_noauth"} == 0', (samples) => samples.length === 1);
      const targets = await prom.targets();
      const byJob = Object.fromEntries(targets.map((target) => [target.job, target]));
      expect(byJob.demo).toMatchObject({ health: 'up', lastError: '' });
      expect(byJob.demo?.scrapeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(byJob.demo_noauth?.health).toBe('down');
      expect(byJob.demo_noauth?.lastError).toContain('401');
    },
    TIMEOUT,
  );

  it(
    'throws the API error for an invalid query',
    async () => {
      await expect(prometheus!.query('sum(')).rejects.toThrow(/bad_data/);
    },
    TIMEOUT,
  );
});
