import { textSource } from '../../src/timeline/readLogLines';
import { renderTimelineJson, renderTimelineText } from '../../src/timeline/renderTimeline';
import { timelineFromLogs, type Timeline } from '../../src/timeline/timelineFromLogs';
import { at, competitorLines, gatewayLines, jsonl, REQUEST_ID, sandboxLines, TRACE_ID, type Line } from '../support/timelineLines';

async function timelineOf(lines: readonly Line[], gapMs?: number): Promise<Timeline> {
  const { timeline } = await timelineFromLogs([textSource('run.log', jsonl(lines))], REQUEST_ID, gapMs === undefined ? {} : { gapMs });
  if (timeline === undefined) throw new Error('no timeline');
  return timeline;
}

describe('renderTimelineText', () => {
  it('prints a header, then one aligned row per line: offset, service, label, message and detail', async () => {
    const timeline = await timelineOf([...gatewayLines(), ...competitorLines(), ...sandboxLines()]);
    const text = renderTimelineText(timeline);
    const [header, ...rows] = text.trimEnd().split('\n');
    expect(header).toBe(`timeline of ${REQUEST_ID} · trace ${TRACE_ID} · 15 lines from gateway, competitor-fast, sandbox · started ${at(0)} · lasted 846 ms`);
    expect(rows).toHaveLength(15);
    expect(rows[0]).toMatch(/^ {2}\+0 ms {2}gateway {10}arrival {2,}request started: POST \/v1\/chat\/completions$/);
    expect(rows.find((row) => row.includes('first token'))).toMatch(/^ \+37 ms {2}gateway +first token \(ttft 37\.8 ms\) +first token: upstream ttft 27\.7 ms$/);
    expect(rows.at(-1)).toMatch(/^\+846 ms {2}gateway +completion \(200, 8139 bytes, completed\) +request completed: 846\.6 ms, ttft 37\.8 ms/);
    // Columns: offset (7 wide), service (15, competitor-fast), label: each row's label starts at the same column.
    const labelColumn = '+846 ms'.length + 2 + 'competitor-fast'.length + 2;
    rows.forEach((row, index) => expect(row.slice(labelColumn).startsWith(`${timeline.rows[index]?.label}  `)).toBe(true));
    expect(text.endsWith('\n')).toBe(true);
  });

  it('names in the header the ids other than the one asked for', async () => {
    const { timeline } = await timelineFromLogs([textSource('run.log', jsonl([...gatewayLines(), ...sandboxLines()]))], TRACE_ID);
    expect(renderTimelineText(timeline!).split('\n')[0]).toMatch(new RegExp(`^timeline of ${TRACE_ID} · request ${REQUEST_ID} · 9 lines from gateway, sandbox · `));
  });

  it('shows a gap row with a dash for its service', async () => {
    const lines = [0, 3000].map((ms) => ({ timestamp: at(ms), message: `at ${ms}`, service: 'gateway', request_id: REQUEST_ID, level: 'info' }));
    const rows = renderTimelineText(await timelineOf(lines)).trimEnd().split('\n').slice(1);
    expect(rows).toEqual([
      `   +0 ms  gateway  ${'log'.padEnd(12)}  at 0`,
      '   +0 ms  -        gap (3.00 s)  no line for 3000 ms: over 2000 ms',
      `+3000 ms  gateway  ${'log'.padEnd(12)}  at 3000`,
    ]);
  });

  it('marks lines without a timestamp with ? and says so in the header', async () => {
    const text = renderTimelineText(await timelineOf([{ message: 'undated', service: 's', request_id: REQUEST_ID }, { timestamp: at(0), message: 'dated', service: 's', request_id: REQUEST_ID }]));
    expect(text).toContain('1 without a timestamp, listed last');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^ {4}\? {2}s {2}log {2}undated$/);
  });
});

describe('renderTimelineJson', () => {
  it('prints one JSON document with the ids, the rows in order and each line as logged', async () => {
    const timeline = await timelineOf([...gatewayLines(), ...sandboxLines(), { timestamp: at(3000), message: 'late', service: 'gateway', request_id: REQUEST_ID }]);
    const doc = JSON.parse(renderTimelineJson(timeline)) as Record<string, unknown> & { rows: Record<string, unknown>[] };
    expect(doc).toMatchObject({ id: REQUEST_ID, request_ids: [REQUEST_ID], trace_ids: [TRACE_ID], services: ['gateway', 'sandbox'], started_at: at(0), duration_ms: 3000, gap_ms: 2000, lines_not_json: 0 });
    expect(doc.rows[0]).toEqual({
      offset_ms: 0,
      timestamp: at(0),
      service: 'gateway',
      kind: 'arrival',
      label: 'arrival',
      message: 'request started',
      detail: 'POST /v1/chat/completions',
      level: 'info',
      source: 'run.log',
      line_number: 1,
      fields: gatewayLines()[0],
    });
    const gap = doc.rows.find((row) => row.kind === 'gap');
    expect(gap).toMatchObject({ offset_ms: 846, service: '', timestamp: null, fields: null, source: null });
    expect(doc.rows.map((row) => row.offset_ms)).toEqual([...(doc.rows.map((row) => row.offset_ms) as number[])].sort((a, b) => a - b));
  });
});
