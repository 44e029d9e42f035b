import {
  TRACE_FLAG_SAMPLED,
  formatTraceparent,
  isValidSpanId,
  isValidTraceId,
  parseTraceparent,
  parseTracestate,
  randomSpanId,
  randomTraceId,
} from '../../src/w3cTraceContext';

// Values from the spec's "Examples of HTTP traceparent Headers".
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** Replaces the character at `index` of `s`. */
function setCharAt(s: string, index: number, c: string): string {
  return s.slice(0, index) + c + s.slice(index + 1);
}

describe('parseTraceparent', () => {
  describe('rejects malformed headers (the caller restarts the trace)', () => {
    const cases: ReadonlyArray<readonly [string, string | readonly string[] | undefined]> = [
      // Missing / multiple headers
      ['undefined (header absent)', undefined],
      ['empty string', ''],
      ['whitespace only', ' \t '],
      ['an array of two headers (header sent more than once)', [VALID, VALID]],
      ['an array of two different headers', [VALID, `00-${TRACE_ID}-${'1'.repeat(16)}-00`]],
      ['an empty array', []],

      // Length: version 00 must be exactly 55 characters
      ['version 00, one character short (54)', VALID.slice(0, -1)],
      ['version 00, flags of one character', `00-${TRACE_ID}-${PARENT_ID}-1`],
      ['version 00 with trailing data after the flags', `${VALID}-what-the-future-will-be-like`],
      ['version 00 with a trailing dash', `${VALID}-`],
      ['version 00 with one trailing character', `${VALID}0`],
      ['version 00 with three-character flags', `00-${TRACE_ID}-${PARENT_ID}-010`],
      ['trace-id one character short', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
      ['parent-id one character short', `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
      ['trace-id 33 characters and parent-id 15 (dash shifted)', `00-${TRACE_ID}a-${PARENT_ID.slice(1)}-01`],
      ['trace-id 31 characters and parent-id 17 (dash shifted)', `00-${TRACE_ID.slice(1)}-${PARENT_ID}a-01`],

      // Versioning of traceparent: higher version shorter than 55 characters
      ['future version shorter than 55 characters', `cc-${TRACE_ID}-${PARENT_ID}-1`],
      ['future version without flags', `cc-${TRACE_ID}-${PARENT_ID}`],

      // version
      ['version ff (forbidden)', `ff-${TRACE_ID}-${PARENT_ID}-01`],
      ['version ff with extra fields', `ff-${TRACE_ID}-${PARENT_ID}-01-extra`],
      ['non-hex version "zz"', `zz-${TRACE_ID}-${PARENT_ID}-01`],
      ['non-hex version "0g"', `0g-${TRACE_ID}-${PARENT_ID}-01`],
      ['uppercase version "0A"', `0A-${TRACE_ID}-${PARENT_ID}-01`],
      ['uppercase version "FF"', `FF-${TRACE_ID}-${PARENT_ID}-01`],
      ['one-character version', `0-${TRACE_ID}-${PARENT_ID}-01-`],
      ['three-character version', `000-${TRACE_ID}-${PARENT_ID}-01`],

      // trace-id
      ['uppercase hex in trace-id', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
      ['a single uppercase hex char in trace-id', `00-${setCharAt(TRACE_ID, 31, 'A')}-${PARENT_ID}-01`],
      ['non-hex char in trace-id', `00-${setCharAt(TRACE_ID, 0, 'g')}-${PARENT_ID}-01`],
      ['space inside trace-id', `00-${setCharAt(TRACE_ID, 10, ' ')}-${PARENT_ID}-01`],
      ['all-zero trace-id', `00-${ZERO_TRACE_ID}-${PARENT_ID}-01`],

      // parent-id
      ['uppercase hex in parent-id', `00-${TRACE_ID}-00F067AA0BA902B7-01`],
      ['a single uppercase hex char in parent-id', `00-${TRACE_ID}-${setCharAt(PARENT_ID, 15, 'B')}-01`],
      ['non-hex char in parent-id', `00-${TRACE_ID}-${setCharAt(PARENT_ID, 3, 'z')}-01`],
      ['all-zero parent-id', `00-${TRACE_ID}-${ZERO_PARENT_ID}-01`],
      ['all-zero trace-id and parent-id', `00-${ZERO_TRACE_ID}-${ZERO_PARENT_ID}-00`],

      // trace-flags
      ['uppercase hex in flags "0A"', `00-${TRACE_ID}-${PARENT_ID}-0A`],
      ['uppercase hex in flags "FF"', `00-${TRACE_ID}-${PARENT_ID}-FF`],
      ['non-hex flags "zz"', `00-${TRACE_ID}-${PARENT_ID}-zz`],
      ['non-hex flags "0x"', `00-${TRACE_ID}-${PARENT_ID}-0x`],
      ['flags with a space', `00-${TRACE_ID}-${PARENT_ID}- 1`],

      // Delimiters
      ['missing dash after version', `00${TRACE_ID}-${PARENT_ID}-01`],
      ['missing dash after trace-id', `00-${TRACE_ID}${PARENT_ID}-01`],
      ['missing dash after parent-id', `00-${TRACE_ID}-${PARENT_ID}01`],
      ['an extra dash after version', `00--${TRACE_ID}-${PARENT_ID}-01`],
      ['an extra dash after trace-id', `00-${TRACE_ID}--${PARENT_ID}-01`],
      ['wrong delimiter after version ("_")', setCharAt(VALID, 2, '_')],
      ['wrong delimiter after trace-id (":")', setCharAt(VALID, 35, ':')],
      ['wrong delimiter after parent-id (".")', setCharAt(VALID, 52, '.')],
      ['spaces as delimiters', VALID.replaceAll('-', ' ')],
      ['dashes replaced by hex digits (still 55 chars)', VALID.replaceAll('-', '0')],

      // Versioning of traceparent: higher versions
      ['future version with a non-dash after 55 chars', `cc-${TRACE_ID}-${PARENT_ID}-01.what-the-future-will-be-like`],
      ['future version with three-character flags', `cc-${TRACE_ID}-${PARENT_ID}-012`],
      ['future version with uppercase trace-id', `cc-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01-x`],
      ['future version with all-zero trace-id', `cc-${ZERO_TRACE_ID}-${PARENT_ID}-01-x`],
      ['future version with all-zero parent-id', `cc-${TRACE_ID}-${ZERO_PARENT_ID}-01-x`],
      ['future version with non-hex flags', `cc-${TRACE_ID}-${PARENT_ID}-0g-x`],
      ['future version with a missing dash after trace-id', `cc-${TRACE_ID}0${PARENT_ID}-01-x`],

      // Whitespace other than OWS (space / tab) is not trimmed
      ['surrounding newline', `\n${VALID}\n`],
      ['surrounding carriage return', `${VALID}\r`],
      ['surrounding non-breaking space', `\u00a0${VALID}`],
      ['whitespace inside the header', `00- ${TRACE_ID}-${PARENT_ID}-01`],
      ['non-ASCII digit in trace-id', `00-${setCharAt(TRACE_ID, 5, '\u0663')}-${PARENT_ID}-01`],
    ];

    it.each(cases)('returns null for %s', (_name, header) => {
      expect(parseTraceparent(header)).toBeNull();
    });
  });

  describe('accepts valid headers', () => {
    const cases: ReadonlyArray<readonly [string, string | readonly string[], { version: string; traceId: string; parentId: string; traceFlags: number }]> = [
      [
        'the spec example (sampled)',
        VALID,
        { version: '00', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
      [
        'the spec example (not sampled)',
        `00-${TRACE_ID}-${PARENT_ID}-00`,
        { version: '00', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 0 },
      ],
      [
        'ids with leading zeros that are not all zero',
        `00-${'0'.repeat(31)}1-${'0'.repeat(15)}1-00`,
        { version: '00', traceId: `${'0'.repeat(31)}1`, parentId: `${'0'.repeat(15)}1`, traceFlags: 0 },
      ],
      [
        'ids using every lowercase hex digit',
        '00-0123456789abcdef0123456789abcdef-fedcba9876543210-01',
        { version: '00', traceId: '0123456789abcdef0123456789abcdef', parentId: 'fedcba9876543210', traceFlags: 1 },
      ],
      [
        'surrounding spaces and tabs (trimmed)',
        ` \t ${VALID}\t  `,
        { version: '00', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
      [
        'a one-element array (header sent once)',
        [VALID],
        { version: '00', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
      [
        'future version of exactly 55 chars',
        `cc-${TRACE_ID}-${PARENT_ID}-01`,
        { version: 'cc', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
      [
        'future version with extra fields after a dash',
        `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`,
        { version: 'cc', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
      [
        'future version followed by a lone dash',
        `01-${TRACE_ID}-${PARENT_ID}-00-`,
        { version: '01', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 0 },
      ],
      [
        'the highest non-forbidden version fe',
        `fe-${TRACE_ID}-${PARENT_ID}-09-x`,
        { version: 'fe', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 9 },
      ],
      [
        'future version with surrounding whitespace',
        `  cc-${TRACE_ID}-${PARENT_ID}-01-x\t`,
        { version: 'cc', traceId: TRACE_ID, parentId: PARENT_ID, traceFlags: 1 },
      ],
    ];

    it.each(cases)('parses %s', (_name, header, expected) => {
      expect(parseTraceparent(header)).toEqual(expected);
    });

    it('returns a result whose ids are valid per isValidTraceId / isValidSpanId', () => {
      const parsed = parseTraceparent(VALID);
      expect(parsed).not.toBeNull();
      expect(isValidTraceId(parsed!.traceId)).toBe(true);
      expect(isValidSpanId(parsed!.parentId)).toBe(true);
    });
  });

  describe('trace-flags', () => {
    const cases: ReadonlyArray<readonly [string, number, boolean]> = [
      ['00', 0x00, false],
      ['01', 0x01, true],
      ['02', 0x02, false],
      ['03', 0x03, true],
      ['08', 0x08, false],
      ['09', 0x09, true],
      ['0f', 0x0f, true],
      ['10', 0x10, false],
      ['fe', 0xfe, false],
      ['ff', 0xff, true],
    ];

    it.each(cases)('parses flags "%s" as %i with sampled=%s', (flags, value, sampled) => {
      const parsed = parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-${flags}`);
      expect(parsed?.traceFlags).toBe(value);
      expect(((parsed?.traceFlags ?? 0) & TRACE_FLAG_SAMPLED) === TRACE_FLAG_SAMPLED).toBe(sampled);
    });

    it('exposes the sampled bit as 0x01', () => {
      expect(TRACE_FLAG_SAMPLED).toBe(0x01);
    });
  });
});

describe('formatTraceparent', () => {
  it('emits version 00 with the sampled flag set', () => {
    expect(formatTraceparent(TRACE_ID, PARENT_ID, TRACE_FLAG_SAMPLED)).toBe(VALID);
  });

  it('emits version 00 with no flags set', () => {
    expect(formatTraceparent(TRACE_ID, PARENT_ID, 0)).toBe(`00-${TRACE_ID}-${PARENT_ID}-00`);
  });

  it('always emits exactly 55 characters', () => {
    expect(formatTraceparent(randomTraceId(), randomSpanId(), 1)).toHaveLength(55);
  });

  it.each([
    [0x02, '00'],
    [0x03, '01'],
    [0x09, '01'],
    [0xfe, '00'],
    [0xff, '01'],
  ])('clears flags undefined in version 00 ("Other Flags": MUST be zero): %i -> %s', (flags, hex) => {
    expect(formatTraceparent(TRACE_ID, PARENT_ID, flags)).toBe(`00-${TRACE_ID}-${PARENT_ID}-${hex}`);
  });

  it.each([0, 1])('round-trips through parseTraceparent with flags %i', (flags) => {
    for (let i = 0; i < 100; i++) {
      const traceId = randomTraceId();
      const spanId = randomSpanId();
      expect(parseTraceparent(formatTraceparent(traceId, spanId, flags))).toEqual({
        version: '00',
        traceId,
        parentId: spanId,
        traceFlags: flags,
      });
    }
  });

  it('downgrades a parsed future version to 00 ("Versioning of traceparent")', () => {
    const parsed = parseTraceparent(`cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`);
    expect(parsed).not.toBeNull();
    expect(formatTraceparent(parsed!.traceId, 'b7ad6b7169203331', parsed!.traceFlags)).toBe(
      `00-${TRACE_ID}-b7ad6b7169203331-01`,
    );
  });
});

describe('id generation', () => {
  const N = 10_000;

  it('randomTraceId returns 32 lowercase hex chars, never all zero', () => {
    for (let i = 0; i < N; i++) {
      const id = randomTraceId();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(id).not.toBe(ZERO_TRACE_ID);
      expect(isValidTraceId(id)).toBe(true);
    }
  });

  it('randomSpanId returns 16 lowercase hex chars, never all zero', () => {
    for (let i = 0; i < N; i++) {
      const id = randomSpanId();
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      expect(id).not.toBe(ZERO_PARENT_ID);
      expect(isValidSpanId(id)).toBe(true);
    }
  });

  it(`randomTraceId yields ${N} unique ids`, () => {
    const ids = new Set<string>();
    for (let i = 0; i < N; i++) ids.add(randomTraceId());
    expect(ids.size).toBe(N);
  });

  it(`randomSpanId yields ${N} unique ids`, () => {
    const ids = new Set<string>();
    for (let i = 0; i < N; i++) ids.add(randomSpanId());
    expect(ids.size).toBe(N);
  });

  it('interleaved trace and span ids never share random bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < N; i++) {
      const traceId = randomTraceId();
      const spanId = randomSpanId();
      seen.add(traceId.slice(0, 16)).add(traceId.slice(16)).add(spanId);
    }
    expect(seen.size).toBe(3 * N);
  });

  it('draws again when the random source yields all-zero bytes', () => {
    jest.isolateModules(() => {
      const realCrypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');
      const randomFillSync = jest.fn(<T extends NodeJS.ArrayBufferView>(buf: T): T => {
        // First pool fill: all zeros; later fills: real randomness.
        if (randomFillSync.mock.calls.length === 1) {
          new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).fill(0);
          return buf;
        }
        return realCrypto.randomFillSync(buf);
      });
      jest.doMock('node:crypto', () => ({ ...realCrypto, randomFillSync }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const codec = require('../../src/w3cTraceContext') as typeof import('../../src/w3cTraceContext');

      const traceId = codec.randomTraceId();
      expect(codec.isValidTraceId(traceId)).toBe(true);
      expect(randomFillSync).toHaveBeenCalledTimes(2);
      expect(codec.isValidSpanId(codec.randomSpanId())).toBe(true);
    });
    jest.dontMock('node:crypto');
  });
});

describe('isValidTraceId / isValidSpanId', () => {
  it.each([
    [TRACE_ID, true],
    ['0123456789abcdef0123456789abcdef', true],
    [`${'0'.repeat(31)}1`, true],
    [ZERO_TRACE_ID, false],
    [TRACE_ID.toUpperCase(), false],
    [setCharAt(TRACE_ID, 31, 'A'), false],
    [setCharAt(TRACE_ID, 0, 'g'), false],
    [TRACE_ID.slice(1), false],
    [`${TRACE_ID}0`, false],
    [` ${TRACE_ID.slice(1)}`, false],
    ['', false],
  ])('isValidTraceId(%j) is %s', (id, valid) => {
    expect(isValidTraceId(id)).toBe(valid);
  });

  it.each([
    [PARENT_ID, true],
    ['fedcba9876543210', true],
    [`${'0'.repeat(15)}1`, true],
    [ZERO_PARENT_ID, false],
    [PARENT_ID.toUpperCase(), false],
    [setCharAt(PARENT_ID, 15, 'B'), false],
    [setCharAt(PARENT_ID, 0, '-'), false],
    [PARENT_ID.slice(1), false],
    [`${PARENT_ID}0`, false],
    [TRACE_ID, false],
    ['', false],
  ])('isValidSpanId(%j) is %s', (id, valid) => {
    expect(isValidSpanId(id)).toBe(valid);
  });
});

describe('parseTracestate', () => {
  /** `n` distinct members `k0=v0,k1=v1,...`. */
  function members(n: number, prefix = 'k'): string[] {
    return Array.from({ length: n }, (_, i) => `${prefix}${i}=v${i}`);
  }
  // Every printable ASCII char allowed in a value (0x20-0x7E except "," and "="), ending in a non-space.
  const ALL_VALUE_CHARS = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
    .filter((c) => c !== ',' && c !== '=')
    .join('');

  describe('accepts and normalises valid headers', () => {
    const cases: ReadonlyArray<readonly [string, string | readonly string[], string]> = [
      ['a single member', 'rojo=00f067aa0ba902b7', 'rojo=00f067aa0ba902b7'],
      ['two members', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
      ['OWS after the comma (as Node joins repeated headers)', 'rojo=1, congo=2', 'rojo=1,congo=2'],
      ['spaces and tabs around every member', ' \trojo=1 \t, \t congo=2\t ', 'rojo=1,congo=2'],
      ['empty members', ',,rojo=1,,,congo=2,', 'rojo=1,congo=2'],
      ['whitespace-only members', 'rojo=1, ,\t, \t ,congo=2', 'rojo=1,congo=2'],
      ['a trailing comma', 'rojo=1,', 'rojo=1'],
      ['a leading comma', ',rojo=1', 'rojo=1'],
      ['normalisation needed only after clean members', 'a=1,b=2,c=3 ,d=4', 'a=1,b=2,c=3,d=4'],

      // Keys
      ['a one-letter key', 'a=1', 'a=1'],
      ['a simple key with every allowed char', 'az09_-*/=1', 'az09_-*/=1'],
      ['a simple key of max length 256', `a${'b'.repeat(255)}=1`, `a${'b'.repeat(255)}=1`],
      ['a multi-tenant key', 'fw529a3039@dt=FW4;0;0;0;0;0;0;7b', 'fw529a3039@dt=FW4;0;0;0;0;0;0;7b'],
      ['a multi-tenant key whose tenant starts with a digit', '0tenant@system=1', '0tenant@system=1'],
      ['a multi-tenant key with every allowed char', 'a9_-*/@z9_-*/=1', 'a9_-*/@z9_-*/=1'],
      ['one-char tenant and system', '1@a=1', '1@a=1'],
      ['a tenant of max length 241', `t${'x'.repeat(240)}@sys=1`, `t${'x'.repeat(240)}@sys=1`],
      ['a system of max length 14', `tenant@s${'y'.repeat(13)}=1`, `tenant@s${'y'.repeat(13)}=1`],
      ['a simple key and a multi-tenant key with the same prefix', 'congo=1,congo@dt=2', 'congo=1,congo@dt=2'],

      // Values
      ['a value of one char', 'a=x', 'a=x'],
      ['a value of max length 256', `a=${'v'.repeat(256)}`, `a=${'v'.repeat(256)}`],
      ['a value with every allowed char', `a=${ALL_VALUE_CHARS}`, `a=${ALL_VALUE_CHARS}`],
      ['a value containing spaces', 'a=b c  d', 'a=b c  d'],
      ['a value with leading spaces (kept: part of the value)', 'a=  b', 'a=  b'],
      ['a value followed by spaces (trailing spaces are OWS)', 'a=b   ,c=d', 'a=b,c=d'],
      ['a 256-char value followed by OWS', `a=${'v'.repeat(256)}  `, `a=${'v'.repeat(256)}`],

      // Member count
      ['exactly 32 members', members(32).join(','), members(32).join(',')],
      ['32 members plus empty ones (empty members do not count)', `,${members(32).join(', ,')},`, members(32).join(',')],

      // Combining multiple header fields
      ['two headers as an array', ['rojo=1', 'congo=2'], 'rojo=1,congo=2'],
      ['a one-element array', ['rojo=1,congo=2'], 'rojo=1,congo=2'],
      ['array elements with OWS and commas', ['rojo=1, ', ' congo=2,x=3'], 'rojo=1,congo=2,x=3'],
      ['an array with an empty header', ['', 'rojo=1', ' '], 'rojo=1'],
      ['32 members split across headers', [members(16).join(','), members(16, 'j').join(',')], `${members(16).join(',')},${members(16, 'j').join(',')}`],
    ];

    it.each(cases)('accepts %s', (_name, header, expected) => {
      expect(parseTracestate(header)).toBe(expected);
    });
  });

  describe('returns undefined when the result is empty', () => {
    it.each([
      ['undefined (header absent)', undefined],
      ['an empty string', ''],
      ['whitespace only', ' \t '],
      ['commas and whitespace only', ' , ,\t,'],
      ['an empty array', []],
      ['an array of empty headers', ['', ' ', ',']],
    ] as ReadonlyArray<readonly [string, string | readonly string[] | undefined]>)('for %s', (_name, header) => {
      expect(parseTracestate(header)).toBeUndefined();
    });
  });

  describe('drops the whole tracestate when anything is invalid', () => {
    const cases: ReadonlyArray<readonly [string, string | readonly string[]]> = [
      // list-member structure
      ['a member without "="', 'rojo'],
      ['a member without "=" next to a valid one', 'rojo,congo=1'],
      ['an empty key', '=1'],
      ['an empty value', 'a='],
      ['a value of spaces only (value must end in a non-space)', 'a=   '],
      ['a value of spaces only, followed by another member', 'a=  ,b=1'],
      ['space before "="', 'a =1'],
      ['"=" in the value', 'a=b=c'],
      ['base64 padding in the value', 'a=YQ=='],
      ['one invalid member among valid ones', 'a=1,B=2,c=3'],

      // simple-key
      ['an uppercase key', 'Rojo=1'],
      ['an uppercase char inside a key', 'roJo=1'],
      ['a simple key starting with a digit', '0rojo=1'],
      ['a key starting with "_"', '_rojo=1'],
      ['a key starting with "-"', '-rojo=1'],
      ['a key with "."', 'ro.jo=1'],
      ['a key with a space inside', 'ro jo=1'],
      ['a key with a tab inside', 'ro\tjo=1'],
      ['a non-ASCII key', 'röjo=1'],
      ['a simple key of 257 chars', `a${'b'.repeat(256)}=1`],

      // multi-tenant-key
      ['an empty tenant', '@dt=1'],
      ['an empty system', 'tenant@=1'],
      ['a system starting with a digit', 'tenant@0dt=1'],
      ['a system starting with "_"', 'tenant@_dt=1'],
      ['an uppercase system', 'tenant@DT=1'],
      ['a tenant starting with "_"', '_tenant@dt=1'],
      ['two "@" in a key', 'a@b@c=1'],
      ['a tenant of 242 chars', `t${'x'.repeat(241)}@sys=1`],
      ['a system of 15 chars', `tenant@s${'y'.repeat(14)}=1`],

      // value
      ['a value of 257 chars', `a=${'v'.repeat(257)}`],
      ['a tab inside the value', 'a=b\tc'],
      ['a newline inside the value', 'a=b\nc'],
      ['a carriage return at the end of the value', 'a=b\r'],
      ['a NUL in the value', 'a=b\u0000'],
      ['DEL (0x7F) in the value', 'a=b\u007f'],
      ['a non-ASCII value', 'a=café'],

      // Combined header value: keys are unique
      ['duplicate keys', 'a=1,a=2'],
      ['duplicate keys with OWS', 'a=1 , a=1'],
      ['duplicate multi-tenant keys', 'tenant@dt=1,b=2,tenant@dt=3'],
      ['duplicate keys across two headers', ['a=1', 'a=2']],

      // Limits: at most 32 list-members
      ['33 members', members(33).join(',')],
      ['33 members across two headers', [members(17).join(','), members(16, 'j').join(',')]],
      ['an invalid member in the second header', ['a=1', 'B=2']],
    ];

    it.each(cases)('rejects %s', (_name, header) => {
      expect(parseTracestate(header)).toBeUndefined();
    });
  });
});
