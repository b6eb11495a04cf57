/**
 * The monitor's address expressions, as QEMU's HMP reads them: numbers (0x hex, decimal), `$reg`
 * for a register of the monitor's current vCPU, parentheses, unary - and ~, and the binary
 * operators * / % + - << >> & ^ | with C's precedence. Values are 64-bit unsigned, wrapping.
 */
const MASK = (1n << 64n) - 1n;

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/** Precedence of each binary operator, C's order (higher binds tighter). */
const BINARY: Readonly<Record<string, number>> = { '*': 5, '/': 5, '%': 5, '+': 4, '-': 4, '<<': 3, '>>': 3, '&': 2, '^': 1, '|': 0 };
const TOKEN = /\s*(0x[0-9a-fA-F]+|\d+|\$[A-Za-z_][A-Za-z0-9_]*|<<|>>|[-+*/%&^|~()])/y;

/** Evaluates `text`; `register` answers `$name` (lower-case, without the $) or undefined for an unknown one. */
export function evaluate(text: string, register: (name: string) => bigint | undefined): bigint {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) {
      if (text.slice(at).trim() === '') break;
      throw new ExpressionError(`cannot read '${text.slice(at).trim()}' in an expression`);
    }
    tokens.push(match[1]!);
  }
  if (tokens.length === 0) throw new ExpressionError('an address or expression is needed');
  let next = 0;
  const peek = (): string | undefined => tokens[next];

  const primary = (): bigint => {
    const token = tokens[next++];
    if (token === undefined) throw new ExpressionError('the expression ends too early');
    if (token === '(') {
      const value = binary(0);
      if (tokens[next++] !== ')') throw new ExpressionError("a ')' is missing");
      return value;
    }
    if (token === '-') return (-primary()) & MASK;
    if (token === '~') return ~primary() & MASK;
    if (token === '+') return primary();
    if (token.startsWith('$')) {
      const value = register(token.slice(1).toLowerCase());
      if (value === undefined) throw new ExpressionError(`no register ${token}`);
      return value & MASK;
    }
    if (/^(0x[0-9a-f]+|\d+)$/i.test(token)) return BigInt(token) & MASK;
    throw new ExpressionError(`'${token}' cannot start an expression`);
  };

  const binary = (min: number): bigint => {
    let left = primary();
    for (;;) {
      const op = peek();
      const precedence = op === undefined ? undefined : BINARY[op];
      if (precedence === undefined || precedence < min) return left;
      next++;
      const right = binary(precedence + 1);
      left = apply(op!, left, right);
    }
  };

  const value = binary(0);
  if (next < tokens.length) throw new ExpressionError(`unexpected '${tokens[next]}'`);
  return value;
}

function apply(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '*': return (a * b) & MASK;
    case '/': if (b === 0n) throw new ExpressionError('division by zero'); return a / b;
    case '%': if (b === 0n) throw new ExpressionError('division by zero'); return a % b;
    case '+': return (a + b) & MASK;
    case '-': return (a - b) & MASK;
    case '<<': return (a << (b & 63n)) & MASK;
    case '>>': return a >> (b & 63n);
    case '&': return a & b;
    case '^': return a ^ b;
    default: return a | b;
  }
}
