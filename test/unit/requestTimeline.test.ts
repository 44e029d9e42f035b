import { createRequestTimeline } from '../../src/requestTimeline';

const line = (id: string, index: number, pad = 0): string =>
  JSON.stringify({ timestamp: new Date(1_700_000_000_000 + index).toISOString(), request_id: id, index, pad: 'x'.repeat(pad) });

describe('createRequestTimeline', () => {
  it('returns the lines of a request in the order written, with elapsed_ms since its first', () => {
    const timeline = createRequestTimeline();
    timeline.record('a', line('a', 0));
    timeline.record('b', line('b', 1));
    timeline.record('a', line('a', 5));
    expect(timeline.get('a')).toEqual({
      request_id: 'a',
      lines: [expect.objectContaining({ index: 0, elapsed_ms: 0 }), expect.objectContaining({ index: 5, elapsed_ms: 5 })],
      lines_dropped: 0,
    });
    expect(timeline.get('missing')).toBeUndefined();
    expect(timeline.size).toBe(2);
  });

  it('keeps the latest requests by first line, and counts the lines beyond the limit per request', () => {
    const timeline = createRequestTimeline({ requests: 2, linesPerRequest: 2 });
    for (const id of ['one', 'two', 'three']) for (let index = 0; index < 3; index += 1) timeline.record(id, line(id, index));
    expect(timeline.get('one')).toBeUndefined();
    expect(timeline.get('three')?.lines.map((entry) => entry.index)).toEqual([0, 1]);
    expect(timeline.get('three')?.lines_dropped).toBe(1);
  });

  it('is bounded by bytes: wrapping around drops the oldest lines first, never a newer one', () => {
    const timeline = createRequestTimeline({ maxBytes: 4096 });
    const written: string[] = [];
    for (let request = 0; request < 200; request += 1) {
      const id = `req-${request}`;
      // Lines of irregular length, so that records end anywhere in the ring.
      for (let index = 0; index < 3; index += 1) timeline.record(id, line(id, index, (request * 7 + index * 13) % 90));
      written.push(id);
    }
    const kept = written.filter((id) => timeline.get(id) !== undefined);
    expect(kept.length).toBeGreaterThan(5);
    expect(kept.length).toBeLessThan(40);
    // What is kept is a run of the newest requests, each whole except maybe the oldest.
    expect(kept).toEqual(written.slice(-kept.length));
    for (const id of kept.slice(1)) expect(timeline.get(id)?.lines.map((entry) => entry.index)).toEqual([0, 1, 2]);
    for (const id of kept) for (const entry of timeline.get(id)?.lines ?? []) expect(entry.request_id).toBe(id);
  });

  it('keeps non-ASCII ids and lines intact, and skips a line longer than the whole buffer', () => {
    const timeline = createRequestTimeline({ maxBytes: 2048 });
    timeline.record('zé-1', JSON.stringify({ timestamp: new Date(0).toISOString(), message: 'déjà vu ✓' }));
    timeline.record('zé-1', line('zé-1', 1, 5000));
    expect(timeline.get('zé-1')?.lines).toEqual([expect.objectContaining({ message: 'déjà vu ✓' })]);
  });

  it('keeps a line that fills most of the buffer', () => {
    const timeline = createRequestTimeline({ maxBytes: 2048 });
    const long = line('big', 0, 1500);
    timeline.record('big', long);
    expect(timeline.get('big')?.lines).toHaveLength(1);
    timeline.record('after', line('after', 0, 10));
    expect(timeline.get('after')?.lines).toHaveLength(1);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => createRequestTimeline({ maxBytes: 0 })).toThrow(/maxBytes must be a positive integer, got 0/);
    expect(() => createRequestTimeline({ requests: 1.5 })).toThrow(/requests must be a positive integer/);
  });
});
