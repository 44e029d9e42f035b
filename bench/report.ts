import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Sample } from './measure';
import type { LogCheck } from './preflight';
import type { BenchSettings } from './settings';
import type { TargetVerdict, VariantSummary } from './summary';

export interface RunInfo {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly node: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly settings: BenchSettings;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
}

export interface BenchReport {
  readonly info: RunInfo;
  readonly logChecks: readonly LogCheck[];
  readonly samples: readonly Sample[];
  readonly summaries: readonly VariantSummary[];
  readonly verdicts: readonly TargetVerdict[];
  readonly warnings: readonly string[];
}

const SECTION_START = '<!-- bench:overhead:start -->';
const SECTION_END = '<!-- bench:overhead:end -->';

const TABLE_HEADER = [
  'variant',
  'median req/s',
  'ratio to bare',
  'ratio range (rounds)',
  'p99 ms',
  'server CPU µs/req',
];

function tableRows(summaries: readonly VariantSummary[]): string[][] {
  return summaries.map((s) => [
    s.variant,
    s.medianRequestsPerSecond.toFixed(0),
    s.ratioToBaseline.toFixed(3),
    `${s.minRoundRatio.toFixed(3)}–${s.maxRoundRatio.toFixed(3)}`,
    s.medianLatencyP99Ms.toFixed(0),
    s.medianCpuMicrosPerRequest.toFixed(1),
  ]);
}

function verdictText(v: TargetVerdict): string {
  if (v.pass === undefined || v.ratio === undefined || v.margin === undefined) return 'NOT MEASURED';
  const sign = v.margin >= 0 ? '+' : '−';
  const margin = `margin ${sign}${Math.abs(v.margin).toFixed(3)}`;
  const rounds = `${v.roundsAtOrAbove}/${v.rounds} rounds at or above`;
  return `${v.pass ? 'PASS' : 'MISS'} (${v.ratio.toFixed(3)}, ${margin}; ${rounds})`;
}

export function consoleTable(summaries: readonly VariantSummary[]): string {
  const rows = [TABLE_HEADER, ...tableRows(summaries)];
  const widths = TABLE_HEADER.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n');
}

export function consoleVerdicts(verdicts: readonly TargetVerdict[]): string {
  return verdicts.map((v) => `${v.variant} >= ${v.minRatio} of bare: ${verdictText(v)}`).join('\n');
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function markdownSection(report: BenchReport, rawFile: string): string {
  const { info, summaries, verdicts, warnings } = report;
  const s = info.settings;
  const packages = Object.entries(info.packages).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    SECTION_START,
    '## Overhead of the request pipeline',
    '',
    'Requests per second of a small Express 5 app with one JSON route (`GET /v1/items/:id` answering',
    '`{ id, name }`), bare and with each observability variant in front of it:',
    '',
    '- `bare`: plain Express 5.',
    "- `sightline-rate1`: `app.use(obs.middleware())`, tracing off, `logSamplingRateInfo: 1` (both",
    '  `request started` and `request completed` written for every request).',
    '- `sightline-rate0.1`: the same at `logSamplingRateInfo: 0.1`.',
    '- `sightline-disabled`: the same with `enabled: false` (what `OBS_ENABLED=false` gives).',
    '- `pino-http`: pino-http alone with its defaults, the peer.',
    "- `sightline-cls`: as `sightline-rate1` plus the opt-in cls-hooked bridge (`clsNamespace`).",
    '',
    'How: every measurement starts a fresh server process pinned to core 0 (`taskset -c 0`), its stdout',
    '(where the log lines really are written) on /dev/null. autocannon runs in the runner process,',
    `pinned to core 1, with ${s.connections} connections and pipelining ${s.pipelining}. Each server is warmed up for`,
    `${s.warmupSeconds} s, then measured for ${s.seconds} s. Rounds are interleaved (every variant once per round, the`,
    'order rotated each round), so drift on the shared machine hits every variant alike. Before',
    'timing, each variant answers 200 checked requests with its stdout captured, to prove it writes',
    'the log lines it should.',
    '',
    'Columns: the median req/s over rounds; its ratio to the median of `bare` from the same run; the',
    "lowest and highest per-round ratio (each variant against the same round's `bare`); the median p99",
    'latency (autocannon reports whole milliseconds); the median server CPU time per request (user +',
    'system, from /proc). Absolute numbers follow the state of the shared machine; the ratios are the',
    'result.',
    '',
    `- Date: ${info.startedAt} (finished ${info.finishedAt})`,
    `- Node: ${info.node}; ${packages}`,
    `- Command: \`${info.command}\``,
    `- Rounds: ${s.rounds}; warm-up ${s.warmupSeconds} s; measured ${s.seconds} s per variant per round`,
    `- Load average (1/5/15 min): ${formatLoad(info.loadAverage.start)} at start, ` +
      `${formatLoad(info.loadAverage.end)} at end`,
    '',
    markdownTable(TABLE_HEADER, tableRows(summaries)),
    '',
    '### Targets',
    '',
    markdownTable(
      ['target', 'verdict'],
      verdicts.map((v) => [`\`${v.variant}\` ≥ ${v.minRatio} of bare`, verdictText(v)]),
    ),
    '',
    '### Notes from this run',
    '',
    ...(warnings.length === 0 ? [NO_WARNINGS] : warnings.map((w) => `- ${w}`)),
    '',
    `Raw samples: \`${rawFile}\` (not committed).`,
    SECTION_END,
  ].join('\n');
}

const NO_WARNINGS = '- None: no failed requests, every server kept core 0 busy, the load generator had headroom.';

function formatLoad(values: readonly number[]): string {
  return values.map((v) => v.toFixed(2)).join(' / ');
}

const FILE_INTRO = [
  '# Benchmarks',
  '',
  "Measured on the project's machine (2 cores), rewritten by `npm run bench`. The machine is shared and",
  'noisy: read the ranges over rounds, not only the medians.',
  '',
].join('\n');

export function writeResultsMarkdown(file: string, report: BenchReport, rawFile: string): void {
  const section = markdownSection(report, rawFile);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : FILE_INTRO;
  const start = current.indexOf(SECTION_START);
  const end = current.indexOf(SECTION_END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${section}${current.slice(end + SECTION_END.length)}`
      : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

export function writeRawJson(directory: string, report: BenchReport): string {
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `overhead-${report.info.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
