import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alertNames, alertTestCases, PROMETHEUS_DIR, prometheusTree, type PrometheusTree } from '../support/monitoring';
import { describeWithBinary, systemBinary } from '../support/systemBinary';

/**
 * infra/prometheus checked by the real promtool: the scrape config as committed (with the
 * admin token where `npm start` writes it), the alert rules, and their unit tests, which must
 * make every alert fire once and stay silent once.
 */

const RULES = path.join(PROMETHEUS_DIR, 'rules.yml');
const RULE_TESTS = path.join(PROMETHEUS_DIR, 'rules.test.yml');

interface Run {
  readonly code: number;
  readonly output: string;
}

function promtool(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(systemBinary('promtool') ?? 'promtool', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && typeof error.code !== 'number') {
        reject(new Error(`promtool ${args.join(' ')}: ${error.message}\n${output}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, output });
    });
  });
}

describeWithBinary('promtool', 'infra/prometheus under promtool', () => {
  const alerts = alertNames(fs.readFileSync(RULES, 'utf8'));
  const trees: PrometheusTree[] = [];
  afterEach(() => {
    for (const tree of trees.splice(0)) tree.remove();
  });
  const tree = (token: string | undefined): PrometheusTree => {
    const created = prometheusTree({ token });
    trees.push(created);
    return created;
  };

  it('finds the alerts the issue asks for in rules.yml', () => {
    expect(alerts).toEqual([
      'HttpErrorRateHigh',
      'HttpLatencyHigh',
      'TargetDown',
      'HealthCheckFailing',
      'StreamsDropped',
      'TimeToFirstTokenHigh',
      'CircuitBreakerOpen',
      'StreamParseErrors',
      'SandboxCrashing',
      'SandboxParseErrors',
    ]);
  });

  it('check config: prometheus.yml is valid as committed, with its rule file and the token npm start writes', async () => {
    const { code, output } = await promtool('check', 'config', tree('a-token-like-npm-start-writes').configFile);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS: 1 rule files found') });
    expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('check config: fails naming .sightline/admin-token when the token file is missing', async () => {
    const { code, output } = await promtool('check', 'config', tree(undefined).configFile);
    expect(code).toBe(1);
    expect(output).toMatch(/\.sightline\/admin-token.*no such file/);
  });

  it('check rules: rules.yml is valid', async () => {
    const { code, output } = await promtool('check', 'rules', RULES);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`SUCCESS: ${alerts.length} rules found`) });
  });

  it('test rules: every case of rules.test.yml passes', async () => {
    const { code, output } = await promtool('test', 'rules', RULE_TESTS);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('rules.test.yml has, for every alert, a case where it fires and one where it stays silent', () => {
    const cases = alertTestCases(fs.readFileSync(RULE_TESTS, 'utf8'));
    for (const alert of alerts) {
      const mine = cases.filter((entry) => entry.alertname === alert);
      expect({ alert, fires: mine.some((entry) => entry.fires), silent: mine.some((entry) => !entry.fires) }).toEqual({
        alert,
        fires: true,
        silent: true,
      });
    }
    expect(cases.map((entry) => entry.alertname).filter((name) => !alerts.includes(name))).toEqual([]);
  });

  it('test rules fails for each alert renamed away: its firing case really expects it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sightline-rules-'));
    try {
      const rules = fs.readFileSync(RULES, 'utf8');
      fs.copyFileSync(RULE_TESTS, path.join(dir, 'rules.test.yml'));
      for (const alert of alerts) {
        fs.writeFileSync(path.join(dir, 'rules.yml'), rules.replace(`- alert: ${alert}\n`, `- alert: ${alert}Renamed\n`));
        const { code, output } = await promtool('test', 'rules', path.join(dir, 'rules.test.yml'));
        expect({ alert, code }).toEqual({ alert, code: 1 });
        expect(output).toContain(`alertname: ${alert}, time:`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
