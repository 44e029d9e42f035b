/**
 * The monitoring files against the pipeline as `npm start` runs it, in real processes: the
 * gateway and the competitors baseline, fast and flaky started by the launcher's helpers, a
 * real Prometheus running infra/prometheus/prometheus.yml as committed (addresses moved to
 * free ports, intervals shortened to 1 s, the admin token where `npm start` writes it) with
 * rules.yml, and the Grafana dashboards' queries.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startService, stopServices, type LauncherOutput, type RunningService, type ServiceSpec, waitUntilReady } from '../../scripts/launcher';
import {
  alertNames,
  dashboardQueries,
  exposedMetrics,
  loadDashboards,
  PROMETHEUS_DIR,
  prometheusTree,
  SCRAPE_SERIES,
  unknownMetrics,
  withGrafanaVariables,
  type NamedQuery,
  type PrometheusTree,
  type ScrapedService,
} from '../support/monitoring';
import { describeWithBinary, startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { freePort } from '../../scripts/pipeline';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN_TOKEN = 'monitoring-e2e-admin-token-0123456';
const COMPETITORS = ['baseline', 'fast', 'flaky'] as const;
const ALERTS = alertNames(readFileSync(path.join(PROMETHEUS_DIR, 'rules.yml'), 'utf8'));

interface ApiRule {
  readonly name: string;
  readonly query: string;
  readonly type: string;
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

interface ApiAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: string;
}

const logs: string[] = [];
const output: LauncherOutput = {
  line: (text) => logs.push(text),
  note: (fields) => logs.push(JSON.stringify(fields)),
};

async function api<T>(prometheus: RunningPrometheus, pathAndQuery: string): Promise<T> {
  const response = await fetch(`${prometheus.url}${pathAndQuery}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`GET ${pathAndQuery}: ${body.error ?? response.status}`);
  return body.data;
}

async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describeWithBinary('prometheus', 'Prometheus and Grafana files against the pipeline in real processes', () => {
  const services = new Map<ScrapedService, RunningService>();
  const addresses = {} as Record<ScrapedService, string>;
  let tree: PrometheusTree | undefined;
  let prometheus: RunningPrometheus | undefined;

  const rules = async (): Promise<ApiRule[]> => {
    const { groups } = await api<{ groups: { rules: ApiRule[] }[] }>(prometheus!, '/api/v1/rules');
    return groups.flatMap((group) => group.rules);
  };

  async function launch(name: ScrapedService, spec: Omit<ServiceSpec, 'readyUrl'>): Promise<void> {
    const readyUrl = `http://${addresses[name]}/health/ready`;
    const service = startService({ ...spec, readyUrl }, output, process.env);
    services.set(name, service);
    await waitUntilReady(service, readyUrl, 45_000);
  }

  async function chat(model: string, content: string, stream: boolean): Promise<string> {
    const response = await fetch(`http://${addresses.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content }] }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${model} answered ${response.status}: ${body}`);
    return body;
  }

  async function scrape(name: ScrapedService): Promise<string> {
    const response = await fetch(`http://${addresses[name]}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.status).toBe(200);
    return response.text();
  }

  beforeAll(async () => {
    for (const name of ['gateway', ...COMPETITORS] as const) addresses[name] = `127.0.0.1:${await freePort()}`;
    const shared = { OBS_ADMIN_TOKEN: ADMIN_TOKEN, OBS_SHUTDOWN_DRAIN_DELAY_MS: '0' };
    await Promise.all(
      COMPETITORS.map((id) =>
        launch(id, {
          name: `competitor-${id}`,
          script: path.join(ROOT, 'competitor', 'server.ts'),
          env: { ...shared, PORT: addresses[id].split(':')[1] as string, COMPETITOR_HOST: '127.0.0.1', COMPETITOR_ID: id, COMPETITOR_PROFILE: id },
        }),
      ),
    );
    await launch('gateway', {
      name: 'gateway',
      script: path.join(ROOT, 'gateway', 'server.ts'),
      env: {
        ...shared,
        PORT: addresses.gateway.split(':')[1] as string,
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_COMPETITORS: COMPETITORS.map((id) => `${id}=http://${addresses[id]}`).join(','),
      },
    });
    // A tool call runs the fast competitor's sandbox pool, so its histograms have series too;
    // a JSON answer and the model list fill the gateway's request-duration histogram.
    expect(await chat('fast', 'calc 6*7', true)).toContain('data: [DONE]');
    expect(await chat('baseline', 'hello', false)).toContain('chat.completion');
    expect((await fetch(`http://${addresses.gateway}/v1/models`)).status).toBe(200);

    tree = prometheusTree({ token: ADMIN_TOKEN, addresses, intervalSeconds: 1 });
    prometheus = await startPrometheus({ configFile: tree.configFile });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await stopServices([...services.values()], 5_000);
    tree?.remove();
  });

  it('scrapes every target of prometheus.yml with the admin token, labelled by service and competitor', async () => {
    const up = await prometheus!.waitFor('up', (samples) => samples.length === 4 && samples.every((sample) => sample.value === 1), 30_000);
    const targets = up.map(({ metric }) => ({ job: metric.job, instance: metric.instance, service: metric.service, competitor: metric.competitor }));
    expect(targets.sort((a, b) => (a.instance ?? '').localeCompare(b.instance ?? ''))).toEqual(
      [
        { job: 'gateway', instance: addresses.gateway, service: 'gateway', competitor: undefined },
        ...COMPETITORS.map((id) => ({ job: 'competitor', instance: addresses[id], service: 'competitor', competitor: id })),
      ].sort((a, b) => a.instance.localeCompare(b.instance)),
    );
    // The gateway's own `competitor` label survives its target having none.
    const circuits = await prometheus!.waitFor('gateway_circuit_state', (samples) => samples.length === 3);
    expect(circuits.map(({ metric }) => metric.competitor).sort()).toEqual([...COMPETITORS]);
  });

  it('loads rules.yml and evaluates every rule without error, each with a severity and a summary', async () => {
    const loaded = await eventually(
      'every rule evaluated',
      rules,
      (all) => all.length === ALERTS.length && all.every((rule) => !rule.lastEvaluation.startsWith('0001-')),
    );
    expect(loaded.map((rule) => rule.name).sort()).toEqual([...ALERTS].sort());
    for (const rule of loaded) {
      expect({ name: rule.name, type: rule.type, health: rule.health, lastError: rule.lastError ?? '' }).toEqual({
        name: rule.name,
        type: 'alerting',
        health: 'ok',
        lastError: '',
      });
      expect({ name: rule.name, severity: rule.labels.severity }).toEqual({ name: rule.name, severity: expect.stringMatching(/^(critical|warning)$/) });
      expect(rule.annotations.summary).toMatch(/\{\{ \$labels\.service \}\}/);
    }
  });

  it('names in every rule and dashboard query only metrics the services expose on /metrics', async () => {
    const exposed = new Map<string, string>();
    for (const name of ['gateway', ...COMPETITORS] as const) for (const [family, type] of exposedMetrics(await scrape(name))) exposed.set(family, type);
    // The sandbox pool has run: its metrics are there with series, not only declared.
    const fast = await scrape('fast');
    expect(fast).toMatch(/^sandbox_calls_total\{tool="calc",outcome="ok"\} 1$/m);
    expect(fast).toMatch(/^sandbox_lines_total \d+$/m);
    expect(fast).toMatch(/^sandbox_spawn_duration_seconds_count 1$/m);

    const queries: NamedQuery[] = (await rules()).map((rule) => ({ where: `rules.yml ${rule.name}`, expr: rule.query }));
    const dashboards = loadDashboards();
    expect([...dashboards.keys()]).toEqual(['overview.json', 'sandbox.json', 'streaming.json']);
    for (const [file, dashboard] of dashboards) queries.push(...dashboardQueries(file, dashboard));
    expect(queries.length).toBeGreaterThan(30);
    expect(unknownMetrics(queries, exposed, SCRAPE_SERIES)).toEqual([]);
  });

  it("runs every dashboard query through Prometheus's parser, and the main panels have data", async () => {
    const dashboards = loadDashboards();
    const failures: string[] = [];
    for (const [file, dashboard] of dashboards) {
      for (const { where, expr } of dashboardQueries(file, dashboard)) {
        try {
          await prometheus!.query(withGrafanaVariables(expr, '1m'));
        } catch (error) {
          failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    const overview = dashboardQueries('overview.json', dashboards.get('overview.json')!);
    const requestRate = overview.find((query) => query.where.includes('"Request rate"'))!;
    // Requests while Prometheus watches, so the rate is above zero.
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        await (await fetch(`http://${addresses.gateway}/v1/models`)).arrayBuffer();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      const rates = await prometheus!.waitFor(withGrafanaVariables(requestRate.expr, '1m'), (samples) => samples.some((sample) => sample.value > 0));
      expect(rates.find((sample) => sample.value > 0)?.metric).toEqual({ service: 'gateway' });
    } finally {
      sending = false;
      await traffic;
    }
  });

  it('puts TargetDown in pending for a competitor that stops, its summary naming it', async () => {
    const flaky = services.get('flaky')!;
    await stopServices([flaky], 5_000);
    const down = await prometheus!.waitFor('up == 0', (samples) => samples.length === 1);
    expect(down[0]?.metric).toMatchObject({ service: 'competitor', competitor: 'flaky' });
    const alerts = await eventually(
      'TargetDown pending',
      async () => (await api<{ alerts: ApiAlert[] }>(prometheus!, '/api/v1/alerts')).alerts.filter((alert) => alert.labels.alertname === 'TargetDown'),
      (found) => found.length > 0,
    );
    expect(alerts).toEqual([
      {
        labels: { alertname: 'TargetDown', severity: 'critical', job: 'competitor', instance: addresses.flaky, service: 'competitor', competitor: 'flaky' },
        annotations: { summary: `competitor flaky (${addresses.flaky}) is down: Prometheus cannot scrape it` },
        state: 'pending',
        activeAt: expect.any(String),
        value: expect.any(String),
      },
    ]);
  });
});
