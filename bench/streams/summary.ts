import type { JsonSample } from './jsonRate';
import { PATH_NAMES, type PathName, type UpstreamName } from './settings';
import type { SlowSample } from './slowStreams';
import { rangeOf, type Range } from './stats';
import type { StreamSample } from './streamMatrix';

/** One (upstream, streams, path) cell over the rounds: medians with the lowest and highest round. */
export interface StreamCell {
  readonly upstream: UpstreamName;
  readonly streams: number;
  readonly path: PathName;
  readonly rounds: number;
  readonly samplesPerRound: number;
  readonly ttfbP50: Range;
  readonly ttfbP99: Range;
  readonly gapP50: Range;
  readonly gapP99: Range;
  readonly durationP50: Range;
  /** Against `direct` of the same round. */
  readonly addedTtfbP50: Range;
  readonly addedTtfbP99: Range;
  readonly addedGapP50: Range;
  readonly addedGapP99: Range;
  readonly framesPerSecond: Range;
  readonly bytesPerFrame: number;
  readonly relayCores: Range;
  readonly relayCpuMicrosPerFrame: Range;
  readonly relayPeakRssMb: Range;
  readonly upstreamCores: Range;
  readonly clientCores: Range;
  readonly failed: number;
  readonly warmupFailed: number;
  readonly failures: Record<string, number>;
}

export function streamCells(samples: readonly StreamSample[]): StreamCell[] {
  const cells: StreamCell[] = [];
  const keys = new Map<string, StreamSample[]>();
  for (const s of samples) {
    const key = `${s.upstream}|${s.streams}|${s.path}`;
    keys.set(key, [...(keys.get(key) ?? []), s]);
  }
  const direct = (s: StreamSample): StreamSample | undefined =>
    samples.find((d) => d.upstream === s.upstream && d.streams === s.streams && d.round === s.round && d.path === 'direct');
  const added = (list: readonly StreamSample[], pick: (s: StreamSample) => number): Range =>
    rangeOf(list.map((s) => {
      const d = direct(s);
      return d === undefined ? Number.NaN : pick(s) - pick(d);
    }));
  const upstreams = [...new Set(samples.map((s) => s.upstream))];
  const counts = [...new Set(samples.map((s) => s.streams))].sort((a, b) => a - b);
  for (const upstream of upstreams) {
    for (const streams of counts) {
      for (const pathName of PATH_NAMES) {
        const list = keys.get(`${upstream}|${streams}|${pathName}`);
        if (list === undefined) continue;
        const failures: Record<string, number> = {};
        for (const s of list) for (const [what, n] of Object.entries(s.failures)) failures[what] = (failures[what] ?? 0) + n;
        cells.push({
          upstream,
          streams,
          path: pathName,
          rounds: list.length,
          samplesPerRound: Math.round(list.reduce((sum, s) => sum + s.samples, 0) / list.length),
          ttfbP50: rangeOf(list.map((s) => s.ttfbP50Ms)),
          ttfbP99: rangeOf(list.map((s) => s.ttfbP99Ms)),
          gapP50: rangeOf(list.map((s) => s.gapP50Ms)),
          gapP99: rangeOf(list.map((s) => s.gapP99Ms)),
          durationP50: rangeOf(list.map((s) => s.durationP50Ms)),
          addedTtfbP50: added(list, (s) => s.ttfbP50Ms),
          addedTtfbP99: added(list, (s) => s.ttfbP99Ms),
          addedGapP50: added(list, (s) => s.gapP50Ms),
          addedGapP99: added(list, (s) => s.gapP99Ms),
          framesPerSecond: rangeOf(list.map((s) => s.framesPerSecond)),
          bytesPerFrame: rangeOf(list.map((s) => s.bytesPerFrame)).median,
          relayCores: rangeOf(list.map((s) => s.relayCores ?? Number.NaN)),
          relayCpuMicrosPerFrame: rangeOf(list.map((s) => s.relayCpuMicrosPerFrame ?? Number.NaN)),
          relayPeakRssMb: rangeOf(list.map((s) => s.relayPeakRssMb ?? Number.NaN)),
          upstreamCores: rangeOf(list.map((s) => s.upstreamCores)),
          clientCores: rangeOf(list.map((s) => s.clientCores)),
          failed: list.reduce((sum, s) => sum + s.failed, 0),
          warmupFailed: list.reduce((sum, s) => sum + s.warmupFailed, 0),
          failures,
        });
      }
    }
  }
  return cells;
}

export interface JsonCell {
  readonly upstream: UpstreamName;
  readonly path: PathName;
  readonly requestsPerSecond: Range;
  /** Per round against the naive proxy's rate in the same round. */
  readonly ratioToNaive: Range;
  readonly latencyP99Ms: Range;
  readonly relayCpuMicrosPerRequest: Range;
  readonly relayCores: Range;
  readonly upstreamCores: Range;
  readonly loadCores: Range;
  readonly failed: number;
}

export function jsonCells(samples: readonly JsonSample[]): JsonCell[] {
  const cells: JsonCell[] = [];
  for (const upstream of [...new Set(samples.map((s) => s.upstream))]) {
    for (const pathName of PATH_NAMES) {
      const list = samples.filter((s) => s.upstream === upstream && s.path === pathName);
      if (list.length === 0) continue;
      const naive = (s: JsonSample): JsonSample | undefined =>
        samples.find((n) => n.upstream === upstream && n.round === s.round && n.path === 'naive');
      cells.push({
        upstream,
        path: pathName,
        requestsPerSecond: rangeOf(list.map((s) => s.requestsPerSecond)),
        ratioToNaive: rangeOf(list.map((s) => s.requestsPerSecond / (naive(s)?.requestsPerSecond ?? Number.NaN))),
        latencyP99Ms: rangeOf(list.map((s) => s.latencyP99Ms)),
        relayCpuMicrosPerRequest: rangeOf(list.map((s) => s.relayCpuMicrosPerRequest ?? Number.NaN)),
        relayCores: rangeOf(list.map((s) => s.relayCores ?? Number.NaN)),
        upstreamCores: rangeOf(list.map((s) => s.upstreamCores)),
        loadCores: rangeOf(list.map((s) => s.loadCores)),
        failed: list.reduce((sum, s) => sum + s.non2xx + s.errors, 0),
      });
    }
  }
  return cells;
}

export type Verdict = 'PASS' | 'MISS' | 'NOT MEASURED';

export interface TargetVerdict {
  readonly target: string;
  readonly upstream: UpstreamName | undefined;
  readonly measured: string;
  readonly verdict: Verdict;
}

const MAX_ADDED_TTFB_AT_ONE_MS = 1;
const SLOW_RSS_LIMIT_MB = 512;
const OWN_DESCRIPTORS = 16;

function cellOf(cells: readonly StreamCell[], upstream: UpstreamName, streams: number, pathName: PathName): StreamCell | undefined {
  return cells.find((c) => c.upstream === upstream && c.streams === streams && c.path === pathName);
}

/** Rounds in which the gateway's value was at most the naive proxy's. */
function roundsNoWorse(samples: readonly StreamSample[], upstream: UpstreamName, streams: number, pick: (s: StreamSample) => number): string {
  const gateway = samples.filter((s) => s.upstream === upstream && s.streams === streams && s.path === 'gateway');
  let wins = 0;
  for (const g of gateway) {
    const n = samples.find((s) => s.upstream === upstream && s.streams === streams && s.round === g.round && s.path === 'naive');
    if (n !== undefined && pick(g) <= pick(n)) wins += 1;
  }
  return `${wins}/${gateway.length} rounds`;
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function judgeTargets(
  samples: readonly StreamSample[],
  cells: readonly StreamCell[],
  slow: readonly SlowSample[],
  json: readonly JsonCell[],
): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const upstream of [...new Set(cells.map((c) => c.upstream))]) {
    const one = cellOf(cells, upstream, 1, 'gateway');
    if (one !== undefined) {
      const naive = cellOf(cells, upstream, 1, 'naive');
      const added = one.addedTtfbP50.median;
      verdicts.push({
        target: 'added TTFB p50 at 1 stream ≤ 1 ms',
        upstream,
        measured: `gateway ${fixed(added, 2)} ms (rounds ${fixed(one.addedTtfbP50.min, 2)}–${fixed(one.addedTtfbP50.max, 2)}); naive proxy ${fixed(naive?.addedTtfbP50.median ?? Number.NaN, 2)} ms`,
        verdict: Number.isFinite(added) ? (added <= MAX_ADDED_TTFB_AT_ONE_MS ? 'PASS' : 'MISS') : 'NOT MEASURED',
      });
    }
    const counts = [...new Set(cells.filter((c) => c.upstream === upstream && c.streams > 1).map((c) => c.streams))];
    for (const streams of counts) {
      const gateway = cellOf(cells, upstream, streams, 'gateway');
      const naive = cellOf(cells, upstream, streams, 'naive');
      if (gateway === undefined || naive === undefined) continue;
      const metrics: [string, (c: StreamCell) => Range, (s: StreamSample) => number][] = [
        ['TTFB p50', (c) => c.ttfbP50, (s) => s.ttfbP50Ms],
        ['TTFB p99', (c) => c.ttfbP99, (s) => s.ttfbP99Ms],
        ['max gap p50', (c) => c.gapP50, (s) => s.gapP50Ms],
        ['max gap p99', (c) => c.gapP99, (s) => s.gapP99Ms],
      ];
      for (const [name, pick, pickSample] of metrics) {
        const g = pick(gateway).median;
        const n = pick(naive).median;
        verdicts.push({
          target: `${streams} streams: ${name} no worse than the naive proxy`,
          upstream,
          measured: `gateway ${fixed(g, 1)} ms, naive ${fixed(n, 1)} ms (×${fixed(g / n, 2)}; gateway ≤ naive in ${roundsNoWorse(samples, upstream, streams, pickSample)})`,
          verdict: Number.isFinite(g) && Number.isFinite(n) ? (g <= n ? 'PASS' : 'MISS') : 'NOT MEASURED',
        });
      }
    }
  }
  const naiveSlow = slow.find((x) => x.relay === 'naive');
  for (const s of slow.filter((x) => x.relay === 'gateway' && x.run === 'main')) {
    // Two sockets per stream, plus the process's own descriptors (stdio, epoll, the listening socket, …).
    const fdBound = s.streams * 2 + OWN_DESCRIPTORS > s.openFilesLimit;
    const naiveNote = naiveSlow === undefined ? '' : `; the naive proxy held ${naiveSlow.held}`;
    verdicts.push({
      target: `${s.streams} slow streams held`,
      upstream: 'raw',
      measured:
        `${s.held} of ${s.streams} held ${fixed(s.holdSeconds, 1)} s, ${s.failed} failed` +
        (fdBound ? ` (open-file limit ${s.openFilesLimit}: two sockets per stream leave no room for ${s.streams} in one process${naiveNote})` : naiveNote),
      verdict: s.failed === 0 && s.held === s.streams ? 'PASS' : 'MISS',
    });
    verdicts.push({
      target: `${s.streams} slow streams: peak RSS < ${SLOW_RSS_LIMIT_MB} MB`,
      upstream: 'raw',
      measured:
        `VmHWM ${fixed(s.peakRssMb, 0)} MB (highest sample while held ${fixed(s.holdRssMb, 0)} MB, idle ${fixed(s.idleRssMb, 0)} MB)` +
        (naiveSlow === undefined ? '' : `; naive proxy ${fixed(naiveSlow.peakRssMb, 0)} MB`),
      verdict: s.peakRssMb < SLOW_RSS_LIMIT_MB ? 'PASS' : 'MISS',
    });
  }
  for (const upstream of [...new Set(json.map((c) => c.upstream))]) {
    const gateway = json.find((c) => c.upstream === upstream && c.path === 'gateway');
    const naive = json.find((c) => c.upstream === upstream && c.path === 'naive');
    if (gateway === undefined || naive === undefined) continue;
    const ratio = gateway.requestsPerSecond.median / naive.requestsPerSecond.median;
    verdicts.push({
      target: 'non-streaming req/s ≥ the naive proxy',
      upstream,
      measured: `gateway ${fixed(gateway.requestsPerSecond.median, 0)} req/s, naive ${fixed(naive.requestsPerSecond.median, 0)} req/s (×${fixed(ratio, 3)}; rounds ×${fixed(gateway.ratioToNaive.min, 3)}–${fixed(gateway.ratioToNaive.max, 3)})`,
      verdict: Number.isFinite(ratio) ? (ratio >= 1 ? 'PASS' : 'MISS') : 'NOT MEASURED',
    });
  }
  return verdicts;
}
