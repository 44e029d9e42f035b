/**
 * A safe arithmetic evaluator for the sandbox's `calc` tool: numbers, `+ - * / % ^`,
 * parentheses, unary minus and plus. A small recursive-descent parser over the text; no
 * `eval`, no `Function`, nothing but arithmetic can run.
 *
 * Grammar (`^` binds tighter than unary minus and associates to the right, so `-2^2` is -4
 * and `2^3^2` is 512):
 *   expression := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := ('-' | '+') unary | power
 *   power      := primary ('^' unary)?
 *   primary    := number | '(' expression ')'
 */

/** Longer expressions are refused before parsing: the tool's input comes from a model. */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Bounds the parser's recursion whatever the input. */
export const MAX_NESTING_DEPTH = 64;

/** A bad expression or an undefined result; `position` is the 0-based offset of the problem, when there is one. */
export class CalcError extends Error {
  override readonly name = 'CalcError';
  readonly position: number | undefined;

  constructor(message: string, position?: number) {
    super(position === undefined ? message : `${message} at position ${position}`);
    this.position = position;
  }
}

const NUMBER = /\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /\s*/y;

export function evaluate(expression: string): number {
  if (typeof expression !== 'string') {
    throw new CalcError(`expression must be a string, got ${expression === null ? 'null' : typeof expression}`);
  }
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalcError(`expression is too long: ${expression.length} characters, at most ${MAX_EXPRESSION_LENGTH}`);
  }
  let offset = 0;
  let depth = 0;

  function skipWhitespace(): void {
    WHITESPACE.lastIndex = offset;
    WHITESPACE.exec(expression);
    offset = WHITESPACE.lastIndex;
  }

  /** Consumes `operator` if it comes next. */
  function take(operator: string): boolean {
    skipWhitespace();
    if (expression[offset] !== operator) return false;
    offset += 1;
    return true;
  }

  function describeNext(): string {
    return offset >= expression.length ? 'end of expression' : `${JSON.stringify(expression[offset])}`;
  }

  function parseExpression(): number {
    let value = parseTerm();
    for (;;) {
      if (take('+')) value += parseTerm();
      else if (take('-')) value -= parseTerm();
      else return value;
    }
  }

  function parseTerm(): number {
    let value = parseUnary();
    for (;;) {
      const at = offset;
      if (take('*')) {
        value *= parseUnary();
      } else if (take('/')) {
        const divisor = parseUnary();
        if (divisor === 0) throw new CalcError('division by zero', at);
        value /= divisor;
      } else if (take('%')) {
        const divisor = parseUnary();
        if (divisor === 0) throw new CalcError('modulo by zero', at);
        value %= divisor;
      } else {
        return value;
      }
    }
  }

  function parseUnary(): number {
    if (take('-')) return nested(() => -parseUnary());
    if (take('+')) return nested(parseUnary);
    return parsePower();
  }

  function parsePower(): number {
    const base = parsePrimary();
    if (!take('^')) return base;
    return base ** nested(parseUnary);
  }

  function parsePrimary(): number {
    skipWhitespace();
    if (take('(')) {
      const open = offset - 1;
      const value = nested(parseExpression);
      if (!take(')')) throw new CalcError(`unclosed parenthesis opened at position ${open}: expected ")" but found ${describeNext()}`, offset);
      return value;
    }
    NUMBER.lastIndex = offset;
    const match = NUMBER.exec(expression);
    if (match === null) throw new CalcError(`expected a number or "(" but found ${describeNext()}`, offset);
    offset = NUMBER.lastIndex;
    return Number(match[0]);
  }

  function nested(parse: () => number): number {
    depth += 1;
    if (depth > MAX_NESTING_DEPTH) throw new CalcError(`expression nests deeper than ${MAX_NESTING_DEPTH} levels`, offset);
    try {
      return parse();
    } finally {
      depth -= 1;
    }
  }

  skipWhitespace();
  if (offset >= expression.length) throw new CalcError('expression is empty');
  const result = parseExpression();
  skipWhitespace();
  if (offset < expression.length) throw new CalcError(`unexpected ${describeNext()}`, offset);
  if (!Number.isFinite(result)) throw new CalcError(`result is not a finite number (${String(result)})`);
  // -0 would print as 0 in JSON anyway; returning 0 keeps results comparable.
  return result === 0 ? 0 : result;
}
