/**
 * Shifts and rotates (opcode group 2: ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR) and the double
 * shifts SHLD/SHRD, per SDM Vol.2 "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD". The count
 * is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes no flag. OF is defined
 * for a count of 1 only; for larger counts it is computed as for 1, which the SDM leaves undefined.
 */
import type { Cpu } from '../cpu.js';
import { cf, readRflags, setResultFlags, setStatusFlags } from '../flags.js';
import type { Insn } from '../insn.js';
import { Flag, Gpr } from '../state.js';
import { address, getReg, load64ForUpdate, loadForUpdate, setReg, setReg64, store, store64 } from './operands.js';

export const ShiftOp = { ROL: 0, ROR: 1, RCL: 2, RCR: 3, SHL: 4, SHR: 5, SAL: 6, SAR: 7 } as const;

/** Where the count comes from: the instruction's immediate (or 1), or CL. */
export function shiftCount(c: Cpu, i: Insn): number {
  return (i.cl ? c.r[Gpr.RCX * 2]! : i.imm) & (i.size === 8 ? 0x3f : 0x1f);
}

/** Rotates change only CF and OF: the other status flags stay as they were. */
function setRotateFlags(c: Cpu, carry: boolean, overflow: boolean): void {
  const kept = readRflags(c) & ~(Flag.CF | Flag.OF);
  setStatusFlags(c, kept | (carry ? Flag.CF : 0) | (overflow ? Flag.OF : 0));
}

/** The most significant bit of a `bits`-wide value. */
function msbOf(x: number, bits: number): number {
  return (x >>> (bits - 1)) & 1;
}

/** The shift or rotate of a value of 1, 2 or 4 bytes (unsigned, as getReg returns it) by n > 0. */
function shiftSmall(c: Cpu, op: number, size: number, value: number, n: number): number {
  const bits = size * 8;
  const mask = size === 4 ? 0xffffffff : (1 << bits) - 1;
  const v = size === 4 ? value >>> 0 : value & mask; // `& 0xffffffff` would make it signed
  switch (op) {
    case ShiftOp.SHL: case ShiftOp.SAL: {
      const wide = v * 2 ** n;
      const res = (wide % 2 ** bits) >>> 0;
      const carry = Math.floor(wide / 2 ** bits) % 2 === 1;
      setResultFlags(c, size, size === 4 ? res | 0 : res, 0, (carry ? Flag.CF : 0) | ((msbOf(res, bits) === 1) !== carry ? Flag.OF : 0));
      return res;
    }
    case ShiftOp.SHR: {
      const res = n >= 32 ? 0 : v >>> n;
      const carry = n > 32 ? false : ((v >>> (n - 1)) & 1) === 1;
      setResultFlags(c, size, size === 4 ? res | 0 : res, 0, (carry ? Flag.CF : 0) | (msbOf(v, bits) === 1 ? Flag.OF : 0));
      return res;
    }
    case ShiftOp.SAR: {
      const sv = (v << (32 - bits)) >> (32 - bits);
      const res = (sv >> Math.min(n, 31)) & mask;
      const carry = ((sv >> Math.min(n - 1, 31)) & 1) === 1;
      setResultFlags(c, size, size === 4 ? res | 0 : res, 0, carry ? Flag.CF : 0);
      return res >>> 0;
    }
    case ShiftOp.ROL: {
      const k = n % bits;
      const res = k === 0 ? v : ((v << k) | (v >>> (bits - k))) & mask;
      const carry = (res & 1) === 1;
      setRotateFlags(c, carry, (msbOf(res, bits) === 1) !== carry);
      return res >>> 0;
    }
    case ShiftOp.ROR: {
      const k = n % bits;
      const res = k === 0 ? v : ((v >>> k) | (v << (bits - k))) & mask;
      setRotateFlags(c, msbOf(res, bits) === 1, msbOf(res, bits) !== ((res >>> (bits - 2)) & 1));
      return res >>> 0;
    }
    default: {
      // RCL/RCR rotate through CF: a (bits + 1)-bit rotation, one bit at a time.
      const k = size === 4 ? n : n % (bits + 1);
      let res = v;
      let carry = cf(c) ? 1 : 0;
      for (let step = 0; step < k; step++) {
        if (op === ShiftOp.RCL) {
          const out = msbOf(res, bits);
          res = ((res << 1) | carry) & mask;
          carry = out;
        } else {
          const out = res & 1;
          res = ((res >>> 1) | (carry << (bits - 1))) & mask;
          carry = out;
        }
      }
      res >>>= 0;
      const overflow = op === ShiftOp.RCL ? (msbOf(res, bits) ^ carry) === 1 : (msbOf(res, bits) ^ ((res >>> (bits - 2)) & 1)) === 1;
      setRotateFlags(c, carry === 1, overflow);
      return res;
    }
  }
}

/** A 64-bit bit `b` (0..63) of (lo, hi). */
function bit64(lo: number, hi: number, b: number): number {
  return b >= 32 ? (hi >>> (b - 32)) & 1 : (lo >>> b) & 1;
}

/** 64-bit logical shifts of (lo, hi) by 0 < n < 64; results in c.shLo/c.shHi. */
function shl64(c: Cpu, lo: number, hi: number, n: number): void {
  if (n >= 32) {
    c.shHi = lo << (n - 32);
    c.shLo = 0;
  } else {
    c.shHi = (hi << n) | (lo >>> (32 - n));
    c.shLo = lo << n;
  }
}
function shr64(c: Cpu, lo: number, hi: number, n: number, arithmetic: boolean): void {
  if (n >= 32) {
    c.shLo = arithmetic ? hi >> (n - 32) : hi >>> (n - 32);
    c.shHi = arithmetic ? hi >> 31 : 0;
  } else {
    c.shLo = (lo >>> n) | (hi << (32 - n));
    c.shHi = arithmetic ? hi >> n : hi >>> n;
  }
  c.shLo |= 0;
  c.shHi |= 0;
}

/** The shift or rotate of a 64-bit value by 0 < n < 64; result in c.shLo/c.shHi. */
function shift64(c: Cpu, op: number, lo: number, hi: number, n: number): void {
  switch (op) {
    case ShiftOp.SHL: case ShiftOp.SAL: {
      const carry = bit64(lo, hi, 64 - n) === 1;
      shl64(c, lo, hi, n);
      setResultFlags(c, 8, c.shLo, c.shHi, (carry ? Flag.CF : 0) | ((msbOf(c.shHi, 32) === 1) !== carry ? Flag.OF : 0));
      return;
    }
    case ShiftOp.SHR: case ShiftOp.SAR: {
      const carry = bit64(lo, hi, n - 1) === 1;
      shr64(c, lo, hi, n, op === ShiftOp.SAR);
      setResultFlags(c, 8, c.shLo, c.shHi, (carry ? Flag.CF : 0) | (op === ShiftOp.SHR && msbOf(hi, 32) === 1 ? Flag.OF : 0));
      return;
    }
    case ShiftOp.ROL: case ShiftOp.ROR: {
      const left = op === ShiftOp.ROL ? n : 64 - n;
      shl64(c, lo, hi, left);
      const aLo = c.shLo;
      const aHi = c.shHi;
      shr64(c, lo, hi, 64 - left, false);
      c.shLo = (c.shLo | aLo) | 0;
      c.shHi = (c.shHi | aHi) | 0;
      if (op === ShiftOp.ROL) {
        const carry = (c.shLo & 1) === 1;
        setRotateFlags(c, carry, (msbOf(c.shHi, 32) === 1) !== carry);
      } else {
        setRotateFlags(c, msbOf(c.shHi, 32) === 1, msbOf(c.shHi, 32) !== ((c.shHi >>> 30) & 1));
      }
      return;
    }
    default: {
      let rLo = lo;
      let rHi = hi;
      let carry = cf(c) ? 1 : 0;
      for (let step = 0; step < n; step++) {
        if (op === ShiftOp.RCL) {
          const out = msbOf(rHi, 32);
          rHi = (rHi << 1) | (rLo >>> 31);
          rLo = (rLo << 1) | carry;
          carry = out;
        } else {
          const out = rLo & 1;
          rLo = (rLo >>> 1) | (rHi << 31);
          rHi = (rHi >>> 1) | (carry << 31);
          carry = out;
        }
      }
      c.shLo = rLo | 0;
      c.shHi = rHi | 0;
      const overflow = op === ShiftOp.RCL ? (msbOf(rHi, 32) ^ carry) === 1 : (msbOf(rHi, 32) ^ ((rHi >>> 30) & 1)) === 1;
      setRotateFlags(c, carry === 1, overflow);
    }
  }
}

/** Group 2 on r/m: by 1 (D0/D1), by CL (D2/D3) or by imm8 (C0/C1). */
export function shiftRm(c: Cpu, i: Insn): void {
  const n = shiftCount(c, i);
  const a = i.mem ? address(c, i) : 0;
  if (i.size === 8) {
    const lo = i.mem ? load64ForUpdate(c, a) : c.r[i.rm * 2]!;
    const hi = i.mem ? c.memHi : c.r[i.rm * 2 + 1]!;
    if (n === 0) return;
    shift64(c, i.op, lo, hi, n);
    if (i.mem) store64(c, a, c.shLo, c.shHi);
    else setReg64(c, i.rm, c.shLo, c.shHi);
    return;
  }
  const v = i.mem ? loadForUpdate(c, a, i.size) : getReg(c, i.rm, i.size);
  const res = n === 0 ? v : shiftSmall(c, i.op, i.size, v, n);
  if (i.mem) {
    if (n !== 0) store(c, a, i.size, res);
  } else setReg(c, i.rm, i.size, res);
}

/**
 * SHLD (i.op = 0) and SHRD (i.op = 1) Ev, Gv, imm8/CL: shift the destination, filling from the
 * source register. For 16-bit operands a count above 16 is undefined in the SDM; this computes it
 * as a 32-bit shift of dst:src, as Intel processors do.
 */
export function doubleShift(c: Cpu, i: Insn): void {
  const n = shiftCount(c, i);
  if (n === 0) {
    if (!i.mem && i.size === 4) setReg(c, i.rm, 4, c.r[i.rm * 2]!);
    return;
  }
  const a = i.mem ? address(c, i) : 0;
  const left = i.op === 0;
  if (i.size === 8) {
    const dLo = i.mem ? load64ForUpdate(c, a) : c.r[i.rm * 2]!;
    const dHi = i.mem ? c.memHi : c.r[i.rm * 2 + 1]!;
    const sLo = c.r[i.reg * 2]!;
    const sHi = c.r[i.reg * 2 + 1]!;
    const carry = left ? bit64(dLo, dHi, 64 - n) : bit64(dLo, dHi, n - 1);
    if (left) {
      shl64(c, dLo, dHi, n);
      const rLo = c.shLo;
      const rHi = c.shHi;
      shr64(c, sLo, sHi, 64 - n, false);
      c.shLo = (rLo | c.shLo) | 0;
      c.shHi = (rHi | c.shHi) | 0;
    } else {
      shr64(c, dLo, dHi, n, false);
      const rLo = c.shLo;
      const rHi = c.shHi;
      shl64(c, sLo, sHi, 64 - n);
      c.shLo = (rLo | c.shLo) | 0;
      c.shHi = (rHi | c.shHi) | 0;
    }
    const overflow = ((c.shHi ^ dHi) >>> 31) === 1;
    setResultFlags(c, 8, c.shLo, c.shHi, (carry === 1 ? Flag.CF : 0) | (overflow ? Flag.OF : 0));
    if (i.mem) store64(c, a, c.shLo, c.shHi);
    else setReg64(c, i.rm, c.shLo, c.shHi);
    return;
  }
  const bits = i.size * 8;
  const dst = (i.mem ? loadForUpdate(c, a, i.size) : getReg(c, i.rm, i.size)) >>> 0;
  const src = getReg(c, i.reg, i.size) >>> 0;
  let res: number;
  let carry: number;
  if (i.size === 4) {
    res = left ? ((dst << n) | (src >>> (32 - n))) >>> 0 : ((dst >>> n) | (src << (32 - n))) >>> 0;
    carry = left ? (dst >>> (32 - n)) & 1 : (dst >>> (n - 1)) & 1;
  } else {
    // 16-bit: shift the 32-bit dst:src (SHLD) or src:dst (SHRD); exact for counts up to 16, which
    // is all the SDM defines.
    const pair = left ? dst * 65536 + src : src * 65536 + dst;
    res = left ? Math.floor((pair * 2 ** n) / 65536) % 65536 : Math.floor(pair / 2 ** n) % 65536;
    carry = left ? Math.floor((pair * 2 ** (n - 1)) / 2 ** 31) % 2 : Math.floor(pair / 2 ** (n - 1)) % 2;
  }
  setResultFlags(c, i.size, i.size === 4 ? res | 0 : res, 0, (carry === 1 ? Flag.CF : 0) | (msbOf(res, bits) !== msbOf(dst, bits) ? Flag.OF : 0));
  if (i.mem) store(c, a, i.size, res);
  else setReg(c, i.rm, i.size, res);
}
