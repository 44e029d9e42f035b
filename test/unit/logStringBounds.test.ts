import { createRedactor, type Redactor } from '../../src/redaction';
import { createStringBounds } from '../../src/logStringBounds';

const MAX = 100;

/** A real redactor that remembers the longest string it was asked to read. */
function watchedRedactor(): { redactor: Redactor; longest: () => number } {
  const redactor = createRedactor();
  let longest = 0;
  const measure = (value: unknown, depth = 0): void => {
    if (typeof value === 'string') longest = Math.max(longest, value.length);
    else if (depth < 12 && typeof value === 'object' && value !== null) {
      let entries: unknown[];
      try {
        entries = value instanceof Map || value instanceof Set ? [...value.entries()].flat() : Object.values(value);
      } catch {
        return;
      }
      if (value instanceof Error) entries.push(value.message, value.stack, value.name);
      for (const entry of entries) measure(entry, depth + 1);
    }
  };
  return {
    redactor: {
      ...redactor,
      string: (input) => (measure(input), redactor.string(input)),
      jsonMember: (key, value) => (measure(key), measure(value), redactor.jsonMember(key, value)),
    },
    longest: () => longest,
  };
}

function setup(maxLength = MAX) {
  const watched = watchedRedactor();
  let cuts = 0;
  const bounds = createStringBounds({ maxLength, redactor: watched.redactor, onCut: () => (cuts += 1) });
  const member = (key: string, value: unknown): unknown => JSON.parse(`{${bounds.jsonMember(key, value) ?? ''}}`)[key];
  return { bounds, member, cuts: () => cuts, longest: watched.longest };
}

const cutOf = (length: number, fill = 'x'): string => `${fill.repeat(MAX)} …[truncated: ${length - MAX} more of ${length} chars]`;

describe('createStringBounds', () => {
  it('leaves a string within the limit, and a value holding none longer, as it is', () => {
    const { bounds, cuts } = setup();
    const short = 'x'.repeat(MAX);
    expect(bounds.string(short)).toBe(short);
    expect(bounds.jsonMember('a', { nested: [short, 1, { deeper: short }] })).toBe(createRedactor().jsonMember('a', { nested: [short, 1, { deeper: short }] }));
    expect(cuts()).toBe(0);
  });

  it('cuts a long string to its first characters and says how much was left out, before the redactor reads it', () => {
    const { bounds, member, cuts, longest } = setup();
    const long = 'x'.repeat(5 * 1024 * 1024);
    expect(bounds.string(long)).toBe(cutOf(long.length));
    expect(member('body', long)).toBe(cutOf(long.length));
    expect(cuts()).toBe(2);
    expect(longest()).toBeLessThan(MAX + 2000);
  });

  it('cuts long strings at any depth the redactor looks, in every kind of value it writes', () => {
    const { member, cuts, longest } = setup();
    const long = 'x'.repeat(10_000);
    const error = Object.assign(new Error(long), { code: 'E_BIG' });
    error.stack = `Error: ${long}`;
    const value = {
      text: long,
      list: ['short', long],
      map: new Map([['k', long]]),
      set: new Set(['short', long]),
      error,
      dated: { toJSON: () => ({ text: long }) },
      boxed: new String(long),
    };
    expect(member('value', value)).toEqual({
      text: cutOf(long.length),
      list: ['short', cutOf(long.length)],
      map: { k: cutOf(long.length) },
      set: ['short', cutOf(long.length)],
      error: { type: 'Error', message: cutOf(long.length), stack: `Error: ${'x'.repeat(93)} …[truncated: 9907 more of 10007 chars]`, code: 'E_BIG' },
      dated: { text: cutOf(long.length) },
      boxed: cutOf(long.length),
    });
    expect(cuts()).toBe(8);
    expect(longest()).toBeLessThan(MAX + 2000);
  });

  it('leaves alone what the redactor leaves out: entries past its maxEntries, values past its maxDepth', () => {
    const { member, cuts } = setup();
    const long = 'x'.repeat(10_000);
    const many = [...Array.from({ length: 10 }, () => 'short'), long];
    expect(member('many', many)).toEqual([...Array.from({ length: 10 }, () => 'short'), '[truncated: 1 more of 11]']);
    let deep: unknown = long;
    for (let depth = 0; depth < 9; depth += 1) deep = { deep };
    member('deep', deep);
    expect(cuts()).toBe(0);
  });

  it('redacts a secret that the cut runs through, so that none of it is left', () => {
    const { bounds } = setup();
    const card = '4111 1111 1111 1111';
    const text = `${'x'.repeat(MAX - 9)} ${card} and more`;
    const cut = bounds.string(text);
    expect(cut).not.toContain('4111 1111');
    expect(cut).toContain('[REDACTED]'.slice(0, 8));
  });

  it('cuts a long key, and still censors its value when the whole key names a secret', () => {
    const { member, bounds } = setup();
    const key = `${'k'.repeat(10_000)}_password`;
    const text = bounds.jsonMember(key, 'hunter2-hunter2') as string;
    expect(text).not.toContain('hunter2');
    const [writtenKey] = Object.keys(JSON.parse(`{${text}}`) as object);
    expect(writtenKey).toMatch(/^k{100} …\[truncated: 9909 more of 10009 chars\]$/);
    expect(member('plain', { [`${'k'.repeat(200)}`]: 1 })).toEqual({ [`${'k'.repeat(100)} …[truncated: 100 more of 200 chars]`]: 1 });
  });

  it('leaves a value whose getter throws or that refers to itself to the redactor, which marks it', () => {
    const { member } = setup();
    const circular: Record<string, unknown> = { text: 'x'.repeat(1000) };
    circular.self = circular;
    expect(member('circular', circular)).toEqual({ text: cutOf(1000), self: '[Circular]' });
    const throwing = Object.defineProperty({}, 'bad', { enumerable: true, get: () => { throw new Error('no'); } });
    expect(member('throwing', throwing)).toBe('[Unserializable]');
  });
});
