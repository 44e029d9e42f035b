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
  const result = new Parser(expression).parseWhole();
  if (!Number.isFinite(result)) throw new CalcError(`result is not a finite number (${String(result)})`);
  // -0 would print as 0 in JSON anyway; returning 0 keeps results comparable.
  return result === 0 ? 0 : result;
}

/** One pass over one expression: the grammar's rules as methods, sharing the offset and the nesting depth. */
class Parser {
  private readonly text: string;
  private offset = 0;
  private depth = 0;

  constructor(text: string) {
    this.text = text;
  }

  /** The whole text as one expression, nothing before or after it but whitespace. */
  parseWhole(): number {
    this.skipWhitespace();
    if (this.offset >= this.text.length) throw new CalcError('expression is empty');
    const result = this.parseExpression();
    this.skipWhitespace();
    if (this.offset < this.text.length) throw new CalcError(`unexpected ${this.describeNext()}`, this.offset);
    return result;
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.offset;
    WHITESPACE.exec(this.text);
    this.offset = WHITESPACE.lastIndex;
  }

  /** Consumes `operator` if it comes next. */
  private take(operator: string): boolean {
    this.skipWhitespace();
    if (this.text[this.offset] !== operator) return false;
    this.offset += 1;
    return true;
  }

  private describeNext(): string {
    return this.offset >= this.text.length ? 'end of expression' : `${JSON.stringify(this.text[this.offset])}`;
  }

  private parseExpression(): number {
    let value = this.parseTerm();
    for (;;) {
      if (this.take('+')) value += this.parseTerm();
      else if (this.take('-')) value -= this.parseTerm();
      else return value;
    }
  }

  private parseTerm(): number {
    let value = this.parseUnary();
    for (;;) {
      const at = this.offset;
      if (this.take('*')) {
        value *= this.parseUnary();
      } else if (this.take('/')) {
        const divisor = this.parseUnary();
        if (divisor === 0) throw new CalcError('division by zero', at);
        value /= divisor;
      } else if (this.take('%')) {
        const divisor = this.parseUnary();
        if (divisor === 0) throw new CalcError('modulo by zero', at);
        value %= divisor;
      } else {
        return value;
      }
    }
  }

  private parseUnary(): number {
    if (this.take('-')) return this.nested(() => -this.parseUnary());
    if (this.take('+')) return this.nested(() => this.parseUnary());
    return this.parsePower();
  }

  private parsePower(): number {
    const base = this.parsePrimary();
    if (!this.take('^')) return base;
    return base ** this.nested(() => this.parseUnary());
  }

  private parsePrimary(): number {
    this.skipWhitespace();
    if (this.take('(')) {
      const open = this.offset - 1;
      const value = this.nested(() => this.parseExpression());
      if (!this.take(')')) throw new CalcError(`unclosed parenthesis opened at position ${open}: expected ")" but found ${this.describeNext()}`, this.offset);
      return value;
    }
    NUMBER.lastIndex = this.offset;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new CalcError(`expected a number or "(" but found ${this.describeNext()}`, this.offset);
    this.offset = NUMBER.lastIndex;
    return Number(match[0]);
  }

  /** Runs `parse` one level deeper, refusing to pass `MAX_NESTING_DEPTH`. */
  private nested(parse: () => number): number {
    this.depth += 1;
    if (this.depth > MAX_NESTING_DEPTH) throw new CalcError(`expression nests deeper than ${MAX_NESTING_DEPTH} levels`, this.offset);
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }
}
