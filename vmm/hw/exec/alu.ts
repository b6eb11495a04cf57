/**
 * The arithmetic and logical group (SDM Vol.2: ADD, OR, ADC, SBB, AND, SUB, XOR, CMP — numbered
 * as opcode group 1 numbers them — and TEST, NOT, NEG, INC, DEC). Operands of 1, 2 and 4 bytes
 * are JS int32 arithmetic masked to size; 8-byte ones add their halves with an explicit carry.
 * A LOCK prefix makes a memory read-modify-write atomic across vCPUs (Atomics on guest RAM).
 */
import { lockedAddress, probeWrite } from '../access.js';
import type { Cpu } from '../cpu.js';
import { LF, cf } from '../flags.js';
import type { Insn } from '../insn.js';
import { TWO32 } from '../state.js';
import { address, getReg, getRm, getRm64, load, load64, load64ForUpdate, loadForUpdate, setReg, setReg64, store, store64, truncate } from './operands.js';

export const Alu = { ADD: 0, OR: 1, ADC: 2, SBB: 3, AND: 4, SUB: 5, XOR: 6, CMP: 7 } as const;

/** `a op b` for 1, 2 or 4 bytes (operands as getReg returns them); records the flags. */
export function alu(c: Cpu, op: number, size: number, a: number, b: number): number {
  let res: number;
  switch (op) {
    case Alu.ADD: res = truncate(a + b, size); c.lfOp = LF.ADD; break;
    case Alu.OR: res = truncate(a | b, size); c.lfOp = LF.LOGIC; break;
    case Alu.ADC: {
      const carry = cf(c) ? 1 : 0;
      res = truncate(a + b + carry, size);
      c.lfOp = LF.ADC;
      c.lfAux = carry;
      break;
    }
    case Alu.SBB: {
      const carry = cf(c) ? 1 : 0;
      res = truncate(a - b - carry, size);
      c.lfOp = LF.SBB;
      c.lfAux = carry;
      break;
    }
    case Alu.AND: res = truncate(a & b, size); c.lfOp = LF.LOGIC; break;
    case Alu.XOR: res = truncate(a ^ b, size); c.lfOp = LF.LOGIC; break;
    default: res = truncate(a - b, size); c.lfOp = LF.SUB; break;
  }
  c.lfSize = size;
  c.lfA = a;
  c.lfB = b;
  c.lfRes = res;
  return res;
}

/** `a op b` for 8 bytes as halves; returns bits 31:0 and leaves bits 63:32 in `c.resHi`. */
export function alu64(c: Cpu, op: number, aLo: number, aHi: number, bLo: number, bHi: number): number {
  let lo: number;
  let hi: number;
  switch (op) {
    case Alu.ADD: case Alu.ADC: {
      const carryIn = op === Alu.ADC ? (cf(c) ? 1 : 0) : 0;
      const sum = (aLo >>> 0) + (bLo >>> 0) + carryIn;
      lo = sum | 0;
      hi = (aHi + bHi + (sum >= TWO32 ? 1 : 0)) | 0;
      c.lfOp = op === Alu.ADC ? LF.ADC : LF.ADD;
      c.lfAux = carryIn;
      break;
    }
    case Alu.SUB: case Alu.SBB: case Alu.CMP: {
      const borrowIn = op === Alu.SBB ? (cf(c) ? 1 : 0) : 0;
      const diff = (aLo >>> 0) - (bLo >>> 0) - borrowIn;
      lo = diff | 0;
      hi = (aHi - bHi - (diff < 0 ? 1 : 0)) | 0;
      c.lfOp = op === Alu.SBB ? LF.SBB : LF.SUB;
      c.lfAux = borrowIn;
      break;
    }
    case Alu.OR: lo = aLo | bLo; hi = aHi | bHi; c.lfOp = LF.LOGIC; break;
    case Alu.AND: lo = aLo & bLo; hi = aHi & bHi; c.lfOp = LF.LOGIC; break;
    default: lo = aLo ^ bLo; hi = aHi ^ bHi; c.lfOp = LF.LOGIC; break;
  }
  c.lfSize = 8;
  c.lfA = aLo;
  c.lfAHi = aHi;
  c.lfB = bLo;
  c.lfBHi = bHi;
  c.lfRes = lo;
  c.lfResHi = hi;
  c.resHi = hi;
  return lo;
}

/** op Ev, Gv (and Eb, Gb) with a register destination. */
export function aluEvGvReg(c: Cpu, i: Insn): void {
  const r = c.r;
  if (i.size === 8) {
    const lo = alu64(c, i.op, r[i.rm * 2]!, r[i.rm * 2 + 1]!, r[i.reg * 2]!, r[i.reg * 2 + 1]!);
    if (i.op !== Alu.CMP) setReg64(c, i.rm, lo, c.resHi);
    return;
  }
  const res = alu(c, i.op, i.size, getReg(c, i.rm, i.size), getReg(c, i.reg, i.size));
  if (i.op !== Alu.CMP) setReg(c, i.rm, i.size, res);
}

/** op Gv, Ev with either operand form for the source. */
export function aluGvEv(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const bLo = getRm64(c, i);
    const lo = alu64(c, i.op, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!, bLo, c.memHi);
    if (i.op !== Alu.CMP) setReg64(c, i.reg, lo, c.resHi);
    return;
  }
  const res = alu(c, i.op, i.size, getReg(c, i.reg, i.size), getRm(c, i));
  if (i.op !== Alu.CMP) setReg(c, i.reg, i.size, res);
}

/** op r/m, imm with a register destination (also AL/rAX, imm). */
export function aluRmImmReg(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const lo = alu64(c, i.op, c.r[i.rm * 2]!, c.r[i.rm * 2 + 1]!, i.imm, i.immHi);
    if (i.op !== Alu.CMP) setReg64(c, i.rm, lo, c.resHi);
    return;
  }
  const res = alu(c, i.op, i.size, getReg(c, i.rm, i.size), i.imm);
  if (i.op !== Alu.CMP) setReg(c, i.rm, i.size, res);
}

/** op m, reg-or-imm: a read-modify-write of memory (CMP only reads). */
function aluMem(c: Cpu, i: Insn, bLo: number, bHi: number): void {
  const a = address(c, i);
  if (i.lock && lockedAlu(c, i.op, i.size, a, bLo, bHi)) return;
  if (i.op !== Alu.CMP) probeWrite(c, a, i.size);
  if (i.size === 8) {
    const aLo = load64(c, a);
    const lo = alu64(c, i.op, aLo, c.memHi, bLo, bHi);
    if (i.op !== Alu.CMP) store64(c, a, lo, c.resHi);
    return;
  }
  const res = alu(c, i.op, i.size, load(c, a, i.size), bLo);
  if (i.op !== Alu.CMP) store(c, a, i.size, res);
}

export function aluEvGvMem(c: Cpu, i: Insn): void {
  aluMem(c, i, getReg(c, i.reg, i.size), c.r[i.reg * 2 + 1]!);
}

export function aluRmImmMem(c: Cpu, i: Insn): void {
  aluMem(c, i, i.imm, i.immHi);
}

/**
 * The atomic form of a LOCKed memory operation: compare-and-swap until the value did not change
 * under us. False for a misaligned (split-lock) operand, which is done as a plain access.
 */
function lockedAlu(c: Cpu, op: number, size: number, a: number, bLo: number, bHi: number): boolean {
  const p = lockedAddress(c, a, size);
  if (p < 0 || p % size !== 0) return false;
  switch (size) {
    case 1: case 2: case 4: {
      const view = size === 1 ? c.atomic8 : size === 2 ? c.atomic16 : c.memory.words;
      const at = p / size;
      for (;;) {
        const old = Atomics.load(view, at);
        const operand = size === 4 ? old : old & (size === 1 ? 0xff : 0xffff);
        const res = alu(c, op, size, operand, bLo);
        if (Atomics.compareExchange(view, at, old, res) === old) return true;
      }
    }
    default: {
      const at = p / 8;
      for (;;) {
        const old = Atomics.load(c.atomic64, at);
        const lo = alu64(c, op, Number(old & 0xffffffffn) | 0, Number(old >> 32n) | 0, bLo, bHi);
        const res = (BigInt(c.resHi >>> 0) << 32n) | BigInt(lo >>> 0);
        if (Atomics.compareExchange(c.atomic64, at, old, res) === old) return true;
      }
    }
  }
}

/** TEST Ev, Gv: AND without writing the result. */
export function testRmReg(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const aLo = getRm64(c, i);
    alu64(c, Alu.AND, aLo, c.memHi, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
    return;
  }
  alu(c, Alu.AND, i.size, getRm(c, i), getReg(c, i.reg, i.size));
}

/** TEST Ev, imm (and AL/rAX, imm). */
export function testRmImm(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const aLo = getRm64(c, i);
    alu64(c, Alu.AND, aLo, c.memHi, i.imm, i.immHi);
    return;
  }
  alu(c, Alu.AND, i.size, getRm(c, i), i.imm);
}

/** NOT r/m: flags unchanged. */
export function notRm(c: Cpu, i: Insn): void {
  if (!i.mem) {
    if (i.size === 8) setReg64(c, i.rm, ~c.r[i.rm * 2]!, ~c.r[i.rm * 2 + 1]!);
    else setReg(c, i.rm, i.size, ~getReg(c, i.rm, i.size));
    return;
  }
  const a = address(c, i);
  if (i.size === 8) store64(c, a, ~load64ForUpdate(c, a), ~c.memHi);
  else store(c, a, i.size, ~loadForUpdate(c, a, i.size));
}

/** NEG r/m: 0 - x, CF set unless x was 0. */
export function negRm(c: Cpu, i: Insn): void {
  const a = i.mem ? address(c, i) : 0;
  if (i.size === 8) {
    const lo = i.mem ? load64ForUpdate(c, a) : c.r[i.rm * 2]!;
    const hi = i.mem ? c.memHi : c.r[i.rm * 2 + 1]!;
    const rLo = alu64(c, Alu.SUB, 0, 0, lo, hi);
    if (i.mem) store64(c, a, rLo, c.resHi);
    else setReg64(c, i.rm, rLo, c.resHi);
    return;
  }
  const res = alu(c, Alu.SUB, i.size, 0, i.mem ? loadForUpdate(c, a, i.size) : getReg(c, i.rm, i.size));
  if (i.mem) store(c, a, i.size, res);
  else setReg(c, i.rm, i.size, res);
}

/** INC/DEC r/m (i.op: 0 INC, 1 DEC): as ADD/SUB 1 but CF is kept. */
export function incDec(c: Cpu, i: Insn): void {
  incDecOperand(c, i, i.rm);
}

/** INC/DEC r (40+r, 48+r outside 64-bit mode): the register is in the opcode. */
export function incDecOpcodeRegister(c: Cpu, i: Insn): void {
  incDecOperand(c, i, i.reg);
}

function incDecOperand(c: Cpu, i: Insn, reg: number): void {
  const carry = cf(c) ? 1 : 0;
  const op = i.op === 0 ? Alu.ADD : Alu.SUB;
  const a = i.mem ? address(c, i) : 0;
  if (i.mem && i.lock && lockedAlu(c, op, i.size, a, 1, 0)) {
    // done atomically; its ADD/SUB flags become INC/DEC's below
  } else if (i.size === 8) {
    const lo = i.mem ? load64ForUpdate(c, a) : c.r[reg * 2]!;
    const hi = i.mem ? c.memHi : c.r[reg * 2 + 1]!;
    const rLo = alu64(c, op, lo, hi, 1, 0);
    if (i.mem) store64(c, a, rLo, c.resHi);
    else setReg64(c, reg, rLo, c.resHi);
  } else {
    const res = alu(c, op, i.size, i.mem ? loadForUpdate(c, a, i.size) : getReg(c, reg, i.size), 1);
    if (i.mem) store(c, a, i.size, res);
    else setReg(c, reg, i.size, res);
  }
  c.lfOp = i.op === 0 ? LF.INC : LF.DEC;
  c.lfAux = carry;
}
