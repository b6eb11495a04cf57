/**
 * Bit instructions (SDM Vol.2): BT, BTS, BTR, BTC; BSF, BSR, TZCNT, LZCNT, POPCNT; BSWAP. Where
 * the SDM leaves status flags undefined they keep their previous values here.
 */
import { lockedAddress } from '../access.js';
import type { Cpu } from '../cpu.js';
import { readRflags, setStatusFlags } from '../flags.js';
import type { Insn } from '../insn.js';
import { Flag, TWO32 } from '../state.js';
import { address, getRm, getRm64, load, loadForUpdate, setReg, setReg64, store } from './operands.js';

export const BitOp = { BT: 0, BTS: 1, BTR: 2, BTC: 3 } as const;

function setFlag(c: Cpu, flag: number, on: boolean): void {
  const f = readRflags(c);
  setStatusFlags(c, on ? f | flag : f & ~flag);
}

/** The new value of a 32-bit word after BTS/BTR/BTC of `bit` (BT returns it unchanged). */
function apply(op: number, word: number, bit: number): number {
  switch (op) {
    case BitOp.BTS: return word | (1 << bit);
    case BitOp.BTR: return word & ~(1 << bit);
    case BitOp.BTC: return word ^ (1 << bit);
    default: return word;
  }
}

/**
 * BT* Ev, Gv (register bit offset) and BT* Ev, Ib (i.mem and imm). A register offset into memory
 * is a signed bit string index: the operand moves by whole operand-size units (SDM "BT").
 */
export function bitTestReg(c: Cpu, i: Insn): void {
  bitTest(c, i, false);
}
export function bitTestImm(c: Cpu, i: Insn): void {
  bitTest(c, i, true);
}

function bitTest(c: Cpu, i: Insn, immediate: boolean): void {
  const bits = i.size * 8;
  if (!i.mem) {
    const bit = (immediate ? i.imm : c.r[i.reg * 2]!) & (bits - 1);
    const word = bit >= 32 ? i.rm * 2 + 1 : i.rm * 2;
    const inWord = bit & 31;
    const value = i.size === 2 ? c.r[word]! & 0xffff : c.r[word]!;
    setFlag(c, Flag.CF, ((value >>> inWord) & 1) === 1);
    if (i.op === BitOp.BT) return;
    if (i.size === 8) c.r[word] = apply(i.op, c.r[word]!, inWord);
    else setReg(c, i.rm, i.size, apply(i.op, value, inWord));
    return;
  }
  let a = address(c, i);
  let bit: number;
  if (immediate) bit = i.imm & (bits - 1);
  else {
    // The whole signed offset (operand size): the byte displacement is offset >> 3, rounded down
    // to the operand size.
    const offset = i.size === 8 ? c.r[i.reg * 2 + 1]! * TWO32 + (c.r[i.reg * 2]! >>> 0) : i.size === 4 ? c.r[i.reg * 2]! : (c.r[i.reg * 2]! << 16) >> 16;
    const units = Math.floor(offset / bits);
    a += units * i.size;
    bit = offset - units * bits;
  }
  // Access the 1..8-byte operand as the byte that holds the bit (the SDM permits narrower accesses).
  const byteAddress = a + (bit >> 3);
  const inByte = bit & 7;
  if (i.op !== BitOp.BT && i.lock) {
    const p = lockedAddress(c, byteAddress, 1);
    if (p >= 0) {
      for (;;) {
        const old = Atomics.load(c.atomic8, p);
        if (Atomics.compareExchange(c.atomic8, p, old, apply(i.op, old, inByte) & 0xff) === old) {
          setFlag(c, Flag.CF, ((old >>> inByte) & 1) === 1);
          return;
        }
      }
    }
  }
  const value = i.op === BitOp.BT ? load(c, byteAddress, 1) : loadForUpdate(c, byteAddress, 1);
  setFlag(c, Flag.CF, ((value >>> inByte) & 1) === 1);
  if (i.op !== BitOp.BT) store(c, byteAddress, 1, apply(i.op, value, inByte));
}

/** The source of a bit scan as (lo, hi); hi is 0 below 8 bytes. */
function source(c: Cpu, i: Insn): number {
  if (i.size === 8) return getRm64(c, i);
  c.memHi = 0;
  return getRm(c, i) >>> 0;
}

function writeCount(c: Cpu, i: Insn, n: number): void {
  if (i.size === 8) setReg64(c, i.reg, n, 0);
  else setReg(c, i.reg, i.size, n);
}

function lowest(lo: number, hi: number): number {
  return lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
}
function highest(lo: number, hi: number): number {
  return hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
}

/** BSF (i.op = 0) and BSR (i.op = 1): ZF = source is 0, in which case the destination is kept. */
export function bitScan(c: Cpu, i: Insn): void {
  const lo = source(c, i);
  const hi = c.memHi;
  if ((lo | hi) === 0 || (i.size === 2 && (lo & 0xffff) === 0)) {
    setFlag(c, Flag.ZF, true);
    return;
  }
  setFlag(c, Flag.ZF, false);
  writeCount(c, i, i.op === 0 ? lowest(lo, hi) : highest(lo, i.size === 8 ? hi : 0));
}

/** TZCNT (i.op = 0) and LZCNT (i.op = 1): CF = source is 0, ZF = result is 0. */
export function countZeros(c: Cpu, i: Insn): void {
  const bits = i.size * 8;
  const lo = source(c, i) >>> 0;
  const hi = c.memHi;
  let n: number;
  if (i.size === 8) n = (lo | hi) === 0 ? 64 : i.op === 0 ? lowest(lo, hi) : 63 - highest(lo, hi);
  else {
    const v = lo & (i.size === 2 ? 0xffff : 0xffffffff);
    n = v === 0 ? bits : i.op === 0 ? lowest(v, 0) : bits - 1 - highest(v, 0);
  }
  writeCount(c, i, n);
  const f = readRflags(c) & ~(Flag.CF | Flag.ZF);
  setStatusFlags(c, f | (n === bits ? Flag.CF : 0) | (n === 0 ? Flag.ZF : 0));
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** POPCNT: ZF = source is 0; CF, OF, SF, AF, PF cleared. */
export function popcnt(c: Cpu, i: Insn): void {
  const lo = source(c, i);
  const hi = c.memHi;
  const n = popcount32(i.size === 2 ? lo & 0xffff : lo) + (i.size === 8 ? popcount32(hi) : 0);
  writeCount(c, i, n);
  setStatusFlags(c, n === 0 ? Flag.ZF : 0);
}

function swap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** BSWAP r32/r64 (a 16-bit BSWAP is undefined in the SDM; it zeroes the register's low word as Intel CPUs do). */
export function bswap(c: Cpu, i: Insn): void {
  if (i.size === 8) setReg64(c, i.reg, swap32(c.r[i.reg * 2 + 1]!), swap32(c.r[i.reg * 2]!));
  else if (i.size === 4) setReg(c, i.reg, 4, swap32(c.r[i.reg * 2]!));
  else setReg(c, i.reg, 2, 0);
}

