import { textSource } from '../../src/timeline/readLogLines';
import { selectRequestLines } from '../../src/timeline/selectRequestLines';
import { resolveGapMs, timelineFromLogs, type Timeline } from '../../src/timeline/timelineFromLogs';
import {
  at,
  competitorLines,
  gatewayLines,
  jsonl,
  OTHER_REQUEST_ID,
  otherRequestLines,
  REQUEST_ID,
  sandboxLines,
  TRACE_ID,
  type Line,
} from '../support/timelineLines';

/** One file per service, as an operator would pass them, plus another request's lines mixed in. */
function serviceFiles() {
  return [
    textSource('gateway.log', jsonl([...gatewayLines(), ...otherRequestLines().slice(0, 1)])),
    textSource('competitor.log', jsonl([...competitorLines(), ...sandboxLines(), ...otherRequestLines().slice(1)])),
  ];
}

async function timelineOf(id: string, lines: readonly Line[], gapMs?: number): Promise<Timeline> {
  const { timeline } = await timelineFromLogs([textSource('all.log', jsonl(lines))], id, gapMs === undefined ? {} : { gapMs });
  if (timeline === undefined) throw new Error(`no timeline for ${id}`);
  return timeline;
}

const messagesOf = (timeline: Timeline): string[] => timeline.rows.map((row) => `${row.service}: ${row.message}`);

describe('selectRequestLines', () => {
  it('takes the lines naming the request id, then every line sharing their trace id (the sandbox child logs no request id)', async () => {
    const selection = await selectRequestLines(serviceFiles(), REQUEST_ID);
    const services = selection.records.map((record) => record.fields.service);
    expect(services.filter((service) => service === 'gateway')).toHaveLength(gatewayLines().length);
    expect(services.filter((service) => service === 'competitor-fast')).toHaveLength(competitorLines().length);
    expect(services.filter((service) => service === 'sandbox')).toHaveLength(sandboxLines().length);
    expect(selection.records.some((record) => record.fields.request_id === OTHER_REQUEST_ID || record.fields.trace_id !== TRACE_ID)).toBe(false);
    expect(selection.traceIds).toEqual([TRACE_ID]);
    expect(selection.requestIds).toEqual([REQUEST_ID]);
  });

  it('follows a competitor that logs the trace under a request id of its own', async () => {
    const own = competitorLines().map((line) => ({ ...line, request_id: 'competitor-own-id' }));
    const selection = await selectRequestLines([textSource('all.log', jsonl([...gatewayLines(), ...own]))], REQUEST_ID);
    expect(selection.records).toHaveLength(gatewayLines().length + own.length);
    expect(selection.requestIds).toEqual([REQUEST_ID, 'competitor-own-id']);
  });

  it('takes a trace id as well, and lists each line once however it matched', async () => {
    const selection = await selectRequestLines(serviceFiles(), TRACE_ID);
    expect(selection.records).toHaveLength(gatewayLines().length + competitorLines().length + sandboxLines().length);
    expect(new Set(selection.records.map((record) => `${record.source}:${record.lineNumber}`)).size).toBe(selection.records.length);
  });

  it('counts JSON lines read and lines that are not JSON, remembering the first', async () => {
    const text = `${jsonl(gatewayLines())}npm WARN config\n{"truncated":\n`;
    const selection = await selectRequestLines([textSource('run.log', text)], REQUEST_ID);
    expect(selection.jsonLines).toBe(gatewayLines().length);
    expect(selection.notJson).toEqual({ count: 2, first: { source: 'run.log', lineNumber: gatewayLines().length + 1 } });
  });

  it('finds nothing for an id no line carries, and does not match an id inside another field', async () => {
    const lines = [{ ...gatewayLines()[0], message: `request started for ${REQUEST_ID}x`, request_id: 'someone-else', trace_id: 'b'.repeat(32) }];
    const selection = await selectRequestLines([textSource('all.log', jsonl(lines))], `${REQUEST_ID}x`);
    expect(selection.records).toEqual([]);
  });
});

describe('timelineFromLogs', () => {
  it('orders the lines of every service by timestamp, whatever file they were in', async () => {
    const { timeline } = await timelineFromLogs(serviceFiles(), REQUEST_ID);
    const times = timeline!.rows.map((row) => Date.parse(String(row.timestamp)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(messagesOf(timeline!).slice(0, 4)).toEqual([
      'gateway: request started',
      'gateway: upstream call started',
      'competitor-fast: request started',
      'competitor-fast: event',
    ]);
    expect(timeline!.rows.at(-1)).toMatchObject({ service: 'gateway', kind: 'completion', offsetMs: 846 });
    expect(timeline!.services).toEqual(['gateway', 'competitor-fast', 'sandbox']);
    expect(timeline!.durationMs).toBe(846);
    expect(timeline!.startedAt).toBe(at(0));
  });

  it('keeps the order lines were read in for equal timestamps', async () => {
    const lines = ['c', 'a', 'b'].map((message) => ({ timestamp: at(5), message, service: 's', request_id: REQUEST_ID }));
    const timeline = await timelineOf(REQUEST_ID, [{ timestamp: at(9), message: 'last', service: 's', request_id: REQUEST_ID }, ...lines]);
    expect(timeline.rows.map((row) => row.message)).toEqual(['c', 'a', 'b', 'last']);
    expect(timeline.rows.map((row) => row.offsetMs)).toEqual([0, 0, 0, 4]);
  });

  it('names the rows by what the services log', async () => {
    const { timeline } = await timelineFromLogs(serviceFiles(), REQUEST_ID);
    expect(timeline!.rows.map((row) => `${row.service} ${row.kind}`)).toEqual([
      'gateway arrival',
      'gateway upstream_call',
      'competitor-fast arrival',
      'competitor-fast event',
      'competitor-fast tool_start',
      'gateway upstream_answer', // same millisecond as the next: gateway.log was given first
      'competitor-fast sandbox_start',
      'gateway first_token',
      'gateway stream_event',
      'sandbox sandbox_start',
      'sandbox sandbox_end',
      'competitor-fast tool_end',
      'gateway stream_event',
      'competitor-fast completion',
      'gateway completion',
    ]);
  });

  it('adds a gap row where no line was written for longer than the threshold, and none at exactly the threshold', async () => {
    const lines = [0, 100, 2100, 4101, 4200].map((ms, index) => ({ timestamp: at(ms), message: `m${index}`, service: 's', request_id: REQUEST_ID }));
    const timeline = await timelineOf(REQUEST_ID, lines);
    expect(timeline.gapMs).toBe(2000);
    const gaps = timeline.rows.filter((row) => row.kind === 'gap');
    expect(gaps).toEqual([expect.objectContaining({ offsetMs: 2100, service: '', label: 'gap (2.00 s)', message: 'no line for 2001 ms', line: undefined })]);
    expect(timeline.rows.map((row) => row.message)).toEqual(['m0', 'm1', 'm2', 'no line for 2001 ms', 'm3', 'm4']);

    const tighter = await timelineOf(REQUEST_ID, lines, 99);
    expect(tighter.rows.filter((row) => row.kind === 'gap').map((row) => row.offsetMs)).toEqual([0, 100, 2100]);
  });

  it('lists lines without a readable timestamp last, with no offset', async () => {
    const lines = [
      { message: 'no time', service: 's', request_id: REQUEST_ID },
      { timestamp: 'yesterday', message: 'bad time', service: 's', request_id: REQUEST_ID },
      { timestamp: at(3), message: 'timed', service: 's', request_id: REQUEST_ID },
    ];
    const timeline = await timelineOf(REQUEST_ID, lines);
    expect(timeline.rows.map((row) => [row.message, row.offsetMs])).toEqual([
      ['timed', 0],
      ['no time', undefined],
      ['bad time', undefined],
    ]);
    expect(timeline.untimed).toBe(2);
  });

  it('answers no timeline for an unknown id, with the count of lines read', async () => {
    const result = await timelineFromLogs(serviceFiles(), 'nobody');
    expect(result.timeline).toBeUndefined();
    expect(result.jsonLines).toBe(gatewayLines().length + competitorLines().length + sandboxLines().length + otherRequestLines().length);
  });

  it('refuses a negative or non-finite gap threshold, quoting it', () => {
    expect(() => resolveGapMs(-1)).toThrow('gapMs must be a number of milliseconds >= 0, got -1');
    expect(() => resolveGapMs(Number.NaN)).toThrow(/got NaN/);
    expect(resolveGapMs(undefined)).toBe(2000);
    expect(resolveGapMs(0)).toBe(0);
  });
});
