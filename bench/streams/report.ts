import path from 'node:path';
import { writeRawReport, writeResultsSection } from '../resultsFile';
import type { JsonSample } from './jsonRate';
import type { ObservabilityCheck } from './preflight';
import type { ProfileSummary } from './profile';
import { failuresText, fixed, r0, r1, r2, signed, table } from './reportText';
import type { StreamsSettings, UpstreamName } from './settings';
import type { SlowSample } from './slowStreams';
import { ms, rangeText } from './stats';
import type { StreamSample } from './streamMatrix';
import type { JsonCell, StreamCell, TargetVerdict } from './summary';

export interface RunInfo {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  /** Commit of the code measured. */
  readonly source: string;
  readonly node: string;
  readonly packages: Record<string, string>;
  readonly settings: StreamsSettings;
  readonly pinned: boolean;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** Share of each core's time the hypervisor gave to other guests over the run. */
  readonly stealShare: Record<string, number>;
  /** Answer length (tokens) of the competitor process per concurrency. */
  readonly competitorTokens: Record<string, number>;
  readonly durationSeconds: number;
}

export interface StreamsReport {
  readonly info: RunInfo;
  readonly observability: ObservabilityCheck | undefined;
  readonly samples: readonly StreamSample[];
  readonly cells: readonly StreamCell[];
  readonly json: readonly JsonSample[];
  readonly jsonCells: readonly JsonCell[];
  readonly slow: readonly SlowSample[];
  readonly profiles: readonly ProfileSummary[];
  readonly verdicts: readonly TargetVerdict[];
  readonly warnings: readonly string[];
}

const SECTION_START = '<!-- bench:streams:start -->';
const SECTION_END = '<!-- bench:streams:end -->';
const FILE_INTRO = '# Benchmarks\n';

const STREAM_HEADER = [
  'streams',
  'path',
  'TTFB p50 ms',
  'TTFB p99 ms',
  'max gap p50 ms',
  'max gap p99 ms',
  'added TTFB p50 / p99',
  'added gap p50 / p99',
  'frames/s received',
  'relay CPU (cores)',
  'relay CPU µs/frame',
  'relay peak RSS MB',
  'failed',
];

function streamRows(cells: readonly StreamCell[], upstream: UpstreamName): string[][] {
  return cells
    .filter((c) => c.upstream === upstream)
    .map((c) => [
      String(c.streams),
      c.path,
      rangeText(c.ttfbP50, ms),
      rangeText(c.ttfbP99, ms),
      rangeText(c.gapP50, ms),
      rangeText(c.gapP99, ms),
      c.path === 'direct' ? '' : `${signed(c.addedTtfbP50)} / ${signed(c.addedTtfbP99)}`,
      c.path === 'direct' ? '' : `${signed(c.addedGapP50)} / ${signed(c.addedGapP99)}`,
      r0(c.framesPerSecond),
      c.path === 'direct' ? '' : r2(c.relayCores),
      c.path === 'direct' ? '' : r1(c.relayCpuMicrosPerFrame),
      c.path === 'direct' ? '' : r0(c.relayPeakRssMb),
      c.failed + c.warmupFailed === 0 ? '0' : `${failuresText(c.failures)}${c.warmupFailed > 0 ? ` (+${c.warmupFailed} in warm-up)` : ''}`,
    ]);
}

function upstreamDescription(upstream: UpstreamName, report: StreamsReport): string {
  const cells = report.cells.filter((c) => c.upstream === upstream);
  const bytes = cells.find((c) => Number.isFinite(c.bytesPerFrame))?.bytesPerFrame ?? Number.NaN;
  const { settings } = report.info;
  if (upstream === 'raw') {
    return (
      `\`bench/streams/rawUpstream.ts\`: a bare \`node:http\` server writing a ${fixed(bytes, 0)}-byte OpenAI-shaped ` +
      `\`data:\` frame at once and then every ${settings.intervalMs} ms from one \`setInterval\` per stream: ` +
      `${settings.singleStreamEvents} frames per stream at 1 stream, ${settings.events} (${(settings.events * settings.intervalMs) / 1000} s) ` +
      'at more, then `data: [DONE]`.'
    );
  }
  const tokens = Object.entries(report.info.competitorTokens)
    .map(([streams, n]) => `${n} tokens at ${streams} stream${streams === '1' ? '' : 's'}`)
    .join(', ');
  return (
    '`node dist/competitor/server.js` with `COMPETITOR_PROFILE=instant`, `COMPETITOR_TTFT_MS=0`, ' +
    `\`COMPETITOR_TOKEN_INTERVAL_MS=${settings.intervalMs}\`, \`COMPETITOR_JITTER_MS=0\`, \`LOG_LEVEL=warn\`; answers of ${tokens} ` +
    `(\`COMPETITOR_TOKENS_PER_ANSWER\`, fixed per process, so each length is its own competitor with its own gateway and ` +
    `naive proxy). Its frames are whole \`chat.completion.chunk\` objects, ${fixed(bytes, 0)} bytes on average, not 60.`
  );
}

function nominalNote(report: StreamsReport, upstream: UpstreamName): string {
  const { intervalMs } = report.info.settings;
  const rows = report.cells
    .filter((c) => c.upstream === upstream && c.path === 'direct')
    .map((c) => {
      const nominal = (c.streams * 1000) / intervalMs;
      return `${c.streams} stream${c.streams === 1 ? '' : 's'}: ${fixed(c.framesPerSecond.median, 0)} frames/s received directly, stream duration p50 ${fixed(c.durationP50.median, 0)} ms (nominal ${nominal.toFixed(0)} frames/s while all streams run)`;
    });
  return rows.length === 0 ? '' : `What the upstream delivered, measured on the direct path: ${rows.join('; ')}.`;
}

function slowRows(slow: readonly SlowSample[]): string[][] {
  return slow.map((s) => [
    s.relay === 'gateway' ? `gateway, ${s.competitorIds} competitor id${s.competitorIds === 1 ? '' : 's'}` : 'naive proxy',
    String(s.streams),
    String(s.peakOpen),
    fixed(s.openSeconds, 1),
    fixed(s.holdSeconds, 1),
    String(s.held),
    failuresText(s.failures),
    fixed(s.idleRssMb, 0),
    fixed(s.holdRssMb, 0),
    fixed(s.peakRssMb, 0),
    fixed(s.kbPerStream, 1),
    fixed(s.relayCores, 2),
    `${ms(s.ttfbP50Ms)} / ${ms(s.ttfbP99Ms)}`,
    `${ms(s.gapP50Ms)} / ${ms(s.gapP99Ms)}`,
    `${s.openFilesLimit}${s.raisedOpenFiles ? ' (raised)' : ''}`,
  ]);
}

const SLOW_HEADER = [
  'relay',
  'streams',
  'most receiving at once',
  's until all received',
  's held',
  'held to the end',
  'failed',
  'idle RSS MB',
  'RSS while held MB',
  'peak RSS MB (VmHWM)',
  'KB per held stream',
  'relay CPU (cores)',
  'TTFB p50 / p99 ms',
  'max gap p50 / p99 ms',
  'open files limit',
];

function jsonRows(cells: readonly JsonCell[]): string[][] {
  return cells.map((c) => [
    c.upstream,
    c.path,
    r0(c.requestsPerSecond),
    c.path === 'direct' ? '' : rangeText(c.ratioToNaive, (v) => fixed(v, 3)),
    r0(c.latencyP99Ms),
    c.path === 'direct' ? '' : r1(c.relayCpuMicrosPerRequest),
    c.path === 'direct' ? '' : r2(c.relayCores),
    r2(c.upstreamCores),
    String(c.failed),
  ]);
}

function profileSection(profile: ProfileSummary, root: string): string {
  const categories = table(
    ['code', 'self ms', 'share of busy time'],
    profile.categories.slice(0, 12).map((c) => [c.category, fixed(c.ms, 0), `${fixed(c.share * 100, 1)}%`]),
  );
  const functions = table(
    ['function', 'where', 'code', 'self ms', 'share'],
    profile.functions.map((f) => [`\`${f.name}\``, f.where === '' ? '' : `\`${f.where}\``, f.category, fixed(f.ms, 0), `${fixed(f.share * 100, 1)}%`]),
  );
  const title = profile.kind === 'streams' ? 'per frame, streams' : 'per request, non-streaming';
  return [
    `#### Gateway CPU profile: ${title}`,
    '',
    `A separate gateway under \`--cpu-prof\`, ${profile.what}; only the measured part and the shutdown are counted. It used ` +
      `${fixed(profile.gatewayCores, 2)} cores: ${fixed(profile.busyMs, 0)} ms busy, ${fixed(profile.idleShare * 100, 0)}% idle. ` +
      'Self time by origin ("native" is V8 and libuv bindings: system calls such as `writev`), then the top functions:',
    '',
    categories,
    '',
    functions,
    '',
    `Profile: \`${path.relative(root, profile.file)}\` (not committed; open it in Chrome DevTools).`,
  ].join('\n');
}

/** What is compared: the three paths, and the upstreams they run against. */
function pathLines(report: StreamsReport, upstreams: readonly UpstreamName[]): string[] {
  return [
    '## Streams through the gateway',
    '',
    'The reference gateway (`node dist/gateway/server.js`, full observability as shipped: `LOG_LEVEL=info`, both access-log',
    'lines and the stream figures in `request completed`, HTTP and per-competitor stream metrics, the stream parser on every',
    'frame, circuit breaker, timeouts) against a naive pass-through proxy and against no proxy at all, in the same run:',
    '',
    '- `direct`: the load generator talks to the upstream itself.',
    '- `naive`: through `bench/streams/naiveProxy.ts`, `http.request` + `pipe`, no observability, no timeouts, a keep-alive',
    '  agent with the gateway\'s pool settings (`maxSockets` 4096, `maxFreeSockets` 256, LIFO, `noDelay`).',
    '- `gateway`: through the gateway, `GATEWAY_COMPETITORS=bench=<upstream>`, its log lines written to /dev/null.',
    '',
    'Upstreams:',
    '',
    ...upstreams.map((u) => `- \`${u}\`: ${upstreamDescription(u, report)}`),
  ];
}

/** How the streams are measured, and on which cores. */
function methodLines(info: RunInfo): string[] {
  const s = info.settings;
  return [
    `How: the load generator (\`bench/streams/client.ts\`, a child process) opens N concurrent \`POST /v1/chat/completions\``,
    'streams with `http.request` on a keep-alive agent without socket limit, all at once, and records per stream the time',
    'from the request\'s start to the first body byte (TTFB) and the longest gap between two body chunks (max gap); p50 and p99',
    'are over the streams of one measurement. Each measurement starts with a fresh client connection pool and warm-up waves',
    '(they open the connections the measured waves reuse), then measures 8 sequential streams at 1 stream, 2 waves at 100',
    'and 1 wave at 1000. Rounds are interleaved: per round and concurrency the three paths run one after the other, their',
    `order rotated each round; ${s.rounds} round${s.rounds === 1 ? '' : 's'}. Tables give the median over rounds with the lowest and highest round in`,
    'brackets; "added" is the path minus `direct` of the same round (median over rounds). Relay CPU is user + system time',
    'from /proc over the measured waves, divided by their wall time (1.00 = one core busy) and by the frames received; peak',
    'RSS is VmHWM, reset (`clear_refs`) before the measured waves. The upstream runs for a whole phase; every round starts',
    'a fresh naive proxy and gateway and warms them up with a few waves of 100 streams first, so rounds are independent and',
    'a relay\'s peak RSS is not the heap an earlier, larger measurement left behind (concurrencies run in increasing order).',
    '',
    info.pinned
      ? `Cores: the relay under test (naive proxy or gateway) alone on core ${s.relayCore}; the load generator, the runner ` +
        `(autocannon) and the upstream on core ${s.clientCore} (\`taskset\`). The relay is what is compared, so it gets a ` +
        'core of its own; the upstream and the load generator share the other, which bounds how many frames per second any ' +
        'path can deliver (see the frames/s column).'
      : 'Cores: `taskset` was not found; nothing is pinned and the numbers are noisier.',
  ];
}

/** When, on what and how this run was made, and how busy the machine was. */
function runLines(info: RunInfo): string[] {
  const load = (values: readonly number[]): string => values.map((v) => v.toFixed(2)).join(' / ');
  const steal = Object.entries(info.stealShare)
    .map(([core, share]) => `core ${core} ${(share * 100).toFixed(1)}%`)
    .join(', ');
  return [
    `- Date: ${info.startedAt} (finished ${info.finishedAt}, ${fixed(info.durationSeconds, 0)} s)`,
    `- Node: ${info.node}; ${Object.entries(info.packages).map(([name, version]) => `${name} ${version}`).join(', ')}`,
    `- Command: \`${info.command}\` at commit ${info.source}`,
    `- Load average (1/5/15 min): ${load(info.loadAverage.start)} at start, ${load(info.loadAverage.end)} at end; steal ${steal}`,
  ];
}

function targetLines(verdicts: readonly TargetVerdict[]): string[] {
  return [
    '### Targets',
    '',
    'From the issue: at most 1 ms added TTFB at 1 stream; at 100 and 1000 streams no worse than the naive `http.request`',
    'proxy of the same run (judged here on the medians over rounds of TTFB and max gap, p50 and p99); 10,000 slow streams held',
    'under 512 MB peak RSS; non-streaming completions at no less than the naive proxy\'s rate.',
    '',
    table(
      ['target', 'upstream', 'measured (median over rounds)', 'verdict'],
      verdicts.map((v) => [v.target, v.upstream ?? '', v.measured, v.verdict]),
    ),
  ];
}

/** The paragraph on the observability check, followed by a blank line; nothing when there was none. */
function observabilityLines(o: ObservabilityCheck | undefined): string[] {
  if (o === undefined) return [];
  return [
    `Observability check: a gateway started the same way with its stdout captured wrote ${o.streamLines} \`request completed\` ` +
      `lines with stream figures for ${o.streamsSent} streams and ${o.jsonLines} for ${o.jsonSent} non-streaming requests ` +
      `(${o.ok ? 'as it should' : `PROBLEM: ${o.problem ?? ''}`}). A stream's line carries: ${o.streamFields.map((f) => `\`${f}\``).join(', ')}.`,
    '',
  ];
}

/** One table of concurrent streams per upstream, each followed by what the upstream delivered. */
function streamTableLines(report: StreamsReport, upstreams: readonly UpstreamName[]): string[] {
  const lines: string[] = [];
  for (const upstream of upstreams) {
    lines.push(`### Concurrent streams, ${upstream} upstream`, '', table(STREAM_HEADER, streamRows(report.cells, upstream)), '');
    const note = nominalNote(report, upstream);
    if (note !== '') lines.push(note, '');
  }
  return lines;
}

function slowLines(slow: readonly SlowSample[], s: StreamsSettings): string[] {
  if (slow.length === 0) return [];
  return [
    '### Slow streams',
    '',
    'Raw upstream sending one frame a second; the load generator opens the streams 200 every 100 ms, waits until every one',
    `is receiving (or has failed), holds them all (${s.slowHoldSeconds} s in the main runs), then closes them. "RSS while held"`,
    'is the highest of the relay\'s RSS sampled every 250 ms during the hold; "peak RSS" is VmHWM over the whole run, the',
    'opening burst and the closing included; idle RSS is after a few warm-up streams. The gateway opens at most 4096',
    'connections per competitor (`maxSockets` default in `gateway/competitors.ts`, not settable from the environment), so',
    'its run spreads the streams over several competitor ids routed to the same upstream (`BENCH_STREAMS_CAP=1` adds a run',
    'through one id, 200 streams over the cap).',
    'A relay holding 10,000 streams needs two sockets each plus its own files, more than a 20,000 open-file limit; the',
    'runner raises the relay\'s limit with `prlimit --nofile` when it may (root with CAP_SYS_RESOURCE), else the relay',
    'keeps the limit it inherits (last column) and the last few streams fail for want of a file descriptor.',
    '',
    table(SLOW_HEADER, slowRows(slow)),
    '',
  ];
}

function jsonLines(cells: readonly JsonCell[], s: StreamsSettings): string[] {
  if (cells.length === 0) return [];
  return [
    '### Non-streaming completions',
    '',
    `autocannon in the runner, ${s.jsonConnections} connections, \`stream: false\`, 1 s warm-up then ${s.jsonSeconds} s per path per`,
    'round, interleaved like the streams. Upstreams answer at once: the raw upstream a 300-byte `chat.completion`, the',
    'competitor its `instant` profile with `COMPETITOR_TOKEN_INTERVAL_MS=0` (20 tokens).',
    '',
    table(
      ['upstream', 'path', 'req/s', 'ratio to naive (rounds)', 'p99 ms', 'relay CPU µs/req', 'relay CPU (cores)', 'upstream CPU (cores)', 'failed'],
      jsonRows(cells),
    ),
    '',
  ];
}

function profileLines(profiles: readonly ProfileSummary[], root: string): string[] {
  if (profiles.length === 0) return [];
  return ['### Where the gateway\'s CPU goes', '', ...profiles.flatMap((profile) => [profileSection(profile, root), ''])];
}

function noteLines(warnings: readonly string[]): string[] {
  return ['### Notes from this run', '', ...(warnings.length === 0 ? ['- None: no failed stream or request, no core starved.'] : warnings.map((w) => `- ${w}`))];
}

function markdownSection(report: StreamsReport, rawFile: string, root: string): string {
  const { info } = report;
  const upstreams = [...new Set(report.cells.map((c) => c.upstream))];
  return [
    SECTION_START,
    ...pathLines(report, upstreams),
    '',
    ...methodLines(info),
    '',
    ...runLines(info),
    '',
    ...targetLines(report.verdicts),
    '',
    ...observabilityLines(report.observability),
    ...streamTableLines(report, upstreams),
    ...slowLines(report.slow, info.settings),
    ...jsonLines(report.jsonCells, info.settings),
    ...profileLines(report.profiles, root),
    ...noteLines(report.warnings),
    '',
    `Raw samples: \`${rawFile}\` (not committed).`,
    SECTION_END,
  ].join('\n');
}

export function writeResultsMarkdown(file: string, report: StreamsReport, rawFile: string, root: string): void {
  writeResultsSection(file, { start: SECTION_START, end: SECTION_END, text: markdownSection(report, rawFile, root) }, FILE_INTRO);
}

export function writeRawJson(directory: string, report: StreamsReport): string {
  return writeRawReport(directory, 'streams', report.info.startedAt, report);
}
