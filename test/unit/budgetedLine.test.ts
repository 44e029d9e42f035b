import { BudgetedLine } from '../../src/budgetedLine';

const BEFORE = '{"timestamp":"2026-01-01T00:00:00.000Z","level":"info","message":';
const AFTER = ',"service":"svc","request_id":"req-1"';

function finished(message: string, members: readonly string[], maxBytes: number): { text: string; line: BudgetedLine } {
  const line = new BudgetedLine(BEFORE, message, AFTER, maxBytes);
  for (const member of members) {
    if (line.hasRoom) line.add(member);
    else line.leaveOut();
  }
  return { text: line.finish(), line };
}

const member = (key: string, value: unknown): string => `,${JSON.stringify(key)}:${JSON.stringify(value)}`;

describe('BudgetedLine', () => {
  it('writes a line within its limit as it is', () => {
    const { text, line } = finished('hello', [member('a', 1), '', member('b', 'two')], 1024);
    expect(JSON.parse(text)).toEqual({ timestamp: '2026-01-01T00:00:00.000Z', level: 'info', message: 'hello', service: 'svc', request_id: 'req-1', a: 1, b: 'two' });
    expect(line.truncated).toBe(false);
  });

  it('leaves out the members that would take it past its limit, keeps a later one that fits, and counts them', () => {
    const big = 'x'.repeat(2000);
    const { text, line } = finished('hello', [member('a', 1), member('big', big), member('also_big', big), member('small', true)], 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(JSON.parse(text)).toEqual({
      timestamp: '2026-01-01T00:00:00.000Z', level: 'info', message: 'hello', service: 'svc', request_id: 'req-1', a: 1, small: true, _truncated: 2,
    });
    expect(line.truncated).toBe(true);
  });

  it('counts bytes, not characters', () => {
    const euros = '€'.repeat(300); // 900 bytes in 300 characters
    const { text } = finished('hello', [member('first', euros), member('second', euros)], 1536);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1536);
    expect(JSON.parse(text)).toMatchObject({ first: euros, _truncated: 1 });
  });

  it('cuts the message when the head alone is too long, keeping every member of the head', () => {
    const message = 'é'.repeat(5000);
    const { text, line } = finished(message, [member('a', 1)], 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(parsed).toMatchObject({ timestamp: '2026-01-01T00:00:00.000Z', level: 'info', service: 'svc', request_id: 'req-1' });
    expect(parsed.message).toMatch(/^é+ …\[truncated: \d+ more of 5000 chars\]$/);
    expect(line.truncated).toBe(true);
  });

  it('stops making members once none can fit, counting the rest', () => {
    const filler = 'x'.repeat(1024 - 32 - Buffer.byteLength(BEFORE + '"m"' + AFTER) - 10);
    const { text, line } = finished('m', [member('f', filler), member('a', 1), member('b', 2)], 1024);
    expect(line.hasRoom).toBe(false);
    expect(JSON.parse(text)).toMatchObject({ f: filler, _truncated: 2 });
  });
});
