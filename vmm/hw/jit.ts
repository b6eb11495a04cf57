/**
 * The block compiler: a decoded block that has run JIT_THRESHOLD times becomes one JavaScript
 * function. The common instructions are written out inline with their operands as constants —
 * register moves, ALU operations, LEA, memory moves, pushes and pops, compares and branches — and
 * every other instruction calls its handler from its own call site. Either way V8 sees monomorphic
 * code instead of one megamorphic handler call per instruction, which is most of an interpreter's
 * cost in JavaScript.
 *
 * Semantics are the interpreter's: the generated code updates the same registers, lazy flags and
 * memory through the same access functions; a fault leaves RIP at the faulting instruction and the
 * retired count at the instructions before it; a store into a code page ends the block after the
 * storing instruction. Only 64-bit-mode blocks are compiled.
 */
import * as access from './access.js';
import type { Block } from './code-cache.js';
import type { Cpu } from './cpu.js';
import * as alu from './exec/alu.js';
import * as branch from './exec/branch.js';
import * as data from './exec/data.js';
import * as operands from './exec/operands.js';
import * as shift from './exec/shift.js';
import * as stack from './exec/stack.js';
import { LF, cf, condition } from './flags.js';
import { Ea, HIGH_BYTE_BASE, type Insn } from './insn.js';

export const JIT_THRESHOLD = 32;

export type CompiledBlock = (c: Cpu) => void;

/** What generated code calls (bound once per compiled block as closure constants). */
const HELPERS = {
  read8: access.read8, read16: access.read16, read32: access.read32, read64: access.read64, probeWrite: access.probeWrite,
  write8: access.write8, write16: access.write16, write32: access.write32, write64: access.write64,
  address: operands.address, offset: operands.offset, alu: alu.alu, alu64: alu.alu64, condition,
  push: operands.push, pop: operands.pop, fault: access.fault, cf,
};

const CANONICAL = 2 ** 47;
const RSP = 4;
const RBP = 5;
/** The stack pointer as a number, #SS(0) if it is not canonical. */
const CHECK_SP = `if (sp < ${-CANONICAL} || sp >= ${CANONICAL}) H.fault(c, 12, 0);`;
const STACK_TOP = `const sp = r[${RSP * 2 + 1}] * 4294967296 + (r[${RSP * 2}] >>> 0); ${CHECK_SP}`;

function setRsp(value: string): string {
  return `{ const n = ${value}; r[${RSP * 2}] = n | 0; r[${RSP * 2 + 1}] = Math.floor(n / 4294967296) | 0; }`;
}

/** #GP(0) for a non-canonical branch target, before anything changes. */
function checkTarget(t: string): string {
  return `if (${t} < ${-CANONICAL} || ${t} >= ${CANONICAL}) H.fault(c, 13, 0);`;
}

/** PUSH of a 64-bit value in 64-bit mode: the store first, then RSP. */
function push64(lo: string, hi: string): string {
  return `{ const sp = r[${RSP * 2 + 1}] * 4294967296 + (r[${RSP * 2}] >>> 0) - 8; ${CHECK_SP} H.write64(c, sp, ${lo}, ${hi}); ${setRsp('sp')} }`;
}

/** JavaScript for register n as an operand of `size` (8: the low half). */
function reg(n: number, size: number): string {
  switch (size) {
    case 1: return n >= HIGH_BYTE_BASE ? `((r[${(n - HIGH_BYTE_BASE) * 2}] >>> 8) & 0xff)` : `(r[${n * 2}] & 0xff)`;
    case 2: return `(r[${n * 2}] & 0xffff)`;
    default: return `r[${n * 2}]`;
  }
}

/** JavaScript that writes `value` (an expression) to register n with `size`'s merge rules. */
function setReg(n: number, size: number, value: string): string {
  switch (size) {
    case 1:
      if (n >= HIGH_BYTE_BASE) {
        const k = (n - HIGH_BYTE_BASE) * 2;
        return `r[${k}] = (r[${k}] & ~0xff00) | (((${value}) & 0xff) << 8);`;
      }
      return `r[${n * 2}] = (r[${n * 2}] & ~0xff) | ((${value}) & 0xff);`;
    case 2: return `r[${n * 2}] = (r[${n * 2}] & ~0xffff) | ((${value}) & 0xffff);`;
    default: return `r[${n * 2}] = ${value}; r[${n * 2 + 1}] = 0;`;
  }
}

/** JavaScript that computes the memory operand's linear address into `a`. */
function addressOf(i: Insn, k: number): string {
  if (i.ea === Ea.BASE) {
    const b = i.base * 2;
    const segment = i.segBase ? ` + c.segBase[${i.seg}]` : '';
    return `a = r[${b + 1}] * 4294967296 + (r[${b}] >>> 0) + ${i.disp}${segment}; ` +
      `if (a < ${-CANONICAL} || a >= ${CANONICAL}) a = H.address(c, I[${k}]);`;
  }
  if (i.ea === Ea.SIB && i.base >= 0) {
    const b = i.base * 2;
    const x = i.index * 2;
    const segment = i.segBase ? ` + c.segBase[${i.seg}]` : '';
    return `{ const lo = ${i.disp} + (r[${b}] >>> 0) + (r[${x}] >>> 0) * ${i.scale}; ` +
      `const hi = (r[${b + 1}] + r[${x + 1}] * ${i.scale} + Math.floor(lo / 4294967296)) | 0; a = hi * 4294967296 + (lo >>> 0)${segment}; } ` +
      `if (a < ${-CANONICAL} || a >= ${CANONICAL}) a = H.address(c, I[${k}]);`;
  }
  if (i.ea === Ea.ABSOLUTE && !i.segBase && i.disp >= -CANONICAL && i.disp < CANONICAL) return `a = ${i.disp};`;
  return `a = H.address(c, I[${k}]);`;
}

/** Lazy flags of a result whose CF/OF are known (shifts): the interpreter's setResultFlags. */
function resultFlags(size: number, lo: string, hi: string, aux: string): string {
  return `c.lfOp = ${LF.RESULT}; c.lfSize = ${size}; c.lfRes = ${lo}; c.lfResHi = ${hi}; c.lfAux = ${aux};`;
}

/** SHL/SHR/SAR of a register by a constant count n > 0, as hw/exec/shift.ts computes them. */
function shiftRegister(op: number, size: number, n: number, d: number): string | undefined {
  const lo = `r[${d * 2}]`;
  const hi = `r[${d * 2 + 1}]`;
  const OF = 0x800;
  if (size === 4) {
    switch (op) {
      case shift.ShiftOp.SHL: case shift.ShiftOp.SAL:
        return `{ const v = ${lo}; const z = v << ${n}; const cf = (v >>> ${32 - n}) & 1; ${resultFlags(4, 'z', '0', `cf | (((z >>> 31) ^ cf) !== 0 ? ${OF} : 0)`)} ${lo} = z; ${hi} = 0; }`;
      case shift.ShiftOp.SHR:
        return `{ const v = ${lo}; const z = (v >>> ${n}) | 0; ${resultFlags(4, 'z', '0', `((v >>> ${n - 1}) & 1) | (v < 0 ? ${OF} : 0)`)} ${lo} = z; ${hi} = 0; }`;
      case shift.ShiftOp.SAR:
        return `{ const v = ${lo}; const z = v >> ${n}; ${resultFlags(4, 'z', '0', `(v >> ${n - 1}) & 1`)} ${lo} = z; ${hi} = 0; }`;
      default: return undefined;
    }
  }
  if (size !== 8) return undefined;
  const bit = (b: number): string => (b >= 32 ? `((xh >>> ${b - 32}) & 1)` : `((xl >>> ${b}) & 1)`);
  const head = `const xl = ${lo}; const xh = ${hi};`;
  switch (op) {
    case shift.ShiftOp.SHL: case shift.ShiftOp.SAL: {
      const body = n >= 32 ? `const zh = xl << ${n - 32}; const zl = 0;` : `const zh = (xh << ${n}) | (xl >>> ${32 - n}); const zl = xl << ${n};`;
      return `{ ${head} ${body} const cf = ${bit(64 - n)}; ${resultFlags(8, 'zl', 'zh', `cf | (((zh >>> 31) ^ cf) !== 0 ? ${OF} : 0)`)} ${lo} = zl; ${hi} = zh; }`;
    }
    case shift.ShiftOp.SHR: case shift.ShiftOp.SAR: {
      const arith = op === shift.ShiftOp.SAR;
      const body = n >= 32
        ? `const zl = xh ${arith ? '>>' : '>>>'} ${n - 32}; const zh = ${arith ? 'xh >> 31' : '0'};`
        : `const zl = (xl >>> ${n}) | (xh << ${32 - n}); const zh = xh ${arith ? '>>' : '>>>'} ${n};`;
      const of = arith ? '0' : `(xh < 0 ? ${OF} : 0)`;
      return `{ ${head} ${body} ${resultFlags(8, 'zl | 0', 'zh | 0', `${bit(n - 1)} | ${of}`)} ${lo} = zl; ${hi} = zh; }`;
    }
    default: return undefined;
  }
}

function load(size: number): string {
  return size === 1 ? 'H.read8(c, a)' : size === 2 ? 'H.read16(c, a)' : 'H.read32(c, a)';
}
function store(size: number, value: string): string {
  return size === 1 ? `H.write8(c, a, ${value});` : size === 2 ? `H.write16(c, a, ${value});` : `H.write32(c, a, ${value});`;
}

/** ADD, SUB, CMP, AND, OR, XOR of 4-byte operands, inline (ADC and SBB call the helper). */
function alu32(op: number, a: string, b: string, target: (res: string) => string): string | undefined {
  const flagsOf = (kind: number): string => `c.lfOp = ${kind}; c.lfSize = 4; c.lfA = x; c.lfB = y; c.lfRes = z;`;
  let expr: string;
  let kind: number;
  switch (op) {
    case alu.Alu.ADD: expr = '(x + y) | 0'; kind = LF.ADD; break;
    case alu.Alu.SUB: case alu.Alu.CMP: expr = '(x - y) | 0'; kind = LF.SUB; break;
    case alu.Alu.AND: expr = 'x & y'; kind = LF.LOGIC; break;
    case alu.Alu.OR: expr = 'x | y'; kind = LF.LOGIC; break;
    case alu.Alu.XOR: expr = 'x ^ y'; kind = LF.LOGIC; break;
    default: return undefined;
  }
  return `{ const x = ${a}; const y = ${b}; const z = ${expr}; ${flagsOf(kind)} ${op === alu.Alu.CMP ? '' : target('z')} }`;
}

/** The same for 8-byte operands given as halves. */
function alu64(op: number, aLo: string, aHi: string, bLo: string, bHi: string, target: (lo: string, hi: string) => string): string | undefined {
  let body: string;
  let kind: number;
  switch (op) {
    case alu.Alu.ADD:
      body = 'const s = (xl >>> 0) + (yl >>> 0); const zl = s | 0; const zh = (xh + yh + (s >= 4294967296 ? 1 : 0)) | 0;';
      kind = LF.ADD;
      break;
    case alu.Alu.SUB: case alu.Alu.CMP:
      body = 'const s = (xl >>> 0) - (yl >>> 0); const zl = s | 0; const zh = (xh - yh - (s < 0 ? 1 : 0)) | 0;';
      kind = LF.SUB;
      break;
    case alu.Alu.AND: body = 'const zl = xl & yl; const zh = xh & yh;'; kind = LF.LOGIC; break;
    case alu.Alu.OR: body = 'const zl = xl | yl; const zh = xh | yh;'; kind = LF.LOGIC; break;
    case alu.Alu.XOR: body = 'const zl = xl ^ yl; const zh = xh ^ yh;'; kind = LF.LOGIC; break;
    default: return undefined;
  }
  return `{ const xl = ${aLo}; const xh = ${aHi}; const yl = ${bLo}; const yh = ${bHi}; ${body} ` +
    `c.lfOp = ${kind}; c.lfSize = 8; c.lfA = xl; c.lfAHi = xh; c.lfB = yl; c.lfBHi = yh; c.lfRes = zl; c.lfResHi = zh; ` +
    `${op === alu.Alu.CMP ? '' : target('zl', 'zh')} }`;
}

/** Inline JavaScript for instruction k, or undefined to call its handler. `stores`: it may write memory. */
function inline(i: Insn, k: number): { code: string; stores: boolean } | undefined {
  const exec = i.exec;
  const size = i.size;
  const s8 = size === 8;
  if (exec === data.movRmRegReg) {
    return { code: s8 ? `r[${i.rm * 2}] = r[${i.reg * 2}]; r[${i.rm * 2 + 1}] = r[${i.reg * 2 + 1}];` : setReg(i.rm, size, reg(i.reg, size)), stores: false };
  }
  if (exec === data.movRegRm) {
    if (!i.mem) return { code: s8 ? `r[${i.reg * 2}] = r[${i.rm * 2}]; r[${i.reg * 2 + 1}] = r[${i.rm * 2 + 1}];` : setReg(i.reg, size, reg(i.rm, size)), stores: false };
    return {
      code: `${addressOf(i, k)} ` + (s8 ? `r[${i.reg * 2}] = H.read64(c, a); r[${i.reg * 2 + 1}] = c.memHi;` : setReg(i.reg, size, load(size))),
      stores: false,
    };
  }
  if (exec === data.movRmRegMem) {
    return { code: `${addressOf(i, k)} ` + (s8 ? `H.write64(c, a, r[${i.reg * 2}], r[${i.reg * 2 + 1}]);` : store(size, reg(i.reg, size))), stores: true };
  }
  if (exec === data.movRegImm) return { code: s8 ? `r[${i.reg * 2}] = ${i.imm}; r[${i.reg * 2 + 1}] = ${i.immHi};` : setReg(i.reg, size, `${i.imm}`), stores: false };
  if (exec === data.movMemImm) return { code: `${addressOf(i, k)} ` + (s8 ? `H.write64(c, a, ${i.imm}, ${i.immHi});` : store(size, `${i.imm}`)), stores: true };
  if (exec === data.movzx || exec === data.movsx) {
    const source = i.mem ? `${load(i.size2)}` : reg(i.rm, i.size2);
    const extend = exec === data.movzx ? 'v' : i.size2 === 1 ? '((v << 24) >> 24)' : i.size2 === 2 ? '((v << 16) >> 16)' : '(v | 0)';
    const write = s8 ? `r[${i.reg * 2}] = e; r[${i.reg * 2 + 1}] = ${exec === data.movzx ? '0' : 'e >> 31'};` : setReg(i.reg, size, 'e');
    return { code: `{ ${i.mem ? addressOf(i, k) : ''} const v = ${source}; const e = ${extend}; ${write} }`, stores: false };
  }
  if (exec === data.lea && (i.ea === Ea.BASE || i.ea === Ea.SIB) && i.addressSize === 8) {
    const terms: string[] = [`${i.disp}`];
    const high: string[] = [];
    if (i.base >= 0) {
      terms.push(`(r[${i.base * 2}] >>> 0)`);
      high.push(`r[${i.base * 2 + 1}]`);
    }
    if (i.index >= 0) {
      terms.push(`(r[${i.index * 2}] >>> 0) * ${i.scale}`);
      high.push(`r[${i.index * 2 + 1}] * ${i.scale}`);
    }
    const sum = `const lo = ${terms.join(' + ')};`;
    if (!s8) return { code: `{ ${sum} ${setReg(i.reg, size, 'lo')} }`, stores: false };
    return {
      code: `{ ${sum} const carry = Math.floor(lo / 4294967296); r[${i.reg * 2}] = lo | 0; r[${i.reg * 2 + 1}] = (${high.length > 0 ? high.join(' + ') : '0'} + carry) | 0; }`,
      stores: false,
    };
  }
  const isAlu = exec === alu.aluEvGvReg || exec === alu.aluGvEv || exec === alu.aluRmImmReg || exec === alu.aluRmImmMem || exec === alu.aluEvGvMem;
  if (isAlu && !i.lock && size >= 4) {
    const op = i.op;
    let dstLo: string;
    let dstHi: string;
    let srcLo: string;
    let srcHi: string;
    let prefix = '';
    let target: (lo: string, hi: string) => string;
    const memDst = exec === alu.aluRmImmMem || exec === alu.aluEvGvMem;
    if (exec === alu.aluEvGvReg) {
      dstLo = `r[${i.rm * 2}]`; dstHi = `r[${i.rm * 2 + 1}]`; srcLo = `r[${i.reg * 2}]`; srcHi = `r[${i.reg * 2 + 1}]`;
      target = (lo, hi) => (s8 ? `r[${i.rm * 2}] = ${lo}; r[${i.rm * 2 + 1}] = ${hi};` : `r[${i.rm * 2}] = ${lo}; r[${i.rm * 2 + 1}] = 0;`);
    } else if (exec === alu.aluRmImmReg) {
      dstLo = `r[${i.rm * 2}]`; dstHi = `r[${i.rm * 2 + 1}]`; srcLo = `${i.imm}`; srcHi = `${i.immHi}`;
      target = (lo, hi) => (s8 ? `r[${i.rm * 2}] = ${lo}; r[${i.rm * 2 + 1}] = ${hi};` : `r[${i.rm * 2}] = ${lo}; r[${i.rm * 2 + 1}] = 0;`);
    } else if (exec === alu.aluGvEv) {
      dstLo = `r[${i.reg * 2}]`; dstHi = `r[${i.reg * 2 + 1}]`;
      if (i.mem) {
        prefix = `${addressOf(i, k)} const ml = ${s8 ? 'H.read64(c, a)' : 'H.read32(c, a)'}; const mh = ${s8 ? 'c.memHi' : '0'};`;
        srcLo = 'ml'; srcHi = 'mh';
      } else {
        srcLo = `r[${i.rm * 2}]`; srcHi = `r[${i.rm * 2 + 1}]`;
      }
      target = (lo, hi) => (s8 ? `r[${i.reg * 2}] = ${lo}; r[${i.reg * 2 + 1}] = ${hi};` : `r[${i.reg * 2}] = ${lo}; r[${i.reg * 2 + 1}] = 0;`);
    } else {
      // Read with write intent unless it is a CMP (see probeWrite).
      const intent = op === alu.Alu.CMP ? '' : `H.probeWrite(c, a, ${size});`;
      prefix = `${addressOf(i, k)} ${intent} const ml = ${s8 ? 'H.read64(c, a)' : 'H.read32(c, a)'}; const mh = ${s8 ? 'c.memHi' : '0'};`;
      dstLo = 'ml'; dstHi = 'mh';
      srcLo = exec === alu.aluRmImmMem ? `${i.imm}` : `r[${i.reg * 2}]`;
      srcHi = exec === alu.aluRmImmMem ? `${i.immHi}` : `r[${i.reg * 2 + 1}]`;
      target = (lo, hi) => (s8 ? `H.write64(c, a, ${lo}, ${hi});` : `H.write32(c, a, ${lo});`);
    }
    const body = s8 ? alu64(op, dstLo, dstHi, srcLo, srcHi, target) : alu32(op, dstLo, srcLo, (res) => target(res, '0'));
    if (body !== undefined) return { code: `{ ${prefix} ${body} }`, stores: memDst && op !== alu.Alu.CMP };
  }
  if ((exec === alu.testRmReg || exec === alu.testRmImm) && !i.mem && size >= 4) {
    const other = exec === alu.testRmImm ? [`${i.imm}`, `${i.immHi}`] : [`r[${i.reg * 2}]`, `r[${i.reg * 2 + 1}]`];
    const body = s8 ? alu64(alu.Alu.AND, `r[${i.rm * 2}]`, `r[${i.rm * 2 + 1}]`, other[0]!, other[1]!, () => '')
      : alu32(alu.Alu.AND, `r[${i.rm * 2}]`, other[0]!, () => '');
    return { code: body!, stores: false };
  }
  if (exec === shift.shiftRm && !i.mem && !i.cl && (size === 4 || size === 8)) {
    const n = i.imm & (s8 ? 0x3f : 0x1f);
    if (n === 0) return { code: size === 4 ? `r[${i.rm * 2 + 1}] = 0;` : '', stores: false };
    const code = shiftRegister(i.op, size, n, i.rm);
    if (code !== undefined) return { code, stores: false };
  }
  if (exec === alu.negRm && !i.mem && size >= 4) {
    const body = s8 ? alu64(alu.Alu.SUB, '0', '0', `r[${i.rm * 2}]`, `r[${i.rm * 2 + 1}]`, (lo, hi) => `r[${i.rm * 2}] = ${lo}; r[${i.rm * 2 + 1}] = ${hi};`)
      : alu32(alu.Alu.SUB, '0', `r[${i.rm * 2}]`, (res) => `r[${i.rm * 2}] = ${res}; r[${i.rm * 2 + 1}] = 0;`);
    return { code: body!, stores: false };
  }
  if (exec === alu.incDec && !i.mem && size >= 4) {
    const inc = i.op === 0;
    const rest = s8
      ? `const xl = r[${i.rm * 2}]; const xh = r[${i.rm * 2 + 1}]; const s = (xl >>> 0) ${inc ? '+' : '-'} 1; const zl = s | 0; ` +
        `const zh = (xh ${inc ? '+ (s >= 4294967296 ? 1 : 0)' : '- (s < 0 ? 1 : 0)'}) | 0; ` +
        `c.lfSize = 8; c.lfA = xl; c.lfAHi = xh; c.lfB = 1; c.lfBHi = 0; c.lfRes = zl; c.lfResHi = zh; r[${i.rm * 2}] = zl; r[${i.rm * 2 + 1}] = zh;`
      : `const x = r[${i.rm * 2}]; const z = (x ${inc ? '+' : '-'} 1) | 0; c.lfSize = 4; c.lfA = x; c.lfB = 1; c.lfRes = z; r[${i.rm * 2}] = z; r[${i.rm * 2 + 1}] = 0;`;
    // CF is kept: read it from the previous operation's lazy flags first.
    return { code: `{ const kept = H.cf(c) ? 1 : 0; ${rest} c.lfOp = ${inc ? LF.INC : LF.DEC}; c.lfAux = kept; }`, stores: false };
  }
  if (exec === alu.notRm && !i.mem && size >= 4) {
    return { code: `r[${i.rm * 2}] = ~r[${i.rm * 2}]; r[${i.rm * 2 + 1}] = ${s8 ? `~r[${i.rm * 2 + 1}]` : '0'};`, stores: false };
  }
  if (exec === data.setcc && !i.mem) return { code: setReg(i.rm, 1, `H.condition(c, ${i.op}) ? 1 : 0`), stores: false };
  if (exec === data.cmov && !i.mem && size >= 4) {
    const move = `r[${i.reg * 2}] = r[${i.rm * 2}]; r[${i.reg * 2 + 1}] = ${s8 ? `r[${i.rm * 2 + 1}]` : '0'};`;
    return { code: `if (H.condition(c, ${i.op})) { ${move} }${s8 ? '' : ` else r[${i.reg * 2 + 1}] = 0;`}`, stores: false };
  }
  if (exec === stack.pushReg && s8) return { code: push64(`r[${i.reg * 2}]`, `r[${i.reg * 2 + 1}]`), stores: true };
  if (exec === stack.pushImm && s8) return { code: push64(`${i.imm}`, `${i.immHi}`), stores: true };
  if (exec === stack.popReg && s8) {
    // RSP moves first, so POP RSP leaves the popped value in RSP.
    return { code: `{ ${STACK_TOP} const lo = H.read64(c, sp); const hi = c.memHi; ${setRsp('sp + 8')} r[${i.reg * 2}] = lo; r[${i.reg * 2 + 1}] = hi; }`, stores: false };
  }
  if (exec === stack.leave && s8) {
    return { code: `{ const sp = r[${RBP * 2 + 1}] * 4294967296 + (r[${RBP * 2}] >>> 0); ${CHECK_SP} const lo = H.read64(c, sp); const hi = c.memHi; ${setRsp('sp + 8')} r[${RBP * 2}] = lo; r[${RBP * 2 + 1}] = hi; }`, stores: false };
  }
  if (exec === branch.ret) {
    return { code: `{ ${STACK_TOP} const lo = H.read64(c, sp); const t = c.memHi * 4294967296 + (lo >>> 0); ${checkTarget('t')} ${setRsp(`sp + ${8 + i.imm}`)} c.rip = t; }`, stores: false };
  }
  if (exec === branch.callIndirect || exec === branch.jmpIndirect) {
    const target = i.mem ? `{ ${addressOf(i, k)} } const tl = H.read64(c, a); const t = c.memHi * 4294967296 + (tl >>> 0);` : `const t = r[${i.rm * 2 + 1}] * 4294967296 + (r[${i.rm * 2}] >>> 0);`;
    const call = exec === branch.callIndirect ? push64(`${i.next | 0}`, `${Math.floor(i.next / 4294967296) | 0}`) : '';
    return { code: `{ ${target} ${checkTarget('t')} ${call} c.rip = t; }`, stores: exec === branch.callIndirect };
  }
  if (exec === branch.jcc && i.target >= -CANONICAL && i.target < CANONICAL) return { code: `c.rip = H.condition(c, ${i.op}) ? ${i.target} : ${i.next};`, stores: false };
  if (exec === branch.jmpRel && i.target >= -CANONICAL && i.target < CANONICAL) return { code: `c.rip = ${i.target};`, stores: false };
  if (exec === branch.callRel && i.target >= -CANONICAL && i.target < CANONICAL) {
    return { code: `${push64(`${i.next | 0}`, `${Math.floor(i.next / 4294967296) | 0}`)} c.rip = ${i.target};`, stores: true };
  }
  return undefined;
}

/** Compile a 64-bit block into one function. */
export function compileBlock(block: Block): CompiledBlock {
  const insns = block.insns;
  const n = insns.length;
  const lines: string[] = ['const r = c.r; let a = 0; let k = 0; c.stopBlock = false;', 'try {'];
  for (let k = 0; k < n; k++) {
    const i = insns[k]!;
    const last = k === n - 1;
    lines.push(`k = ${k};`);
    if (last) lines.push(`c.rip = ${i.rip};`);
    const code = inline(i, k);
    if (code !== undefined) lines.push(code.code);
    else lines.push(`{ const i = I[${k}]; i.exec(c, i); }`);
    const stores = code === undefined || code.stores;
    if (last) {
      if (!block.transfers) lines.push(`c.rip = ${i.next};`);
    } else if (stores) {
      lines.push(`if (c.stopBlock) { c.rip = ${i.next}; c.retired += ${k + 1}; return; }`);
    }
  }
  lines.push(`c.retired += ${n};`);
  lines.push('} catch (e) { c.retired += k; c.rip = I[k].rip; throw e; }');
  const factory = new Function('I', 'H', `return function block(c) {\n${lines.join('\n')}\n};`) as (I: readonly Insn[], H: typeof HELPERS) => CompiledBlock;
  return factory(insns, HELPERS);
}
