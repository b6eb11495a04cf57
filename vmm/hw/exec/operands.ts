/**
 * Operands: general-purpose registers by operand size, the effective address of a memory operand
 * (SDM Vol.1 3.7.5, Vol.2 2.1.5), and loads and stores of an operand by size. 64-bit values move
 * as two int32 halves; the high half of a 64-bit result is left in a field of the CPU.
 */
import { fault, probeWrite, read16, read32, read64, read8, write16, write32, write64, write8 } from '../access.js';
import type { Cpu } from '../cpu.js';
import { Ea, HIGH_BYTE_BASE, type Insn } from '../insn.js';
import { Gpr, Seg, TWO32, Vector } from '../state.js';

/** A linear address is canonical when it lies in [-2^47, 2^47) as a signed number. */
export const CANONICAL_LIMIT = 2 ** 47;

/** Register n as an operand of `size` bytes: sizes 1 and 2 unsigned, 4 as int32 (8: the low half). */
export function getReg(c: Cpu, n: number, size: number): number {
  switch (size) {
    case 1: return n >= HIGH_BYTE_BASE ? (c.r[(n - HIGH_BYTE_BASE) * 2]! >>> 8) & 0xff : c.r[n * 2]! & 0xff;
    case 2: return c.r[n * 2]! & 0xffff;
    default: return c.r[n * 2]!;
  }
}

/** Write an operand of 1, 2 or 4 bytes: 8- and 16-bit writes merge, 32-bit writes zero bits 63:32. */
export function setReg(c: Cpu, n: number, size: number, v: number): void {
  switch (size) {
    case 1:
      if (n >= HIGH_BYTE_BASE) {
        const k = (n - HIGH_BYTE_BASE) * 2;
        c.r[k] = (c.r[k]! & ~0xff00) | ((v & 0xff) << 8);
      } else c.r[n * 2] = (c.r[n * 2]! & ~0xff) | (v & 0xff);
      return;
    case 2:
      c.r[n * 2] = (c.r[n * 2]! & ~0xffff) | (v & 0xffff);
      return;
    default:
      c.r[n * 2] = v;
      c.r[n * 2 + 1] = 0;
  }
}

export function setReg64(c: Cpu, n: number, lo: number, hi: number): void {
  c.r[n * 2] = lo;
  c.r[n * 2 + 1] = hi;
}

/** Mask a value to an operand size (sizes 1 and 2 unsigned, 4 as int32). */
export function truncate(v: number, size: number): number {
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v | 0;
}

/** Sign-extend an operand of `size` bytes to int32. */
export function signExtend(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/**
 * The effective address's offset as 64-bit halves (exact modulo 2^64): returns bits 31:0 as an
 * int32 and leaves bits 63:32 in `c.eaHi`. LEA uses it as is; memory operands add the segment.
 */
export function offset(c: Cpu, i: Insn): number {
  const r = c.r;
  switch (i.ea) {
    case Ea.ABSOLUTE:
      c.eaHi = Math.floor(i.disp / TWO32) | 0;
      return i.disp | 0;
    case Ea.ADDR16: {
      const base = i.base >= 0 ? r[i.base * 2]! & 0xffff : 0;
      const index = i.index >= 0 ? r[i.index * 2]! & 0xffff : 0;
      c.eaHi = 0;
      return (base + index + i.disp) & 0xffff;
    }
    case Ea.ADDR32: {
      const base = i.base >= 0 ? r[i.base * 2]! : 0;
      const index = i.index >= 0 ? Math.imul(r[i.index * 2]!, i.scale) : 0;
      c.eaHi = 0;
      return (base + index + i.disp) | 0;
    }
    default: {
      // The signed displacement stays in the low word; floor() below turns its sign into a borrow.
      let lo = i.disp;
      let hi = 0;
      if (i.base >= 0) {
        lo += r[i.base * 2]! >>> 0;
        hi += r[i.base * 2 + 1]!;
      }
      if (i.index >= 0) {
        lo += (r[i.index * 2]! >>> 0) * i.scale;
        hi += r[i.index * 2 + 1]! * i.scale;
      }
      const carry = Math.floor(lo / TWO32);
      c.eaHi = (hi + carry) | 0;
      return (lo - carry * TWO32) | 0;
    }
  }
}

/** #GP(0), or #SS(0) when the operand's segment is SS (SDM Vol.3A 6.15: non-canonical references). */
function nonCanonical(c: Cpu, i: Insn): never {
  return fault(c, i.seg === Seg.SS ? Vector.SS : Vector.GP, 0);
}

/** The linear address of the memory operand (SDM Vol.3A 3.4: segment base plus offset). */
export function address(c: Cpu, i: Insn): number {
  if (i.ea === Ea.BASE) {
    // base + disp as a double is exact for any canonical base, and a base that is not gives a sum
    // beyond 2^47 either way, so the range test below is the exact canonical check.
    const b = i.base * 2;
    let a = c.r[b + 1]! * TWO32 + (c.r[b]! >>> 0) + i.disp;
    if (i.segBase) a += c.segBase[i.seg]!;
    if (a < -CANONICAL_LIMIT || a >= CANONICAL_LIMIT) nonCanonical(c, i);
    return a;
  }
  return addressSlow(c, i);
}

function addressSlow(c: Cpu, i: Insn): number {
  const lo = offset(c, i);
  if (c.mode !== 64) return ((lo >>> 0) + (i.segBase ? c.segBase[i.seg]! : 0)) % TWO32;
  // eaHi is the true high word modulo 2^32: the double is exact whenever the result can be canonical.
  let a = i.ea === Ea.ADDR32 ? lo >>> 0 : c.eaHi * TWO32 + (lo >>> 0);
  if (i.segBase) a += c.segBase[i.seg]!;
  if (a < -CANONICAL_LIMIT || a >= CANONICAL_LIMIT) nonCanonical(c, i);
  return a;
}

/** Load an operand of 1, 2 or 4 bytes (4 as int32). */
export function load(c: Cpu, a: number, size: number): number {
  switch (size) {
    case 1: return read8(c, a);
    case 2: return read16(c, a);
    default: return read32(c, a);
  }
}

export function store(c: Cpu, a: number, size: number, v: number): void {
  switch (size) {
    case 1: write8(c, a, v); return;
    case 2: write16(c, a, v); return;
    default: write32(c, a, v);
  }
}

export { read64 as load64, write64 as store64 };

/** The memory operand of a read-modify-write instruction: read with write intent (probeWrite). */
export function loadForUpdate(c: Cpu, a: number, size: number): number {
  probeWrite(c, a, size);
  return load(c, a, size);
}

export function load64ForUpdate(c: Cpu, a: number): number {
  probeWrite(c, a, 8);
  return read64(c, a);
}

/** The r/m operand of 1, 2 or 4 bytes (register or memory). */
export function getRm(c: Cpu, i: Insn): number {
  return i.mem ? load(c, address(c, i), i.size) : getReg(c, i.rm, i.size);
}

/** The r/m operand as 64 bits: returns the low half and leaves the high one in `c.memHi`. */
export function getRm64(c: Cpu, i: Insn): number {
  if (i.mem) return read64(c, address(c, i));
  c.memHi = c.r[i.rm * 2 + 1]!;
  return c.r[i.rm * 2]!;
}

/** RSP-relative stack accesses, with the stack's address size (64-bit mode: always 64). */
export function stackPointer(c: Cpu): number {
  if (c.mode === 64) return c.r[Gpr.RSP * 2 + 1]! * TWO32 + (c.r[Gpr.RSP * 2]! >>> 0);
  return c.stackSize32 ? c.r[Gpr.RSP * 2]! >>> 0 : c.r[Gpr.RSP * 2]! & 0xffff;
}

/** The linear address of stack offset `sp`. */
export function stackAddress(c: Cpu, sp: number): number {
  if (c.mode === 64) {
    if (sp < -CANONICAL_LIMIT || sp >= CANONICAL_LIMIT) fault(c, Vector.SS, 0);
    return sp;
  }
  return (sp + c.segBase[Seg.SS]!) % TWO32;
}

export function setStackPointer(c: Cpu, sp: number): void {
  if (c.mode === 64) {
    c.r[Gpr.RSP * 2] = sp | 0;
    c.r[Gpr.RSP * 2 + 1] = Math.floor(sp / TWO32) | 0;
  } else if (c.stackSize32) {
    c.r[Gpr.RSP * 2] = sp | 0;
  } else {
    c.r[Gpr.RSP * 2] = (c.r[Gpr.RSP * 2]! & ~0xffff) | (sp & 0xffff);
  }
}

/** Wrap a stack offset to the stack's width (64-bit mode keeps the sign: canonical arithmetic). */
function wrapStack(c: Cpu, sp: number): number {
  if (c.mode === 64) return sp;
  return c.stackSize32 ? sp >>> 0 : sp & 0xffff;
}

/** PUSH of a 2-, 4- or 8-byte value (8: lo and hi). The store happens before RSP changes. */
export function push(c: Cpu, size: number, lo: number, hi: number): void {
  const sp = wrapStack(c, stackPointer(c) - size);
  const a = stackAddress(c, sp);
  if (size === 8) write64(c, a, lo, hi);
  else if (size === 4) write32(c, a, lo);
  else write16(c, a, lo);
  setStackPointer(c, sp);
}

/** POP: returns the low half (size 8 leaves the high half in `c.memHi`). */
export function pop(c: Cpu, size: number): number {
  const sp = stackPointer(c);
  const a = stackAddress(c, sp);
  const v = size === 8 ? read64(c, a) : size === 4 ? read32(c, a) : read16(c, a);
  setStackPointer(c, wrapStack(c, sp + size));
  return v;
}

/** Read without popping (for instructions that must not change RSP if they fault later). */
export function peek(c: Cpu, size: number, at: number): number {
  const a = stackAddress(c, wrapStack(c, stackPointer(c) + at));
  return size === 8 ? read64(c, a) : size === 4 ? read32(c, a) : read16(c, a);
}

export function adjustStack(c: Cpu, delta: number): void {
  setStackPointer(c, wrapStack(c, stackPointer(c) + delta));
}
