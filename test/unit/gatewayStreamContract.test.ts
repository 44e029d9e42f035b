import type { StreamFigures } from '../../src';
import { contractViolations } from '../../gateway/streamContract';

const limits = { contractTtftMs: 1000, contractGapMs: 500 };

function figures(overrides: Partial<StreamFigures>): StreamFigures {
  return {
    upstream: 'baseline',
    outcome: 'completed',
    ttftMs: 100,
    maxGapMs: 100,
    maxContentGapMs: 100,
    events: 3,
    keepalives: 0,
    bytes: 300,
    durationMs: 400,
    reason: undefined,
    ...overrides,
  };
}

describe('contractViolations', () => {
  it.each<[string, string[], Partial<StreamFigures>]>([
    ['a stream within both limits', [], {}],
    ['content exactly at the limits', [], { ttftMs: 1000, maxGapMs: 500 }],
    ['late first content', ['ttft'], { ttftMs: 1001 }],
    ['a gap over the limit', ['gap'], { maxGapMs: 501 }],
    ['both', ['ttft', 'gap'], { ttftMs: 2000, maxGapMs: 900 }],
    ['a completed stream without content, however short', ['ttft'], { ttftMs: undefined, durationMs: 10 }],
    ['a client leaving a stream without content before the limit', [], { ttftMs: undefined, outcome: 'client_aborted', durationMs: 999 }],
    ['a client leaving a stream without content after the limit', ['ttft'], { ttftMs: undefined, outcome: 'client_aborted', durationMs: 1001 }],
    ['a stream failing without content after the limit', ['ttft', 'gap'], { ttftMs: undefined, outcome: 'timeout', durationMs: 3000, maxGapMs: 3000 }],
  ])('%s → %j', (_name, expected, overrides) => {
    expect(contractViolations(figures(overrides), limits)).toEqual(expected);
  });
});
