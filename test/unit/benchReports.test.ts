import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeRawJson as writeOverheadJson, writeResultsMarkdown as writeOverheadMarkdown, type BenchReport } from '../../bench/report';
import { readSettings as readOverheadSettings } from '../../bench/settings';
import { writeRawJson as writeStreamsJson, writeResultsMarkdown as writeStreamsMarkdown, type StreamsReport } from '../../bench/streams/report';
import { readSettings as readStreamsSettings } from '../../bench/streams/settings';

/** Both bench reports name the Node they ran on, in bench/RESULTS.md and in the raw JSON. */

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-reports-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const times = { startedAt: '2026-12-07T10:00:00.000Z', finishedAt: '2026-12-07T10:05:00.000Z' };
const loadAverage = { start: [0.1, 0.2, 0.3], end: [0.4, 0.5, 0.6] };

function overheadReport(): BenchReport {
  return {
    info: { ...times, command: 'npm run bench', node: process.version, packages: { express: '5.3.0' }, settings: readOverheadSettings({}), loadAverage, before: undefined },
    logChecks: [],
    samples: [],
    summaries: [],
    partCosts: [],
    verdicts: [],
    comparisons: [],
    warnings: [],
  };
}

function streamsReport(): StreamsReport {
  return {
    info: {
      ...times,
      command: 'npm run bench:streams',
      source: 'abc1234',
      node: process.version,
      packages: { express: '5.3.0' },
      settings: readStreamsSettings({}),
      pinned: true,
      loadAverage,
      stealShare: { '0': 0, '1': 0 },
      competitorTokens: {},
      durationSeconds: 300,
    },
    observability: undefined,
    samples: [],
    cells: [],
    json: [],
    jsonCells: [],
    slow: [],
    profiles: [],
    verdicts: [],
    warnings: [],
  };
}

describe('bench reports', () => {
  it('the overhead section of RESULTS.md and its raw JSON record the Node version', () => {
    const results = path.join(scratch, 'RESULTS.md');
    const raw = writeOverheadJson(path.join(scratch, 'out'), overheadReport());
    writeOverheadMarkdown(results, overheadReport(), 'bench/out/overhead.json');
    expect(readFileSync(results, 'utf8')).toContain(`\n- Node: ${process.version}; express 5.3.0\n`);
    expect((JSON.parse(readFileSync(raw, 'utf8')) as BenchReport).info.node).toBe(process.version);
  });

  it('the streams section of RESULTS.md and its raw JSON record the Node version, next to the overhead section', () => {
    const results = path.join(scratch, 'RESULTS.md');
    writeOverheadMarkdown(results, overheadReport(), 'bench/out/overhead.json');
    const raw = writeStreamsJson(path.join(scratch, 'out'), streamsReport());
    writeStreamsMarkdown(results, streamsReport(), 'bench/out/streams.json', scratch);
    const text = readFileSync(results, 'utf8');
    expect(text.match(new RegExp(`^- Node: ${process.version.replace(/\./g, '\\.')}; express 5\\.3\\.0$`, 'gm'))).toHaveLength(2);
    expect(text.indexOf('<!-- bench:overhead:end -->')).toBeLessThan(text.indexOf('<!-- bench:streams:start -->'));
    expect((JSON.parse(readFileSync(raw, 'utf8')) as StreamsReport).info.node).toBe(process.version);
  });
});
