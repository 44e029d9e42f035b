import { createStreamObservation, type StreamFigures } from '../../src/streamObservation';

function observed(options: { isContent?: Parameters<typeof createStreamObservation>[0]['isContent'] } = {}) {
  let now = 1000;
  const ended: StreamFigures[] = [];
  const observation = createStreamObservation({
    upstream: 'baseline',
    startedAt: 1000,
    now: () => now,
    onEnd: (figures) => ended.push(figures),
    ...options,
  });
  return {
    observation,
    ended,
    at(ms: number, chunk?: string | Uint8Array) {
      now = 1000 + ms;
      if (chunk !== undefined) observation.written(chunk);
    },
  };
}

describe('stream observation', () => {
  it('measures time to the first event with content, not to a keep-alive', () => {
    const s = observed();
    s.at(100, ': ping\n\n');
    s.at(450, 'data: {"a":1}\n\n');
    s.at(500, 'data: [DONE]\n\n');
    const figures = s.observation.finish(true);
    expect(figures).toMatchObject({ ttftMs: 450, events: 2, keepalives: 1, outcome: 'completed', upstream: 'baseline' });
  });

  it('measures the longest gap with keep-alives as frames, and without them', () => {
    const s = observed();
    s.at(10, 'data: a\n\n');
    s.at(900, ': ping\n\n');
    s.at(1800, ': ping\n\n');
    s.at(2000, 'data: b\n\n');
    s.at(2010, 'data: [DONE]\n\n');
    const figures = s.observation.finish(true);
    expect(figures.maxGapMs).toBe(900);
    expect(figures.maxContentGapMs).toBe(1990);
  });

  it('follows events split across writes and bytes, in any chunking', () => {
    const s = observed();
    const bytes = Buffer.from('data: héllo\n\ndata: wörld\n\n');
    s.at(5, bytes.subarray(0, 9)); // splits the é
    s.at(6, bytes.subarray(9, 20));
    s.at(7, bytes.subarray(20));
    const figures = s.observation.finish(true);
    expect(figures.events).toBe(2);
    expect(figures.bytes).toBe(bytes.byteLength);
    expect(figures.ttftMs).toBe(6);
  });

  it('calls the silence before an abort a gap, and the outcome client_aborted', () => {
    const s = observed();
    s.at(10, 'data: a\n\n');
    s.at(5010);
    expect(s.observation.finish(false)).toMatchObject({ outcome: 'client_aborted', maxGapMs: 5000, durationMs: 5010 });
  });

  it('keeps the first failure as the outcome, with its reason', () => {
    const s = observed();
    s.observation.fail('timeout', 'idle gap over 30000 ms');
    s.observation.fail('upstream_error');
    expect(s.observation.finish(true)).toMatchObject({ outcome: 'timeout', reason: 'idle gap over 30000 ms', ttftMs: undefined });
  });

  it('finishes once: later calls return the same figures and ignore later writes', () => {
    const s = observed();
    s.at(1, 'data: a\n\n');
    const first = s.observation.finish(true);
    s.at(2, 'data: b\n\n');
    expect(s.observation.finish(false)).toBe(first);
    expect(s.ended).toEqual([first]);
    expect(first.events).toBe(1);
  });

  it('lets the caller say which events carry content', () => {
    const s = observed({ isContent: (event) => event.data.includes('"content"') });
    s.at(10, 'data: {"role":"assistant"}\n\n');
    s.at(30, 'data: {"content":"hi"}\n\n');
    expect(s.observation.finish(true).ttftMs).toBe(30);
  });
});
