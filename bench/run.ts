import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { BEFORE_ENTRY_VARIABLE, prepareBeforeBuild, type BeforeBuild } from './beforeBuild';
import { compareBuilds } from './comparison';
import { measureVariant, type Sample } from './measure';
import { checkVariant, describeCheck, type LogCheck } from './preflight';
import {
  consoleComparisons,
  consoleParts,
  consoleTable,
  consoleVerdicts,
  writeRawJson,
  writeResultsMarkdown,
  type BenchReport,
  type RunInfo,
} from './report';
import { cpusAllowed } from './serverProcess';
import { readSettings, SETTING_VARIABLES, type BenchSettings } from './settings';
import { costPerPart, failuresOf, summarise, type VariantSummary } from './summary';
import { judgeTargets } from './targets';
import { BASELINE, BEFORE_SUFFIX, VARIANT_NAMES } from './variants';

const PINNED_FLAG = 'BENCH_RUNNER_PINNED';
const MIN_SERVER_CPU_SHARE = 0.9;
const MAX_LOAD_CPU_SHARE = 0.9;
const WIDE_SPREAD = 0.1;
const MAX_STEAL_SHARE = 0.05;
const NAME_WIDTH = Math.max(...VARIANT_NAMES.map((name) => name.length)) + BEFORE_SUFFIX.length;

/** The load generator must not share a core with the server; re-running under taskset is the portable way. */
function ensureRunnerPinned(core: number): void {
  if (cpusAllowed('self') === String(core)) return;
  if (process.env[PINNED_FLAG] === '1') {
    throw new Error(`runner is allowed on cores ${cpusAllowed('self')} even under taskset -c ${core}`);
  }
  const child = spawnSync(
    'taskset',
    ['-c', String(core), process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [PINNED_FLAG]: '1' } },
  );
  if (child.error !== undefined) throw child.error;
  process.exit(child.status ?? 1);
}

function projectRoot(): string {
  let directory = __dirname;
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('no package.json above bench/');
    directory = parent;
  }
  return directory;
}

function commandLine(): string {
  const overrides = SETTING_VARIABLES.filter((name) => (process.env[name] ?? '') !== '').map(
    (name) => `${name}=${process.env[name] ?? ''}`,
  );
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'node dist/bench/run.js';
  return [...overrides, command].join(' ');
}

function installedVersion(root: string, name: string): string {
  const file = path.join(root, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return 'not installed';
  return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version);
}

function packageVersions(root: string): Record<string, string> {
  const names = [
    'express',
    'winston',
    'express-prom-bundle',
    'prom-client',
    '@opentelemetry/sdk-trace',
    '@opentelemetry/instrumentation-http',
    '@opentelemetry/instrumentation-express',
    'pino-http',
    'cls-hooked',
    'autocannon',
  ];
  return Object.fromEntries(names.map((name) => [name, installedVersion(root, name)]));
}

function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function checkAllVariants(settings: BenchSettings): Promise<LogCheck[]> {
  const checks: LogCheck[] = [];
  for (const variant of settings.variants) {
    const check = await checkVariant(variant, settings);
    console.log(describeCheck(check));
    checks.push(check);
  }
  return checks;
}

function describeSample(sample: Sample, rounds: number): string {
  return [
    `[round ${sample.round + 1}/${rounds}] ${sample.variant.padEnd(NAME_WIDTH)}`,
    `${sample.requestsPerSecond.toFixed(0).padStart(6)} req/s`,
    `p99 ${sample.latencyP99Ms} ms`,
    `${sample.serverCpuMicrosPerRequest.toFixed(1)} µs CPU/req`,
    `server core ${percent(sample.serverCpuShare)}`,
    `loader core ${percent(sample.loadCpuShare)}`,
    `steal ${percent(sample.serverCoreStealShare)}`,
    sample.spans === undefined ? '' : `${spansPerRequest(sample).toFixed(2)} spans/req`,
    failuresOf(sample) > 0 ? `FAILURES ${failuresOf(sample)}` : '',
  ]
    .filter((part) => part !== '')
    .join('  ');
}

async function measureRounds(settings: BenchSettings): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    for (const variant of rotated(settings.variants, round)) {
      const sample = await measureVariant(variant, round, settings);
      console.log(describeSample(sample, settings.rounds));
      samples.push(sample);
    }
  }
  return samples;
}

function spansPerRequest(sample: Sample): number {
  return (sample.spans ?? 0) / sample.servedRequests;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

function sampleWarnings(samples: readonly Sample[]): string[] {
  const warnings: string[] = [];
  for (const s of samples) {
    const where = `${s.variant} (round ${s.round + 1})`;
    if (failuresOf(s) > 0) {
      const counts = `${s.non2xx} non-2xx, ${s.errors} errors, ${s.timeouts} timeouts`;
      warnings.push(`${where}: ${counts}, ${s.warmupFailures} failures in warm-up.`);
    }
    if (s.serverCpuShare < MIN_SERVER_CPU_SHARE) {
      const share = percent(s.serverCpuShare);
      warnings.push(`${where}: the server used ${share} of core 0 (starved by other work, or not the bottleneck).`);
    }
    if (s.loadCpuShare > MAX_LOAD_CPU_SHARE) {
      const share = percent(s.loadCpuShare);
      warnings.push(`${where}: the load generator used ${share} of core 1 and may have set the pace.`);
    }
    if (s.serverCoreStealShare > MAX_STEAL_SHARE) {
      warnings.push(`${where}: the hypervisor took ${percent(s.serverCoreStealShare)} of core 0 for other guests.`);
    }
    if (s.spans !== undefined && spansPerRequest(s) < 1) {
      const ratio = spansPerRequest(s).toFixed(2);
      warnings.push(`${where}: ${s.spans} spans exported for ${s.servedRequests} requests (${ratio} each): spans were dropped.`);
    }
    const contained = (s.logStats?.transportErrors ?? 0) + (s.logStats?.formatErrors ?? 0);
    if (contained > 0) warnings.push(`${where}: sightline contained ${contained} transport or format errors.`);
  }
  return warnings;
}

function spreadWarnings(summaries: readonly VariantSummary[], samples: readonly Sample[]): string[] {
  const warnings: string[] = [];
  const bare = samples.filter((s) => s.variant === BASELINE).map((s) => s.requestsPerSecond);
  const bareSpread = (Math.max(...bare) - Math.min(...bare)) / Math.min(...bare);
  if (bareSpread > WIDE_SPREAD) {
    const values = bare.map((v) => v.toFixed(0)).join(', ');
    warnings.push(`\`bare\` itself varied by ${percent(bareSpread)} across rounds (${values} req/s): a noisy machine.`);
  }
  for (const s of summaries) {
    if (s.variant !== BASELINE && s.maxRoundRatio - s.minRoundRatio > WIDE_SPREAD) {
      const range = `${s.minRoundRatio.toFixed(3)}–${s.maxRoundRatio.toFixed(3)}`;
      warnings.push(`${s.variant}: per-round ratios spread ${range}; its median ratio is that uncertain.`);
    }
  }
  return warnings;
}

/** Builds the earlier commit and hands its entry to every server process this runner starts. */
function useBeforeBuild(root: string, ref: string): BeforeBuild {
  const build = prepareBeforeBuild(root, ref);
  process.env[BEFORE_ENTRY_VARIABLE] = build.entry;
  console.log(`before: ${build.commit.slice(0, 12)} ${build.subject}\n  entry ${path.relative(root, build.entry)}`);
  return build;
}

async function main(): Promise<void> {
  const settings = readSettings();
  ensureRunnerPinned(settings.loadCore);
  const root = projectRoot();
  const before = settings.before === undefined ? undefined : useBeforeBuild(root, settings.before);
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  console.log(
    `sightline overhead bench on Node ${process.version}: ${settings.variants.join(', ')}; ${settings.rounds} rounds, ` +
      `${settings.warmupSeconds} s warm-up + ${settings.seconds} s each, ${settings.connections} connections; ` +
      `server on core ${settings.serverCore}, load generator on core ${cpusAllowed('self')}`,
  );
  const logChecks = await checkAllVariants(settings);
  const samples = await measureRounds(settings);
  const summaries = summarise(samples, settings.variants);
  const verdicts = judgeTargets(summaries, samples);
  const comparisons = compareBuilds(summaries, samples);
  const partCosts = costPerPart(summaries, samples);
  const info: RunInfo = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: commandLine(),
    node: process.version,
    packages: packageVersions(root),
    settings,
    loadAverage: { start: loadAtStart, end: loadavg() },
    before,
  };
  const warnings = [...sampleWarnings(samples), ...spreadWarnings(summaries, samples)];
  const report: BenchReport = { info, logChecks, samples, summaries, partCosts, verdicts, comparisons, warnings };
  const rawFile = writeRawJson(path.join(root, 'bench', 'out'), report);
  const failures = samples.reduce((sum, s) => sum + failuresOf(s), 0);

  console.log(`\n${consoleTable(summaries)}\n\n${consoleVerdicts(verdicts)}`);
  if (comparisons.length > 0) console.log(`\nBefore and after\n${consoleComparisons(comparisons)}`);
  if (partCosts.length > 0) console.log(`\nCost per part\n${consoleParts(partCosts)}`);
  for (const warning of warnings) console.log(`warning: ${warning}`);
  console.log(`\nraw samples: ${path.relative(root, rawFile)}`);
  if (failures > 0) {
    console.error(`\nFAILED: ${failures} failed requests (non-2xx, errors, timeouts); bench/RESULTS.md unchanged.`);
    process.exitCode = 1;
    return;
  }
  writeResultsMarkdown(path.join(root, 'bench', 'RESULTS.md'), report, path.relative(root, rawFile));
  console.log('results written to bench/RESULTS.md');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
