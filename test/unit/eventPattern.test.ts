import { createPatternTable, eventPattern, isEventName, parseEventPattern } from '../../src/eventPattern';

function matches(pattern: string, name: string): boolean {
  return eventPattern('test', pattern).matches(name);
}

describe('isEventName', () => {
  it('accepts dot-separated segments of a-z, 0-9 and _', () => {
    for (const name of ['pool', 'pool.saturated', 'error_rate.exceeded', 'a.b.c.d', 'v2.x_1']) expect(isEventName(name)).toBe(true);
  });

  it('refuses anything else, and names too long for a label', () => {
    for (const name of ['', 'Pool', 'pool.', '.pool', 'pool..x', 'pool-x', 'pool.*', 'pool x', 'x'.repeat(129), 7, undefined]) {
      expect(isEventName(name)).toBe(false);
    }
    expect(isEventName('x'.repeat(128))).toBe(true);
  });
});

describe('eventPattern', () => {
  it.each([
    ['pool.saturated', 'pool.saturated', true],
    ['pool.saturated', 'pool.saturated_x', false],
    ['*', 'anything', true],
    ['*', 'a.b.c', true],
    ['pool.*', 'pool.saturated', true],
    ['pool.*', 'pool.render.saturated', true],
    ['pool.*', 'pool', false],
    ['pool.*', 'pools.saturated', false],
    ['*.crashed', 'worker.crashed', true],
    ['*.crashed', 'pool.worker.crashed', true],
    ['*.crashed', 'crashed', false],
    ['*.crashed', 'worker.crashed_twice', false],
    ['app.*.failed', 'app.job.failed', true],
    ['app.*.failed', 'app.a.b.failed', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(matches(pattern, name)).toBe(expected);
  });

  it('throws naming the bad pattern and showing good ones', () => {
    expect(() => eventPattern('owner', 'pool.**')).toThrow(new TypeError(
      'owner: "pool.**" is not an event name or pattern; expected dot-separated segments of a-z, 0-9 and _ ' +
        '(at most 128 characters), with * for any segments, such as pool.saturated, pool.*, *.crashed or *',
    ));
  });

  it('parses to undefined instead of throwing, for filters from a query string', () => {
    expect(parseEventPattern('Pool.*')).toBeUndefined();
    expect(parseEventPattern(['pool.*'])).toBeUndefined();
    expect(parseEventPattern('pool.*')?.exact).toBe(false);
  });
});

describe('createPatternTable', () => {
  it('resolves an exact name first, then the pattern with most literal segments, then the first set', () => {
    const table = createPatternTable<string>();
    table.set(eventPattern('t', '*'), 'everything');
    table.set(eventPattern('t', 'pool.*'), 'pool-first');
    table.set(eventPattern('t', '*.saturated'), 'saturated-second');
    table.set(eventPattern('t', 'pool.render.*'), 'render');
    table.set(eventPattern('t', 'pool.started'), 'exact');
    expect(table.resolve('pool.started')).toBe('exact');
    expect(table.resolve('pool.render.saturated')).toBe('render');
    expect(table.resolve('pool.saturated')).toBe('pool-first');
    expect(table.resolve('worker.saturated')).toBe('saturated-second');
    expect(table.resolve('session.created')).toBe('everything');
  });

  it('replaces the value of a pattern set again, keeping its place', () => {
    const table = createPatternTable<number>();
    table.set(eventPattern('t', 'pool.*'), 1);
    table.set(eventPattern('t', '*.saturated'), 2);
    table.set(eventPattern('t', 'pool.*'), 3);
    expect(table.resolve('pool.saturated')).toBe(3);
    expect(table.entries()).toEqual([['pool.*', 3], ['*.saturated', 2]]);
  });

  it('resolves nothing for names no entry covers', () => {
    const table = createPatternTable<number>();
    table.set(eventPattern('t', 'pool.*'), 1);
    expect(table.resolve('worker.started')).toBeUndefined();
  });
});
