import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipelineSmoke } from '../../scripts/pipelineSmoke';
import { commandStep, exitCodeOf, formatSummary, localTool, runSteps, selectSteps, toolStep, type Step } from '../../scripts/steps';
import { testAll, testAllSteps } from '../../scripts/testAll';
import { promtoolSteps, verifyComplete } from '../../scripts/verifyComplete';
import { captureOutput, REPO_ROOT, runScript } from '../support/operatorCommand';
import { describeWithBinary, systemBinary } from '../support/systemBinary';

/**
 * The step runner shared by `verify-complete` and `test-all`, their step lists, and the
 * pipeline smoke step, with real child processes (node, promtool, the services).
 */

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'operator-steps-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const node = (name: string, code: string): Step => commandStep(name, `node -e ${code}`, process.execPath, ['-e', code], { cwd: REPO_ROOT });

describe('the step runner', () => {
  it('runs every step even after a failure, times each, and exits 1 when one failed', async () => {
    let clock = 0;
    const written: string[] = [];
    const results = await runSteps(
      [
        node('passes', 'console.log("all good")'),
        node('fails', 'console.error("broken thing"); process.exit(3)'),
        { name: 'skips', description: 'nothing to do', run: async () => ({ status: 'skip', detail: 'no files' }) },
        {
          name: 'throws',
          description: 'a step that throws',
          run: async () => {
            throw new Error('step blew up');
          },
        },
        { name: 'slow', description: 'takes 2.5 s on the fake clock', run: async () => ((clock += 2500), { status: 'pass' }) },
      ],
      { write: (text) => written.push(text), now: () => clock },
    );
    expect(results.map(({ name, status, detail }) => ({ name, status, detail }))).toEqual([
      { name: 'passes', status: 'pass', detail: '' },
      { name: 'fails', status: 'fail', detail: `${path.basename(process.execPath)} exited with code 3` },
      { name: 'skips', status: 'skip', detail: 'no files' },
      { name: 'throws', status: 'fail', detail: 'step blew up' },
      { name: 'slow', status: 'pass', detail: '' },
    ]);
    expect(results[4]!.durationMs).toBe(2500);
    expect(written.join('')).toContain('all good\n');
    expect(written.join('')).toContain('broken thing\n');
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf(results.filter((result) => result.status !== 'fail'))).toBe(0);

    const summary = formatSummary('verify-complete', results).split('\n');
    expect(summary[0]).toBe('verify-complete summary');
    expect(summary[1]).toMatch(/^step +result +duration +detail$/);
    expect(summary).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^passes +PASS +0\.0 s$/),
        expect.stringMatching(/^fails +FAIL +0\.0 s +node exited with code 3$/),
        expect.stringMatching(/^skips +SKIP +0\.0 s +no files$/),
        expect.stringMatching(/^slow +PASS +2\.5 s$/),
      ]),
    );
    expect(summary.at(-1)).toBe('2 passed, 2 failed, 1 skipped in 2.5 s');
  });

  it('fails a step whose command cannot start, naming it', async () => {
    const [result] = await runSteps([commandStep('ghost', 'not installed', path.join(scratch, 'no-such-tool'), [], { cwd: scratch })], { write: () => undefined });
    expect(result).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^no-such-tool could not start: spawn .* ENOENT$/) });
  });

  it('runs a tool of node_modules on the Node running the command, whatever node PATH finds first', async () => {
    const folder = path.join(scratch, 'node_modules', 'some-tool');
    mkdirSync(path.join(folder, 'bin'), { recursive: true });
    writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'some-tool', bin: { 'some-tool': './bin/cli.js' } }));
    writeFileSync(path.join(folder, 'bin', 'cli.js'), '#!/usr/bin/env node\nconsole.log(`on ${process.version} ${process.argv.slice(2).join(" ")}`); process.exitCode = Number(process.argv[3] ?? 0);\n');
    const tool = localTool(scratch, 'some-tool');
    expect(tool).toEqual({ command: process.execPath, args: [path.join(folder, 'bin', 'cli.js')], label: 'some-tool' });
    const written: string[] = [];
    const results = await runSteps(
      [
        // No node on this PATH at all: a `#!/usr/bin/env node` start would fail.
        toolStep('passes', 'some-tool check 0', tool, ['check', '0'], { cwd: scratch, env: { PATH: scratch } }),
        toolStep('fails', 'some-tool check 4', tool, ['check', '4'], { cwd: scratch }),
        toolStep('missing', 'not installed', localTool(scratch, 'typescript', 'tsc'), ['--noEmit'], { cwd: scratch }),
      ],
      { write: (text) => written.push(text) },
    );
    expect(written.join('')).toContain(`on ${process.version} check 0\n`);
    expect(results.map(({ name, status, detail }) => [name, status, detail])).toEqual([
      ['passes', 'pass', ''],
      ['fails', 'fail', 'some-tool exited with code 4'],
      ['missing', 'fail', expect.stringMatching(/^tsc could not start: spawn .*node_modules\/\.bin\/tsc ENOENT$/)],
    ]);
  });

  it('selects steps by name and refuses an unknown one, listing the known', () => {
    const steps = [node('a', '0'), node('b', '0'), node('c', '0')];
    expect(selectSteps(steps, ['c', 'a']).map((step) => step.name)).toEqual(['a', 'c']);
    expect(selectSteps(steps, []).map((step) => step.name)).toEqual(['a', 'b', 'c']);
    expect(() => selectSteps(steps, ['b', 'lint'])).toThrow('unknown step "lint"; steps: a, b, c');
  });
});

describe('verify-complete', () => {
  const names = (steps: readonly Step[]) => steps.map((step) => step.name);

  it('skips the promtool steps when infra/prometheus/ does not exist', async () => {
    const results = await runSteps(promtoolSteps(scratch, '/usr/bin/promtool'), { write: () => undefined });
    expect(results.map(({ name, status, detail }) => [name, status, detail])).toEqual([
      ['promtool-config', 'skip', 'infra/prometheus/ not present'],
      ['promtool-rules', 'skip', 'infra/prometheus/ not present'],
      ['promtool-rule-tests', 'skip', 'infra/prometheus/ not present'],
    ]);
  });

  it('fails each file missing from an existing infra/prometheus/, and every step when promtool is not installed', async () => {
    mkdirSync(path.join(scratch, 'infra', 'prometheus'), { recursive: true });
    writeFileSync(path.join(scratch, 'infra', 'prometheus', 'prometheus.yml'), 'global: {}\n');
    const missing = await runSteps(promtoolSteps(scratch, undefined), { write: () => undefined });
    expect(missing.map(({ status, detail }) => [status, detail])).toEqual([
      ['fail', 'promtool not on PATH (apt-get install prometheus)'],
      ['fail', 'missing infra/prometheus/rules.yml'],
      ['fail', 'missing infra/prometheus/rules.test.yml'],
    ]);
  });

  it('lists its steps, refuses unknown ones with exit 2, and runs only the selected', async () => {
    const listed = captureOutput();
    expect(await verifyComplete(['--list'], listed, scratch)).toBe(0);
    expect(listed.stdout[0]!.split('\n').map((line) => line.split(/\s+/)[0])).toEqual([
      'lint',
      'typecheck',
      'tests',
      'contract-schemas',
      'promtool-config',
      'promtool-rules',
      'promtool-rule-tests',
    ]);
    const unknown = captureOutput();
    expect(await verifyComplete(['--only', 'lint,coverage'], unknown, scratch)).toBe(2);
    expect(unknown.stderr.join('\n')).toContain('unknown step "coverage"');
    const one = captureOutput();
    expect(await verifyComplete(['--only', 'promtool-rules'], one, scratch)).toBe(0);
    expect(one.stdout.at(-1)).toMatch(/promtool-rules +SKIP +0\.0 s +infra\/prometheus\/ not present\n0 passed, 0 failed, 1 skipped in 0\.0 s$/);
    expect(names(testAllSteps(scratch, REPO_ROOT, '.ts'))).toEqual(['unit', 'integration', 'e2e', 'browser', 'smoke']);
  });

  it('exits 2 on a bad command line and lists its steps, as its own process', async () => {
    const [usage, listed] = await Promise.all([runScript('verifyComplete.ts', ['--only', 'everything']), runScript('verifyComplete.ts', ['--list'])]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run verify-complete');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^contract-schemas +schemas\/\*\.schema\.json against real log lines/m);
  }, 60_000);
});

describeWithBinary('promtool', 'verify-complete: promtool steps', () => {
  it('passes valid Prometheus files and fails an invalid one, with promtool output passed through', async () => {
    const folder = path.join(scratch, 'infra', 'prometheus');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: gateway\n    static_configs: [{ targets: ["127.0.0.1:8080"] }]\n');
    writeFileSync(path.join(folder, 'rules.yml'), 'groups:\n  - name: sightline\n    rules:\n      - alert: GatewayDown\n        expr: up{job="gateway"} == 0\n        for: 1m\n');
    writeFileSync(
      path.join(folder, 'rules.test.yml'),
      'rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: up{job="gateway",instance="g"}\n        values: 0 0 0\n    alert_rule_test:\n      - eval_time: 2m\n        alertname: GatewayDown\n        exp_alerts:\n          - exp_labels: { job: gateway, instance: g }\n',
    );
    const written: string[] = [];
    const passing = await runSteps(promtoolSteps(scratch, systemBinary('promtool')), { write: (text) => written.push(text) });
    expect(passing.map(({ name, status }) => [name, status])).toEqual([
      ['promtool-config', 'pass'],
      ['promtool-rules', 'pass'],
      ['promtool-rule-tests', 'pass'],
    ]);
    expect(written.join('')).toContain('SUCCESS');

    writeFileSync(path.join(folder, 'rules.yml'), 'groups:\n  - name: sightline\n    rules:\n      - alert: Broken\n        expr: up{job=\n');
    const failing = await runSteps(promtoolSteps(scratch, systemBinary('promtool')), { write: () => undefined });
    expect(failing.map(({ status }) => status)).toEqual(['fail', 'fail', 'fail']);
    expect(failing[1]!.detail).toBe('promtool exited with code 1');
  });
});

describe('test-all', () => {
  it('skips a test folder that holds no test, and lists its steps', async () => {
    mkdirSync(path.join(scratch, 'test', 'unit'), { recursive: true });
    writeFileSync(path.join(scratch, 'test', 'unit', 'a.test.ts'), '');
    const steps = testAllSteps(scratch, REPO_ROOT, '.ts');
    const results = await runSteps(steps.filter((step) => ['e2e', 'browser'].includes(step.name)), { write: () => undefined });
    expect(results.map(({ name, status, detail }) => [name, status, detail])).toEqual([
      ['e2e', 'skip', 'no tests in test/e2e/'],
      ['browser', 'skip', 'no tests in test/browser/'],
    ]);
    const listed = captureOutput();
    expect(await testAll(['--list'], listed, scratch)).toBe(0);
    expect(listed.stdout[0]).toMatch(/^smoke +start gateway and competitors as npm start does/m);
    const bad = captureOutput();
    expect(await testAll(['unit'], bad, scratch)).toBe(2);
    expect(bad.stderr.join('\n')).toContain('unexpected argument "unit"');
  });

  it('smoke: starts the pipeline as npm start does, checks readiness and one streamed completion, and stops it', async () => {
    const written: string[] = [];
    const verdict = await runPipelineSmoke({ appRoot: REPO_ROOT, extension: '.ts', write: (text) => written.push(text) });
    expect({ verdict, written: written.join('') }).toEqual({
      verdict: { status: 'pass', detail: expect.stringMatching(/^\/health\/ready 200; streamed completion of \d+ chunks in \d+ ms$/) },
      written: expect.stringContaining('GET /health/ready: 200'),
    });
  }, 120_000);

  it('smoke: fails naming the service that could not start, with its last lines', async () => {
    const written: string[] = [];
    const verdict = await runPipelineSmoke({ appRoot: scratch, extension: '.ts', write: (text) => written.push(text), readyTimeoutMs: 20_000 });
    expect(verdict).toEqual({ status: 'fail', detail: expect.stringMatching(/^competitor-\w+ exited before it was ready$/) });
    expect(written.join('')).toContain('last service lines:');
  }, 60_000);
});
