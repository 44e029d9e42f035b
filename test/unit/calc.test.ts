import { CalcError, evaluate, MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH } from '../../competitor/sandbox/calc';

describe('evaluate', () => {
  it.each([
    ['42', 42],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['17 % 5', 2],
    ['2 ^ 10', 1024],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['(-2) ^ 2', 4],
    ['2 ^ -1', 0.5],
    ['-(3 + 4)', -7],
    ['--5', 5],
    ['+5 - -5', 10],
    ['3 * -2', -6],
    ['1.5 + .25', 1.75],
    ['1e3 + 2.5E-1', 1000.25],
    ['  7\t*\n6  ', 42],
    ['0 * -1', 0],
  ])('computes %s = %d', (expression, expected) => {
    expect(evaluate(expression)).toBe(expected);
  });

  it.each([
    ['', 'expression is empty'],
    ['   ', 'expression is empty'],
    ['1 +', 'expected a number or "(" but found end of expression at position 3'],
    ['(1 + 2', 'unclosed parenthesis opened at position 0: expected ")" but found end of expression at position 6'],
    ['1 + 2)', 'unexpected ")" at position 5'],
    ['2 ** 3', 'expected a number or "(" but found "*" at position 3'],
    ['process.exit(1)', 'expected a number or "(" but found "p" at position 0'],
    ['Math.PI', 'expected a number or "(" but found "M" at position 0'],
    ['1 2', 'unexpected "2" at position 2'],
  ])('refuses %j with a message saying where', (expression, message) => {
    const error = calcErrorOf(expression);
    expect(error.message).toBe(message);
  });

  it('refuses division and modulo by zero', () => {
    expect(() => evaluate('1 / 0')).toThrow('division by zero at position 2');
    expect(() => evaluate('5 % (2 - 2)')).toThrow('modulo by zero at position 2');
  });

  it('refuses results that are not finite numbers', () => {
    expect(() => evaluate('10 ^ 400')).toThrow('result is not a finite number (Infinity)');
    expect(() => evaluate('(-8) ^ 0.5')).toThrow('result is not a finite number (NaN)');
  });

  it('refuses input longer than the limit before parsing it', () => {
    const long = '1+'.repeat(MAX_EXPRESSION_LENGTH / 2) + '1';
    expect(() => evaluate(long)).toThrow(`expression is too long: ${long.length} characters, at most ${MAX_EXPRESSION_LENGTH}`);
  });

  it('refuses nesting deeper than the limit instead of exhausting the stack', () => {
    const depth = MAX_NESTING_DEPTH + 1;
    expect(() => evaluate(`${'('.repeat(depth)}1${')'.repeat(depth)}`)).toThrow(`expression nests deeper than ${MAX_NESTING_DEPTH} levels`);
    expect(() => evaluate('-'.repeat(depth) + '1')).toThrow(CalcError);
    const allowed = MAX_NESTING_DEPTH - 1;
    expect(evaluate(`${'('.repeat(allowed)}1${')'.repeat(allowed)}`)).toBe(1);
  });

  it('refuses what is not a string', () => {
    expect(() => evaluate(12 as unknown as string)).toThrow('expression must be a string, got number');
    expect(() => evaluate(null as unknown as string)).toThrow('expression must be a string, got null');
  });

  it('throws CalcError carrying the position', () => {
    const error = calcErrorOf('1 + x');
    expect(error.position).toBe(4);
    expect(error.name).toBe('CalcError');
  });
});

function calcErrorOf(expression: string): CalcError {
  try {
    evaluate(expression);
  } catch (error) {
    if (error instanceof CalcError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to be refused`);
}
