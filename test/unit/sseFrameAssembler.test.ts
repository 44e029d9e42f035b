import { createSseFrameAssembler, FRAME_TOO_LARGE } from '../../src/sseFrameAssembler';

function text(value: Buffer | undefined | typeof FRAME_TOO_LARGE): string | undefined | typeof FRAME_TOO_LARGE {
  return value === undefined || value === FRAME_TOO_LARGE ? value : value.toString();
}

describe('createSseFrameAssembler', () => {
  it('passes a chunk that ends a frame through as the same buffer', () => {
    const assembler = createSseFrameAssembler();
    const chunk = Buffer.from('data: {"n":1}\n\ndata: {"n":2}\n\n');
    expect(assembler.push(chunk)).toBe(chunk);
    expect(assembler.heldBytes).toBe(0);
  });

  it('holds an unfinished frame until its blank line arrives, then releases it whole', () => {
    const assembler = createSseFrameAssembler();
    expect(assembler.push(Buffer.from('data: {"id":"evil-1","object":'))).toBeUndefined();
    expect(assembler.heldBytes).toBe(30);
    expect(text(assembler.push(Buffer.from('"chunk"}\n')))).toBeUndefined();
    expect(text(assembler.push(Buffer.from('\ndata: {"n":2')))).toBe('data: {"id":"evil-1","object":"chunk"}\n\n');
    expect(assembler.heldBytes).toBe('data: {"n":2'.length);
  });

  it('finds frame ends with CRLF and CR line endings, split anywhere', () => {
    const stream = 'data: a\r\n\r\n: comment\r\rdata: b\n\ndata: c\r\ndata: d\r\n\r\n';
    // After the blank line's CR, and after the LF completing its CRLF.
    const frameEnds = new Set([10, 11, 22, 31, 50, 51]);
    for (let cut = 1; cut < stream.length; cut += 1) {
      for (let second = cut + 1; second < stream.length; second += 7) {
        const assembler = createSseFrameAssembler();
        let written = '';
        for (const part of [stream.slice(0, cut), stream.slice(cut, second), stream.slice(second)]) {
          const ready = assembler.push(Buffer.from(part));
          if (ready === FRAME_TOO_LARGE) throw new Error('unexpected overflow');
          if (ready === undefined) continue;
          written += ready.toString();
          expect(frameEnds.has(written.length)).toBe(true);
        }
        expect(written).toBe(stream);
      }
    }
  });

  it('counts a CR-ended frame and the LF completing its CRLF in the next chunk as one frame end', () => {
    const assembler = createSseFrameAssembler();
    expect(text(assembler.push(Buffer.from('data: a\r\n\r')))).toBe('data: a\r\n\r');
    expect(text(assembler.push(Buffer.from('\n')))).toBe('\n');
    expect(assembler.heldBytes).toBe(0);
  });

  it('answers FRAME_TOO_LARGE once an unfinished line passes the limit, and holds nothing more', () => {
    const assembler = createSseFrameAssembler(1024);
    const line = Buffer.alloc(600, 'a');
    expect(assembler.push(Buffer.from('data: '))).toBeUndefined();
    expect(assembler.push(line)).toBeUndefined();
    expect(assembler.push(line)).toBe(FRAME_TOO_LARGE);
    expect(assembler.push(Buffer.from('\n\n'))).toBe(FRAME_TOO_LARGE);
    expect(assembler.heldOnlyLineEndings).toBe(false);
    expect(assembler.drop()).toBe(1206);
  });

  it('bounds a multi-line event as a whole, not line by line', () => {
    const assembler = createSseFrameAssembler(64);
    expect(assembler.push(Buffer.from('data: 0123456789012345678901234567890\n'))).toBeUndefined();
    expect(assembler.push(Buffer.from('data: 0123456789012345678901234567890\n'))).toBe(FRAME_TOO_LARGE);
  });

  it('reports the tail of a chunk over the limit even when the chunk also completed a frame', () => {
    const assembler = createSseFrameAssembler(16);
    expect(assembler.push(Buffer.from(`data: 1\n\ndata: ${'x'.repeat(32)}`))).toBe(FRAME_TOO_LARGE);
  });

  it('tells held line endings (a clean end) from an unfinished frame', () => {
    const assembler = createSseFrameAssembler();
    expect(text(assembler.push(Buffer.from('data: 1\n\n\r')))).toBe('data: 1\n\n\r');
    expect(assembler.heldOnlyLineEndings).toBe(true);
    assembler.push(Buffer.from('data: [DONE]\n'));
    expect(assembler.heldOnlyLineEndings).toBe(false);
    expect(assembler.drop()).toBe(13);
    expect(assembler.heldBytes).toBe(0);
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => createSseFrameAssembler(0)).toThrow(/maxFrameBytes must be a positive integer, got 0/);
    expect(() => createSseFrameAssembler(1.5)).toThrow(TypeError);
  });
});
