import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { consoleSummary } from './consoleSummary';
import { measureJson, type JsonSample } from './jsonRate';
import { checkGatewayObservability, type ObservabilityCheck } from './preflight';
import { coreTimes, cpusAllowed, haveCommand, type RunningChild } from './processes';
import { profileGatewayJson, profileGatewayStreams, type ProfileSummary } from './profile';
import { writeRawJson, writeResultsMarkdown, type RunInfo, type StreamsReport } from './report';
import { assertBuilt, LoadClient, pathTarget, PROJECT_ROOT, startPhaseUpstream, startRelays, stopRelays, type Group, type UpstreamOptions } from './services';
import { PATH_NAMES, readSettings, SETTING_VARIABLES, type PathName, type StreamsSettings } from './settings';
import { GATEWAY_SOCKETS_PER_COMPETITOR, measureSlowStreams, type SlowSample } from './slowStreams';
import { measureStreams, wavePlan, streamBody, type StreamSample } from './streamMatrix';
import { jsonCells, judgeTargets, streamCells, type JsonCell, type StreamCell } from './summary';
import { ms } from './stats';

const PINNED_FLAG = 'BENCH_STREAMS_RUNNER_PINNED';
/** The competitor delivers far fewer frames a second than 1000 × 200: at high concurrency its answers are shorter. */
const COMPETITOR_SHORT_TOKENS = 100;
const COMPETITOR_SHORT_ABOVE = 100;
const SINGLE_COMPETITOR_HOLD_SECONDS = 2;
/** Streams beyond one competitor's connection cap in the single-competitor run. */
const SINGLE_COMPETITOR_EXTRA = 200;
const BUSY_CLIENT_CORES = 0.9;
/** Below this share of the nominal frame rate on the direct path, the upstream side is called overloaded. */
const SLOW_UPSTREAM_SHARE = 0.8;
const HIGH_LOAD = 1.5;
/** Relay and upstream side both below this many cores, yet fewer frames than direct: something else held the machine. */
const IDLE_CORE = 0.85;
const LAGGING_SHARE = 0.9;
const MAX_STEAL_SHARE = 0.05;

/** The runner (and autocannon in it) shares the load generator's core; re-running under taskset is the portable way. */
function ensureRunnerPinned(core: number | undefined): void {
  if (core === undefined || cpusAllowed('self') === String(core)) return;
  if (process.env[PINNED_FLAG] === '1') throw new Error(`runner is allowed on cores ${cpusAllowed('self')} even under taskset -c ${core}`);
  const child = spawnSync('taskset', ['-c', String(core), process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_FLAG]: '1' },
  });
  if (child.error !== undefined) throw child.error;
  process.exit(child.status ?? 1);
}

function commandLine(): string {
  const overrides = SETTING_VARIABLES.filter((name) => (process.env[name] ?? '') !== '').map((name) => `${name}=${process.env[name] ?? ''}`);
  const command = process.env.npm_lifecycle_event === 'bench:streams' ? 'npm run bench:streams' : 'node dist/bench/streams/run.js';
  return [...overrides, command].join(' ');
}

function installedVersion(name: string): string {
  const file = path.join(PROJECT_ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return 'not installed';
  return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version);
}

/** The commit measured, and whether the code the bench runs had uncommitted changes. */
function sourceVersion(): string {
  const git = (args: string[]): string => spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git(['rev-parse', '--short', 'HEAD']);
  if (commit === '') return 'unknown (no git)';
  const dirty = git(['status', '--porcelain', '--', 'src', 'middleware', 'gateway', 'competitor']) !== '';
  return dirty ? `${commit} with uncommitted changes in src/, middleware/, gateway/ or competitor/` : commit;
}

function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

interface Phase {
  readonly upstream: UpstreamOptions;
  readonly counts: readonly number[];
  /** Non-streaming measurements on this phase's processes. */
  readonly json: boolean;
}

/**
 * The raw upstream serves every concurrency from one process. The competitor's answer length
 * is fixed per process: full-length answers where it keeps up, short ones at one stream (more
 * TTFB samples) and above 100 streams (where 1000 × 400 tokens would take ~20 s a wave).
 * Its non-streaming rate needs a competitor without token delays, a phase of its own.
 */
function phases(settings: StreamsSettings): Phase[] {
  const list: Phase[] = [];
  const json = settings.jsonSeconds > 0;
  if (settings.upstreams.includes('raw')) list.push({ upstream: { kind: 'raw', timing: 'stream' }, counts: settings.counts, json });
  if (settings.upstreams.includes('competitor')) {
    const short = settings.counts.filter((n) => n === 1 || n > COMPETITOR_SHORT_ABOVE);
    const full = settings.counts.filter((n) => !short.includes(n));
    if (short.length > 0) list.push({ upstream: { kind: 'competitor', timing: 'stream', competitorTokens: COMPETITOR_SHORT_TOKENS }, counts: short, json: false });
    if (full.length > 0) list.push({ upstream: { kind: 'competitor', timing: 'stream', competitorTokens: settings.events }, counts: full, json: false });
    if (json) list.push({ upstream: { kind: 'competitor', timing: 'instant' }, counts: [], json: true });
  }
  return list;
}

function describeSample(s: StreamSample, rounds: number): string {
  const relay = s.relayCores === undefined ? '' : `  relay ${s.relayCores.toFixed(2)} cores ${s.relayCpuMicrosPerFrame?.toFixed(1) ?? '–'} µs/frame ${s.relayPeakRssMb?.toFixed(0) ?? '–'} MB`;
  const failed = s.failed + s.warmupFailed > 0 ? `  FAILED ${JSON.stringify(s.failures)} (+${s.warmupFailed} warm-up)` : '';
  return (
    `[round ${s.round + 1}/${rounds}] ${s.upstream.padEnd(10)} ${String(s.streams).padStart(4)} ${s.path.padEnd(7)} ` +
    `TTFB ${ms(s.ttfbP50Ms)}/${ms(s.ttfbP99Ms)} ms  gap ${ms(s.gapP50Ms)}/${ms(s.gapP99Ms)} ms  ` +
    `${s.framesPerSecond.toFixed(0)} frames/s${relay}  upstream ${s.upstreamCores.toFixed(2)} client ${s.clientCores.toFixed(2)}${failed}`
  );
}

/** A few short waves on the given paths, so no process is measured while its code is still cold. */
async function warm(group: Group, paths: readonly PathName[], client: LoadClient, settings: StreamsSettings): Promise<void> {
  const streams = Math.min(100, Math.max(...settings.counts));
  const plan = wavePlan(group, streams, settings);
  for (const pathName of paths) {
    await client.reset();
    await client.waves(
      {
        port: pathTarget(group, pathName).port,
        path: '/v1/chat/completions',
        bodies: [streamBody(group.upstreamName, plan.warmupEvents, settings.intervalMs)],
        streams,
        waves: group.upstreamName === 'raw' ? 3 : 1,
        rampBatch: 0,
        rampIntervalMs: 0,
        expectDone: true,
      },
      120_000,
    );
  }
}

interface Collected {
  readonly samples: StreamSample[];
  readonly json: JsonSample[];
  readonly slow: SlowSample[];
  readonly profiles: ProfileSummary[];
  observability: ObservabilityCheck | undefined;
  readonly competitorTokens: Record<string, number>;
}

function describeJson(sample: JsonSample, rounds: number): string {
  return (
    `[round ${sample.round + 1}/${rounds}] ${sample.upstream.padEnd(10)} json ${sample.path.padEnd(7)} ${sample.requestsPerSecond.toFixed(0)} req/s` +
    `  p99 ${sample.latencyP99Ms} ms${sample.relayCpuMicrosPerRequest === undefined ? '' : `  relay ${sample.relayCpuMicrosPerRequest.toFixed(1)} µs/req`}` +
    `  runner ${sample.loadCores.toFixed(2)} cores${sample.non2xx + sample.errors > 0 ? `  FAILED ${sample.non2xx} non-2xx ${sample.errors} errors` : ''}`
  );
}

/**
 * One upstream for the whole phase; every round starts a fresh naive proxy and gateway, warms
 * them up, and measures the three paths at each concurrency (order rotated), then the
 * non-streaming rate. Fresh relays per round keep rounds independent and each relay's peak
 * RSS its own: a process keeps the heap a larger earlier measurement grew.
 */
async function runPhase(phase: Phase, client: LoadClient, settings: StreamsSettings, collected: Collected): Promise<void> {
  const tokens = phase.upstream.competitorTokens === undefined ? '' : `, ${phase.upstream.competitorTokens}-token answers`;
  console.log(`\n== ${phase.upstream.kind} upstream${phase.upstream.timing === 'instant' ? ' (instant, non-streaming)' : tokens}`);
  const upstream = await startPhaseUpstream(phase.upstream, settings);
  try {
    if (phase.counts.length > 0 && collected.observability === undefined && phase.upstream.kind === 'raw') {
      collected.observability = await checkGatewayObservability(upstream, client, settings);
      const o = collected.observability;
      console.log(`observability check: ${o.streamLines} stream lines for ${o.streamsSent} streams, ${o.jsonLines} for ${o.jsonSent} requests${o.ok ? '' : `: ${o.problem ?? ''}`}`);
    }
    for (const n of phase.counts) if (upstream.competitorTokens !== undefined) collected.competitorTokens[String(n)] = upstream.competitorTokens;
    let turn = 0;
    for (let round = 0; round < settings.rounds; round += 1) {
      const group = await startRelays(upstream, settings);
      try {
        if (phase.counts.length > 0) {
          await warm(group, round === 0 ? PATH_NAMES : ['naive', 'gateway'], client, settings);
          for (const streams of phase.counts) {
            for (const pathName of rotated<PathName>(PATH_NAMES, turn)) {
              const sample = await measureStreams(group, pathName, streams, round, client, settings);
              console.log(describeSample(sample, settings.rounds));
              collected.samples.push(sample);
            }
            turn += 1;
          }
        }
        if (phase.json) {
          for (const pathName of rotated<PathName>(PATH_NAMES, round)) {
            const sample = await measureJson(group, pathName, round, settings);
            console.log(describeJson(sample, settings.rounds));
            collected.json.push(sample);
          }
        }
      } finally {
        await stopRelays(group);
        reportStderr([group.naive, group.gateway]);
      }
    }
  } finally {
    await upstream.upstream.stop();
    reportStderr([upstream.upstream]);
  }
}

function reportStderr(children: readonly RunningChild[]): void {
  for (const child of children) {
    const stderr = child.stderr().trim();
    if (stderr !== '') console.log(`${child.name} stderr: ${stderr.slice(-500)}`);
  }
}

function warningsOf(report: Omit<StreamsReport, 'warnings' | 'info'>, info: Omit<RunInfo, 'finishedAt' | 'durationSeconds'>): string[] {
  const warnings: string[] = [];
  for (const c of report.cells) {
    if (c.failed + c.warmupFailed > 0) {
      const what = Object.entries(c.failures).map(([k, n]) => `${n} ${k}`).join(', ');
      warnings.push(`${c.upstream}, ${c.streams} streams, ${c.path}: ${c.failed} failed streams over ${c.rounds} rounds (${what || 'warm-up only'})${c.warmupFailed > 0 ? `, ${c.warmupFailed} in warm-up` : ''}.`);
    }
    if (c.path === 'direct' && c.streams > 1) {
      const nominal = (c.streams * 1000) / info.settings.intervalMs;
      const share = c.framesPerSecond.median / nominal;
      if (share < SLOW_UPSTREAM_SHARE) {
        warnings.push(
          `${c.upstream} upstream, ${c.streams} streams: the upstream and the load generator (together ${(c.upstreamCores.median + c.clientCores.median).toFixed(2)} ` +
            `cores of their core) delivered ${c.framesPerSecond.median.toFixed(0)} frames/s directly, ${(share * 100).toFixed(0)}% of the nominal ${nominal.toFixed(0)}: ` +
            'at this concurrency every path measures an overloaded machine, and the relays are compared under that load.',
        );
      }
    }
    if (c.clientCores.median > BUSY_CLIENT_CORES) {
      warnings.push(`${c.upstream}, ${c.streams} streams, ${c.path}: the load generator used ${c.clientCores.median.toFixed(2)} cores; it may have set the pace.`);
    }
  }
  for (const s of report.samples) {
    const direct = report.samples.find((d) => d.upstream === s.upstream && d.streams === s.streams && d.round === s.round && d.path === 'direct');
    const otherCore = s.upstreamCores + s.clientCores;
    if (s.relayCores !== undefined && direct !== undefined && s.relayCores < IDLE_CORE && otherCore < IDLE_CORE && s.framesPerSecond < LAGGING_SHARE * direct.framesPerSecond) {
      warnings.push(
        `${s.upstream}, ${s.streams} streams, ${s.path}, round ${s.round + 1}: ${s.framesPerSecond.toFixed(0)} frames/s against ${direct.framesPerSecond.toFixed(0)} direct, ` +
          `yet the relay used ${s.relayCores.toFixed(2)} cores and the upstream with the load generator ${otherCore.toFixed(2)}: no core of the bench was the limit, ` +
          'so something outside it (another guest on the host?) may have slowed this measurement.',
      );
    }
  }
  for (const s of report.slow) {
    if (s.failed > 0) {
      const relay = s.relay === 'naive' ? 'naive proxy' : `gateway, ${s.competitorIds} competitor id${s.competitorIds === 1 ? '' : 's'}`;
      warnings.push(`slow streams (${relay}): ${s.failed} of ${s.streams} failed (${Object.entries(s.failures).map(([k, n]) => `${n} ${k}`).join(', ')}).`);
    }
  }
  for (const c of report.jsonCells) if (c.failed > 0) warnings.push(`non-streaming, ${c.upstream}, ${c.path}: ${c.failed} failed requests.`);
  if (report.observability !== undefined && !report.observability.ok) warnings.push(`observability check: ${report.observability.problem ?? ''}`);
  if ((info.loadAverage.start[0] ?? 0) > HIGH_LOAD) warnings.push(`load average was ${info.loadAverage.start[0]?.toFixed(2)} at start: other work shared the machine.`);
  for (const [core, share] of Object.entries(info.stealShare)) {
    if (share > MAX_STEAL_SHARE) warnings.push(`the hypervisor took ${(share * 100).toFixed(1)}% of core ${core} for other guests.`);
  }
  return warnings;
}

/**
 * Slow streams through the gateway and the naive proxy, then (`BENCH_STREAMS_CAP=1`) through
 * the gateway with one competitor id, past its connection cap.
 */
async function runSlowStreams(client: LoadClient, settings: StreamsSettings, collected: Collected): Promise<void> {
  console.log(`\n== ${settings.slowStreams} slow streams`);
  const single = Math.min(settings.slowStreams, GATEWAY_SOCKETS_PER_COMPETITOR + SINGLE_COMPETITOR_EXTRA);
  const runs: [relay: 'gateway' | 'naive', streams: number, hold: number, options: { competitorIds?: number }][] = [
    ['gateway', settings.slowStreams, settings.slowHoldSeconds, {}],
    ['naive', settings.slowStreams, settings.slowHoldSeconds, {}],
  ];
  if (settings.capRun && single > GATEWAY_SOCKETS_PER_COMPETITOR) runs.push(['gateway', single, SINGLE_COMPETITOR_HOLD_SECONDS, { competitorIds: 1 }]);
  for (const [relay, streams, hold, options] of runs) {
    const sample = await measureSlowStreams(relay, streams, hold, client, settings, options);
    console.log(
      `${relay}${relay === 'gateway' ? ` (${sample.competitorIds} competitor ids)` : ''}: ${sample.held}/${sample.streams} held ${sample.holdSeconds.toFixed(1)} s ` +
        `(all receiving after ${sample.openSeconds.toFixed(1)} s), failed ${JSON.stringify(sample.failures)}, RSS idle ${sample.idleRssMb.toFixed(0)} MB, ` +
        `held ${sample.holdRssMb.toFixed(0)} MB, peak ${sample.peakRssMb.toFixed(0)} MB, ${sample.relayCores.toFixed(2)} cores, ` +
        `TTFB p50 ${ms(sample.ttfbP50Ms)} ms, max gap p50 ${ms(sample.gapP50Ms)} ms, open files ${sample.openFilesLimit}`,
    );
    collected.slow.push(sample);
  }
}

/** CPU profiles of a separate gateway: at the highest concurrency, and non-streaming when those are measured. */
async function runProfiles(client: LoadClient, settings: StreamsSettings, startedAt: string, collected: Collected): Promise<void> {
  const streams = Math.max(...settings.counts);
  const directory = path.join(PROJECT_ROOT, 'bench', 'out', `streams-profile-${startedAt.replace(/[:.]/g, '-')}`);
  console.log(`\n== gateway CPU profiles: ${streams} streams, non-streaming`);
  collected.profiles.push(await profileGatewayStreams(streams, client, settings, directory));
  if (settings.jsonSeconds > 0) collected.profiles.push(await profileGatewayJson(settings, directory));
}

/** Every measurement of the run, through one load generator. */
async function measureAll(settings: StreamsSettings, startedAt: string): Promise<Collected> {
  const collected: Collected = { samples: [], json: [], slow: [], profiles: [], observability: undefined, competitorTokens: {} };
  const client = await LoadClient.start(settings.clientCore);
  try {
    for (const phase of phases(settings)) await runPhase(phase, client, settings, collected);
    if (settings.slowStreams > 0) await runSlowStreams(client, settings, collected);
    if (settings.profile) await runProfiles(client, settings, startedAt, collected);
  } finally {
    await client.stop();
  }
  return collected;
}

/** Each core's share of time the hypervisor gave to other guests since `before` (one entry per core). */
function stealShareSince(before: readonly ReturnType<typeof coreTimes>[]): Record<string, number> {
  const stealShare: Record<string, number> = {};
  before.forEach((start, core) => {
    const after = coreTimes(core);
    const total = after.total - start.total;
    stealShare[String(core)] = total === 0 ? 0 : (after.steal - start.steal) / total;
  });
  return stealShare;
}

/** What the run knew before its first measurement. */
interface RunStart extends Pick<RunInfo, 'startedAt' | 'settings' | 'pinned'> {
  readonly started: number;
  readonly loadAtStart: readonly number[];
  readonly coresBefore: readonly ReturnType<typeof coreTimes>[];
}

/** The collected samples summed up into cells and verdicts, with the run's facts and warnings. */
function reportOf(collected: Collected, run: RunStart): StreamsReport {
  const cells: StreamCell[] = streamCells(collected.samples);
  const json: JsonCell[] = jsonCells(collected.json);
  const verdicts = judgeTargets(collected.samples, cells, collected.slow, json);
  const stealShare = stealShareSince(run.coresBefore);
  const partialInfo = {
    startedAt: run.startedAt,
    command: commandLine(),
    source: sourceVersion(),
    node: process.version,
    packages: Object.fromEntries(['express', 'winston', 'prom-client', 'eventsource-parser', 'opossum', 'autocannon'].map((name) => [name, installedVersion(name)])),
    settings: run.settings,
    pinned: run.pinned,
    loadAverage: { start: run.loadAtStart, end: loadavg() },
    stealShare,
    competitorTokens: collected.competitorTokens,
  };
  const body = {
    observability: collected.observability,
    samples: collected.samples,
    cells,
    json: collected.json,
    jsonCells: json,
    slow: collected.slow,
    profiles: collected.profiles,
    verdicts,
  };
  const info: RunInfo = { ...partialInfo, finishedAt: new Date().toISOString(), durationSeconds: (performance.now() - run.started) / 1000 };
  return { info, ...body, warnings: warningsOf(body, partialInfo) };
}

/** The raw JSON in bench/out, the summary and warnings on the console, the section of bench/RESULTS.md. */
function publish(report: StreamsReport): void {
  const rawFile = writeRawJson(path.join(PROJECT_ROOT, 'bench', 'out'), report);
  console.log(consoleSummary(report));
  for (const warning of report.warnings) console.log(`warning: ${warning}`);
  writeResultsMarkdown(path.join(PROJECT_ROOT, 'bench', 'RESULTS.md'), report, path.relative(PROJECT_ROOT, rawFile), PROJECT_ROOT);
  console.log(`\nraw samples: ${path.relative(PROJECT_ROOT, rawFile)}\nresults written to bench/RESULTS.md (${report.info.durationSeconds.toFixed(0)} s)`);
}

async function main(): Promise<void> {
  const pinned = haveCommand('taskset');
  const read = readSettings();
  const settings: StreamsSettings = pinned ? read : { ...read, relayCore: undefined, clientCore: undefined, upstreamCore: undefined };
  ensureRunnerPinned(settings.clientCore);
  assertBuilt();
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const coresBefore = pinned ? [0, 1].map((core) => coreTimes(core)) : [];
  console.log(
    `sightline streams bench on Node ${process.version}: upstreams ${settings.upstreams.join(', ')}; ${settings.counts.join(', ')} streams; ${settings.rounds} rounds; ` +
      `relay on core ${settings.relayCore ?? 'any'}, upstream on ${settings.upstreamCore ?? 'any'}, load generator on ${settings.clientCore ?? 'any'}; ` +
      `load average ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}`,
  );
  const collected = await measureAll(settings, startedAt);
  publish(reportOf(collected, { started, startedAt, loadAtStart, coresBefore, settings, pinned }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
