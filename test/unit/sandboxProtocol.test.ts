import {
  createLineSplitter,
  encodeLine,
  MAX_LINE_BYTES,
  parseChildLine,
  parseRequestLine,
  preview,
  type ParseErrorType,
} from '../../competitor/sandbox/protocol';

describe('parseChildLine', () => {
  it('reads progress, result and fatal messages', () => {
    expect(parseChildLine('{"id":"c1","type":"progress","message":"sleeping, 500 of 1000 ms"}')).toEqual({
      ok: true,
      message: { id: 'c1', type: 'progress', message: 'sleeping, 500 of 1000 ms' },
    });
    expect(parseChildLine('{"id":"c1","type":"result","ok":true,"output":{"n":[1,2]}}')).toEqual({
      ok: true,
      message: { id: 'c1', type: 'result', ok: true, output: { n: [1, 2] } },
    });
    expect(parseChildLine('{"id":"c1","type":"result","ok":true,"output":null}')).toEqual({
      ok: true,
      message: { id: 'c1', type: 'result', ok: true, output: null },
    });
    expect(parseChildLine('{"id":"c1","type":"result","ok":false,"error":{"message":"bad","stack":"Error: bad\\n  at x"}}')).toEqual({
      ok: true,
      message: { id: 'c1', type: 'result', ok: false, error: { message: 'bad', stack: 'Error: bad\n  at x' } },
    });
    expect(parseChildLine('{"type":"fatal","error":{"message":"boom"}}')).toEqual({
      ok: true,
      message: { type: 'fatal', error: { message: 'boom' } },
    });
  });

  it.each<[string, ParseErrorType]>([
    ['not json at all', 'invalid_json'],
    ['{"id":"c1",', 'invalid_json'],
    ['[1,2,3]', 'not_an_object'],
    ['"result"', 'not_an_object'],
    ['42', 'not_an_object'],
    ['null', 'not_an_object'],
    ['{"id":"c1","type":"answer","ok":true}', 'unknown_type'],
    ['{"id":"c1","ok":true,"output":1}', 'unknown_type'],
    ['{"type":"progress","message":"no id"}', 'invalid_fields'],
    ['{"id":"c1","type":"progress","message":3}', 'invalid_fields'],
    ['{"id":"c1","type":"result","output":1}', 'invalid_fields'],
    ['{"id":"c1","type":"result","ok":true}', 'invalid_fields'],
    ['{"id":"c1","type":"result","ok":false,"error":"bad"}', 'invalid_fields'],
    ['{"type":"fatal"}', 'invalid_fields'],
  ])('classifies %s as %s', (line, errorType) => {
    const parsed = parseChildLine(line);
    expect(parsed).toEqual({ ok: false, errorType, reason: expect.any(String) });
  });

  it('refuses a line longer than 1 MiB without parsing it', () => {
    const line = JSON.stringify({ id: 'c1', type: 'result', ok: true, output: 'x'.repeat(MAX_LINE_BYTES) });
    expect(parseChildLine(line)).toEqual({ ok: false, errorType: 'line_too_long', reason: `line is longer than ${MAX_LINE_BYTES} bytes` });
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const text = 'é'.repeat(MAX_LINE_BYTES / 2);
    expect(parseChildLine(JSON.stringify({ id: 'c', type: 'result', ok: true, output: text })).ok).toBe(false);
    expect(parseChildLine(JSON.stringify({ id: 'c', type: 'result', ok: true, output: 'e'.repeat(MAX_LINE_BYTES / 2) })).ok).toBe(true);
  });
});

describe('parseRequestLine', () => {
  it('reads a request', () => {
    expect(parseRequestLine(encodeLine({ id: 'c1', tool: 'calc', arguments: { expression: '1+1' } }))).toEqual({
      id: 'c1',
      tool: 'calc',
      arguments: { expression: '1+1' },
    });
  });

  it.each([
    ['[]', 'request must be a JSON object, got an array'],
    ['{"tool":"calc","arguments":{}}', 'request needs a non-empty string "id"'],
    ['{"id":"c1","tool":"","arguments":{}}', 'request needs a non-empty string "tool"'],
    ['{"id":"c1","tool":"calc","arguments":[]}', 'request "arguments" must be a JSON object, got an array'],
  ])('refuses %s', (line, message) => {
    expect(() => parseRequestLine(line)).toThrow(message);
  });
});

describe('createLineSplitter', () => {
  function split(chunks: readonly (string | Buffer)[], maxLineBytes?: number): { lines: string[]; tooLong: string[] } {
    const lines: string[] = [];
    const tooLong: string[] = [];
    const splitter = createLineSplitter({ maxLineBytes, onLine: (line) => lines.push(line), onLineTooLong: (head) => tooLong.push(head) });
    for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    splitter.end();
    return { lines, tooLong };
  }

  it('joins lines split across chunks and keeps a last line without newline', () => {
    expect(split(['{"a":', '1}\n{"b"', ':2}\n', 'tail'])).toEqual({ lines: ['{"a":1}', '{"b":2}', 'tail'], tooLong: [] });
  });

  it('splits UTF-8 correctly when a character straddles two chunks', () => {
    const bytes = Buffer.from('héllo\nwörld\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]).lines).toEqual(['héllo', 'wörld']);
  });

  it('drops a line passing the limit as it arrives and goes on with the next one', () => {
    const result = split(['0123456789', 'abcdef', 'ghij\nok\n'], 12);
    expect(result.lines).toEqual(['ok']);
    expect(result.tooLong).toHaveLength(1);
    expect(result.tooLong[0]).toMatch(/^0123456789/);
  });

  it('keeps empty lines for the caller to skip', () => {
    expect(split(['a\n\nb\n']).lines).toEqual(['a', '', 'b']);
  });
});

describe('preview', () => {
  it('keeps the first 200 characters', () => {
    expect(preview('x'.repeat(500))).toHaveLength(200);
    expect(preview('short')).toBe('short');
  });
});
