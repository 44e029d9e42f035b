import type { Sample } from './measure';
import { writeRawReport, writeResultsSection } from './resultsFile';
import type { LogCheck } from './preflight';
import type { BenchSettings } from './settings';
import type { BeforeBuild } from './beforeBuild';
import type { BuildComparison } from './comparison';
import { formulaOf, type PartCost, type VariantSummary } from './summary';
import { targetText, verdictText, type TargetVerdict } from './targets';

export interface RunInfo {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly node: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly settings: BenchSettings;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** The earlier build every sightline variant also ran on (`BENCH_BEFORE`). */
  readonly before: BeforeBuild | undefined;
}

export interface BenchReport {
  readonly info: RunInfo;
  readonly logChecks: readonly LogCheck[];
  readonly samples: readonly Sample[];
  readonly summaries: readonly VariantSummary[];
  readonly partCosts: readonly PartCost[];
  readonly verdicts: readonly TargetVerdict[];
  readonly comparisons: readonly BuildComparison[];
  readonly warnings: readonly string[];
}

const SECTION_START = '<!-- bench:overhead:start -->';
const SECTION_END = '<!-- bench:overhead:end -->';
const BEFORE_SECTION_START = '<!-- bench:before:start -->';
const BEFORE_SECTION_END = '<!-- bench:before:end -->';

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

export function consoleTable(summaries: readonly VariantSummary[]): string {
  return alignedColumns([TABLE_HEADER, ...tableRows(summaries)]);
}

function alignedColumns(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n');
}

const PART_HEADER = ['part', 'formula (median server CPU µs/req)', 'CPU µs/req', 'range (rounds)'];

function partRows(costs: readonly PartCost[], wrap?: (variant: string) => string): string[][] {
  return costs.map((c) => [
    c.part,
    formulaOf(c, wrap),
    signed(c.micros),
    `${signed(c.minRoundMicros)} to ${signed(c.maxRoundMicros)}`,
  ]);
}

function signed(micros: number): string {
  return `${micros < 0 ? '−' : '+'}${Math.abs(micros).toFixed(1)}`;
}

const COMPARISON_HEADER = [
  'variant',
  'ratio to bare, before',
  'after',
  'server CPU µs/req, before',
  'after',
  'change µs/req (median of rounds)',
  'change range (rounds)',
];

function comparisonRows(comparisons: readonly BuildComparison[], wrap: (variant: string) => string = (v) => v): string[][] {
  return comparisons.map((c) => [
    wrap(c.variant),
    c.ratioBefore.toFixed(3),
    c.ratioAfter.toFixed(3),
    c.cpuBefore.toFixed(1),
    c.cpuAfter.toFixed(1),
    signed(c.cpuChange),
    `${signed(c.minRoundCpuChange)} to ${signed(c.maxRoundCpuChange)}`,
  ]);
}

export function consoleComparisons(comparisons: readonly BuildComparison[]): string {
  return alignedColumns([COMPARISON_HEADER, ...comparisonRows(comparisons)]);
}

export function consoleParts(costs: readonly PartCost[]): string {
  return alignedColumns([PART_HEADER, ...partRows(costs)]);
}

export function consoleVerdicts(verdicts: readonly TargetVerdict[]): string {
  return verdicts.map((v) => `${targetText(v.target)}: ${verdictText(v)}`).join('\n');
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** What each variant is: the same for every run. */
const VARIANTS = [
  'Requests per second of a small Express 5 app with one JSON route (`GET /v1/items/:id` answering',
  '`{ id, name }`), bare and with each observability variant in front of it:',
  '',
  '- `bare`: plain Express 5.',
  '- `sightline-rate1`: the full suite, `app.use(obs.middleware())` with its defaults and tracing off:',
  '  request id, W3C trace context and the AsyncLocalStorage context, `request started` and',
  '  `request completed` written for every request (`logSamplingRateInfo: 1`), and the HTTP metrics',
  "  (express-prom-bundle's latency histogram, request counter, in-flight gauge and response sizes on",
  "  the instance's own prom-client registry, process metrics on).",
  '- `sightline-rate0.1`: the same at `logSamplingRateInfo: 0.1` (metrics still count every request).',
  '- `sightline-tracing`: the full suite at rate 1 with `tracingEnabled: true` and every request',
  '  sampled (no `OTEL_TRACES_SAMPLER`: `parentbased_always_on`). The server process patches `http`',
  "  and Express (sightline's `instrumentProcess()`) before it loads Express, as",
  '  `node -r sightline/register` does; spans go through the real `BatchSpanProcessor` to an exporter',
  '  that only counts them (`tracing: { spanProcessor }`).',
  '- `sightline-disabled`: the full suite with `enabled: false` (what `OBS_ENABLED=false` gives).',
  '- `sightline-ids`: `accessLog: false, metrics: false`: request id, trace context and the',
  '  AsyncLocalStorage context only.',
  '- `sightline-nometrics`: `metrics: false`: ids and context plus both access-log lines.',
  '- `sightline-nologs`: `accessLog: false`: ids and context plus the HTTP metrics.',
  '- `pino-http`: pino-http alone with its defaults, the peer of the access log.',
  '- `prom-bundle`: express-prom-bundle alone on its own `Registry` (`includeMethod`, `includePath`',
  '  with a route-template `normalizePath` function, `autoregister: false`), the peer of the metrics.',
  '- `sightline-cls`: as `sightline-rate1` plus the opt-in cls-hooked bridge (`clsNamespace`).',
  '- `opentelemetry`: OpenTelemetry alone, the peer of the tracing: the same instrumentations',
  "  (`instrumentProcess()`), sampler, batch span processor and counting exporter as `sightline-tracing`,",
  '  on a `TracerProvider` of its own registered as OpenTelemetry JS 3 documents it (with its',
  '  AsyncLocalStorage context manager and W3C propagators, as sightline registers them), and no sightline middleware.',
];

/** How the numbers are taken, and what the columns mean. */
function methodLines(s: BenchSettings): string[] {
  return [
    'How: every measurement starts a fresh server process pinned to core 0 (`taskset -c 0`), its stdout',
    '(where the log lines really are written) on /dev/null and no `OTEL_*` variable in its environment.',
    `autocannon runs in the runner process, pinned to core 1, with ${s.connections} connections and`,
    `pipelining ${s.pipelining}. Each server is warmed up for ${s.warmupSeconds} s, then measured for ${s.seconds} s.`,
    'Rounds are interleaved (every variant once per round, the order rotated each round), so drift on the',
    'shared machine hits every variant alike. Before timing, each variant answers 200 checked requests with',
    'its stdout captured, to prove it writes the log lines it should, counts every request in its HTTP',
    'duration histogram when its metrics are on and none when they are off, and, when it traces,',
    'exports at least one span per request.',
    '',
    'Columns: the median req/s over rounds; its ratio to the median of `bare` from the same run; the',
    "lowest and highest per-round ratio (each variant against the same round's `bare`); the median p99",
    'latency (autocannon reports whole milliseconds); the median server CPU time per request (user +',
    'system, from /proc). Absolute numbers follow the state of the shared machine; the ratios are the',
    'result.',
  ];
}

/** When, on what and how this run was made. */
function runLines(info: RunInfo): string[] {
  const s = info.settings;
  const packages = Object.entries(info.packages).map(([name, version]) => `${name} ${version}`).join(', ');
  return [
    `- Date: ${info.startedAt} (finished ${info.finishedAt})`,
    `- Node: ${info.node}; ${packages}`,
    `- Command: \`${info.command}\``,
    `- Rounds: ${s.rounds}; warm-up ${s.warmupSeconds} s; measured ${s.seconds} s per variant per round`,
    `- Load average (1/5/15 min): ${formatLoad(info.loadAverage.start)} at start, ` +
      `${formatLoad(info.loadAverage.end)} at end`,
  ];
}

function targetLines(verdicts: readonly TargetVerdict[]): string[] {
  return [
    '### Targets',
    '',
    markdownTable(
      ['target', 'verdict'],
      verdicts.map((v) => [targetText(v.target, (variant) => `\`${variant}\``), verdictText(v)]),
    ),
  ];
}

function partLines(partCosts: readonly PartCost[]): string[] {
  return [
    '### Cost per part',
    '',
    'Server CPU per request that each part adds: the difference of the median server CPU µs/req of',
    'variants that differ by that part alone (formula in the second column). The range is the lowest',
    'and highest of the same difference taken within each round. The parts measured one at a time add',
    "up to the full suite only as far as the interaction row is near zero; differences of a few µs are",
    "within this machine's noise.",
    '',
    partCosts.length === 0
      ? 'Not computed: a variant it needs was not measured.'
      : markdownTable(PART_HEADER, partRows(partCosts, (variant) => `\`${variant}\``)),
  ];
}

function comparisonLines(before: BeforeBuild | undefined, comparisons: readonly BuildComparison[]): string[] {
  if (before === undefined) return [];
  return [
    '### Before and after',
    '',
    `Every sightline variant ran twice in each round: on this checkout, and as \`<variant>@before\` on the`,
    `build of ${before.commit.slice(0, 12)} (\`BENCH_BEFORE=${before.ref}\`: "${before.subject}"), compiled beside`,
    "it against the same node_modules. The change is after − before of the server CPU µs/req within each",
    'round (median and range over rounds); negative is cheaper.',
    '',
    markdownTable(COMPARISON_HEADER, comparisonRows(comparisons, (variant) => `\`${variant}\``)),
    '',
  ];
}

function noteLines(warnings: readonly string[]): string[] {
  return ['### Notes from this run', '', ...(warnings.length === 0 ? [NO_WARNINGS] : warnings.map((w) => `- ${w}`))];
}

/** A run with BENCH_BEFORE has a section of its own, so it never replaces the standing results. */
function sectionOf(info: RunInfo): { readonly start: string; readonly end: string; readonly title: string } {
  return info.before === undefined
    ? { start: SECTION_START, end: SECTION_END, title: '## Overhead of the request pipeline' }
    : { start: BEFORE_SECTION_START, end: BEFORE_SECTION_END, title: '## Overhead of the request pipeline, before and after a change' };
}

function markdownSection(report: BenchReport, rawFile: string): string {
  const { info, summaries, partCosts, verdicts, comparisons, warnings } = report;
  const section = sectionOf(info);
  return [
    section.start,
    section.title,
    '',
    ...VARIANTS,
    '',
    ...methodLines(info.settings),
    '',
    ...runLines(info),
    '',
    markdownTable(TABLE_HEADER, tableRows(summaries)),
    '',
    ...comparisonLines(info.before, comparisons),
    ...targetLines(verdicts),
    '',
    ...partLines(partCosts),
    '',
    ...noteLines(warnings),
    '',
    `Raw samples: \`${rawFile}\` (not committed).`,
    section.end,
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
  const { start, end } = sectionOf(report.info);
  writeResultsSection(file, { start, end, text: markdownSection(report, rawFile) }, FILE_INTRO);
}

export function writeRawJson(directory: string, report: BenchReport): string {
  return writeRawReport(directory, 'overhead', report.info.startedAt, report);
}
