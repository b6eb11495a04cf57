/**
 * MUL, IMUL (one, two and three operands), DIV and IDIV (SDM Vol.2). Products up to 128 bits are
 * built from 16-bit partial products, exact in doubles; divisions whose dividend fits in 52 bits
 * are done in doubles and the rest in BigInt. #DE for a zero divisor or a quotient that does not
 * fit, as the SDM says. After MUL/IMUL only CF and OF are defined; SF, ZF, PF follow the low half
 * of the result and AF is cleared (the SDM leaves them undefined).
 */
import { fault } from '../access.js';
import type { Cpu } from '../cpu.js';
import { setResultFlags } from '../flags.js';
import type { Insn } from '../insn.js';
import { Flag, Gpr, TWO32, Vector } from '../state.js';
import { getReg, getRm, getRm64, setReg, setReg64, signExtend } from './operands.js';

const CARRY_AND_OVERFLOW = Flag.CF | Flag.OF;

/** The unsigned 64-bit product of two uint32s: returns bits 31:0 (int32), bits 63:32 in `c.mulHi`. */
export function mulU32(c: Cpu, a: number, b: number): number {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const ll = aL * bL;
  const lh = aL * bH;
  const hl = aH * bL;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  c.mulHi = (aH * bH + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) | 0;
  return ((mid << 16) | (ll & 0xffff)) | 0;
}

/**
 * The 128-bit product of two 64-bit values (signed when `signed`): words w0 (low) .. w3 (high)
 * as int32s in `c.product`.
 */
function mul128(c: Cpu, aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean): void {
  const p0l = mulU32(c, aLo, bLo) >>> 0;
  const p0h = c.mulHi >>> 0;
  const p1l = mulU32(c, aLo, bHi) >>> 0;
  const p1h = c.mulHi >>> 0;
  const p2l = mulU32(c, aHi, bLo) >>> 0;
  const p2h = c.mulHi >>> 0;
  const p3l = mulU32(c, aHi, bHi) >>> 0;
  const p3h = c.mulHi >>> 0;
  const w1 = p0h + p1l + p2l;
  const w2sum = p1h + p2h + p3l + Math.floor(w1 / TWO32);
  let w2 = w2sum % TWO32;
  let w3 = p3h + Math.floor(w2sum / TWO32);
  if (signed) {
    // Two's complement: a negative factor adds -(other factor) << 64 to the unsigned product.
    if (aHi < 0) {
      const d = w2 - (bLo >>> 0);
      w2 = d < 0 ? d + TWO32 : d;
      w3 = w3 - (bHi >>> 0) - (d < 0 ? 1 : 0);
    }
    if (bHi < 0) {
      const d = w2 - (aLo >>> 0);
      w2 = d < 0 ? d + TWO32 : d;
      w3 = w3 - (aHi >>> 0) - (d < 0 ? 1 : 0);
    }
  }
  const p = c.product;
  p[0] = p0l | 0;
  p[1] = w1 | 0;
  p[2] = w2 | 0;
  p[3] = w3 | 0;
}

/** MUL r/m (unsigned) and IMUL r/m (signed, i.op = 1): rDX:rAX = rAX * r/m. */
export function mulOne(c: Cpu, i: Insn): void {
  const r = c.r;
  const signed = i.op === 1;
  switch (i.size) {
    case 1: {
      const al = r[0]! & 0xff;
      const src = getRm(c, i);
      const product = signed ? signExtend(al, 1) * signExtend(src, 1) : al * src;
      setReg(c, Gpr.RAX, 2, product);
      const overflow = signed ? product !== signExtend(product, 1) : (product & 0xff00) !== 0;
      setResultFlags(c, 1, product & 0xff, 0, overflow ? CARRY_AND_OVERFLOW : 0);
      return;
    }
    case 2: {
      const ax = r[0]! & 0xffff;
      const src = getRm(c, i);
      const product = signed ? signExtend(ax, 2) * signExtend(src, 2) : ax * src;
      setReg(c, Gpr.RAX, 2, product);
      setReg(c, Gpr.RDX, 2, product >> 16);
      const overflow = signed ? product !== signExtend(product, 2) : (product & 0xffff0000) !== 0;
      setResultFlags(c, 2, product & 0xffff, 0, overflow ? CARRY_AND_OVERFLOW : 0);
      return;
    }
    case 4: {
      const a = r[0]!;
      const b = getRm(c, i);
      const lo = mulU32(c, a, b);
      let hi = c.mulHi;
      if (signed) hi = (hi - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
      setReg(c, Gpr.RAX, 4, lo);
      setReg(c, Gpr.RDX, 4, hi);
      const overflow = signed ? hi !== lo >> 31 : hi !== 0;
      setResultFlags(c, 4, lo, 0, overflow ? CARRY_AND_OVERFLOW : 0);
      return;
    }
    default: {
      const bLo = getRm64(c, i);
      mul128(c, r[0]!, r[1]!, bLo, c.memHi, signed);
      const p = c.product;
      setReg64(c, Gpr.RAX, p[0]!, p[1]!);
      setReg64(c, Gpr.RDX, p[2]!, p[3]!);
      const sign = p[1]! >> 31;
      const overflow = signed ? p[2] !== sign || p[3] !== sign : (p[2]! | p[3]!) !== 0;
      setResultFlags(c, 8, p[0]!, p[1]!, overflow ? CARRY_AND_OVERFLOW : 0);
    }
  }
}

/** IMUL Gv, Ev (0F AF) and IMUL Gv, Ev, imm (69, 6B; i.op = 1): the low half, CF = OF = truncation. */
export function imulTwo(c: Cpu, i: Insn): void {
  const withImm = i.op === 1;
  switch (i.size) {
    case 2: {
      const a = signExtend(getRm(c, i), 2);
      const b = withImm ? signExtend(i.imm, 2) : signExtend(getReg(c, i.reg, 2), 2);
      const product = a * b;
      setReg(c, i.reg, 2, product);
      setResultFlags(c, 2, product & 0xffff, 0, product !== signExtend(product, 2) ? CARRY_AND_OVERFLOW : 0);
      return;
    }
    case 4: {
      const a = getRm(c, i);
      const b = withImm ? i.imm : c.r[i.reg * 2]!;
      const lo = Math.imul(a, b);
      mulU32(c, a, b);
      const hi = (c.mulHi - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
      setReg(c, i.reg, 4, lo);
      setResultFlags(c, 4, lo, 0, hi !== lo >> 31 ? CARRY_AND_OVERFLOW : 0);
      return;
    }
    default: {
      const aLo = getRm64(c, i);
      const aHi = c.memHi;
      const bLo = withImm ? i.imm : c.r[i.reg * 2]!;
      const bHi = withImm ? i.immHi : c.r[i.reg * 2 + 1]!;
      mul128(c, aLo, aHi, bLo, bHi, true);
      const p = c.product;
      setReg64(c, i.reg, p[0]!, p[1]!);
      const sign = p[1]! >> 31;
      setResultFlags(c, 8, p[0]!, p[1]!, p[2] !== sign || p[3] !== sign ? CARRY_AND_OVERFLOW : 0);
    }
  }
}

const SAFE = 2 ** 52;

/** DIV r/m (unsigned) and IDIV r/m (signed, i.op = 1). Flags are undefined and left as they were. */
export function divide(c: Cpu, i: Insn): void {
  const r = c.r;
  const signed = i.op === 1;
  switch (i.size) {
    case 1: {
      const divisor = getRm(c, i);
      if (divisor === 0) fault(c, Vector.DE);
      const dividend = signed ? signExtend(r[0]! & 0xffff, 2) : r[0]! & 0xffff;
      const d = signed ? signExtend(divisor, 1) : divisor;
      const q = Math.trunc(dividend / d);
      if (signed ? q < -128 || q > 127 : q > 0xff) fault(c, Vector.DE);
      setReg(c, Gpr.RAX, 2, ((dividend - q * d) & 0xff) << 8 | (q & 0xff));
      return;
    }
    case 2: {
      const divisor = getRm(c, i);
      if (divisor === 0) fault(c, Vector.DE);
      const dx = r[Gpr.RDX * 2]! & 0xffff;
      const ax = r[0]! & 0xffff;
      const dividend = signed ? ((dx << 16) | ax) : dx * 65536 + ax;
      const d = signed ? signExtend(divisor, 2) : divisor;
      const q = Math.trunc(dividend / d);
      if (signed ? q < -32768 || q > 32767 : q > 0xffff) fault(c, Vector.DE);
      setReg(c, Gpr.RAX, 2, q);
      setReg(c, Gpr.RDX, 2, dividend - q * d);
      return;
    }
    case 4: {
      const divisor = getRm(c, i);
      if (divisor === 0) fault(c, Vector.DE);
      const lo = r[0]!;
      const hi = r[Gpr.RDX * 2]!;
      let q: number;
      let rem: number;
      if (!signed && hi === 0) {
        const n = lo >>> 0;
        const d = divisor >>> 0;
        q = Math.floor(n / d);
        rem = n - q * d;
      } else if (signed && hi === lo >> 31) {
        q = Math.trunc(lo / divisor);
        rem = lo - q * divisor;
        if (q > 0x7fffffff) fault(c, Vector.DE); // -2^31 / -1
      } else {
        const n = signed ? BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0)) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
        const d = BigInt(signed ? divisor : divisor >>> 0);
        const bq = n / d;
        if (signed ? bq < -0x80000000n || bq > 0x7fffffffn : bq > 0xffffffffn) fault(c, Vector.DE);
        q = Number(bq);
        rem = Number(n - bq * d);
      }
      setReg(c, Gpr.RAX, 4, q | 0);
      setReg(c, Gpr.RDX, 4, rem | 0);
      return;
    }
    default: {
      const dLo = getRm64(c, i);
      const dHi = c.memHi;
      if ((dLo | dHi) === 0) fault(c, Vector.DE);
      const nLo = r[0]!;
      const nHi = r[1]!;
      const n2 = r[Gpr.RDX * 2]!;
      const n3 = r[Gpr.RDX * 2 + 1]!;
      if (!signed && (n2 | n3) === 0 && nHi >= 0 && nHi < SAFE / TWO32 && dHi >= 0 && dHi < SAFE / TWO32) {
        const n = nHi * TWO32 + (nLo >>> 0);
        const d = dHi * TWO32 + (dLo >>> 0);
        const q = Math.floor(n / d);
        const rem = n - q * d;
        c.setGprNumber(Gpr.RAX, q);
        c.setGprNumber(Gpr.RDX, rem);
        return;
      }
      const join = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
      const raw = (join(n2, n3) << 64n) | join(nLo, nHi);
      const n = signed ? BigInt.asIntN(128, raw) : raw;
      const d = signed ? BigInt.asIntN(64, join(dLo, dHi)) : join(dLo, dHi);
      const q = n / d;
      if (signed ? q < -(1n << 63n) || q >= 1n << 63n : q >= 1n << 64n) fault(c, Vector.DE);
      c.setGpr(Gpr.RAX, q);
      c.setGpr(Gpr.RDX, n - q * d);
    }
  }
}
