/**
 * String instructions (SDM Vol.2 "MOVS", "STOS", "LODS", "SCAS", "CMPS", "REP/REPE/REPNE"): the
 * source is seg:rSI (DS unless overridden), the destination ES:rDI, rSI/rDI/rCX by address size,
 * DF chooses the direction. A repeated string instruction runs a bounded number of iterations per
 * execution and otherwise leaves RIP on itself, as the processor does when it takes an interrupt
 * between iterations; a fault leaves the registers at the failing iteration.
 */
import { fault } from '../access.js';
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Rep } from '../insn.js';
import { zf } from '../flags.js';
import { Flag, Gpr, Seg, TWO32, Vector } from '../state.js';
import { Alu, alu, alu64 } from './alu.js';
import { CANONICAL_LIMIT, load, load64, setReg, setReg64, store, store64 } from './operands.js';

/** Iterations of a REP string instruction between two looks at interrupts and the host. */
const ITERATIONS_PER_SLICE = 4096;

/** A string register (RSI, RDI, RCX) as an unsigned offset of the address size. */
function getIndex(c: Cpu, reg: number, addressSize: number): number {
  const r = c.r;
  switch (addressSize) {
    case 8: return r[reg * 2 + 1]! * TWO32 + (r[reg * 2]! >>> 0);
    case 4: return r[reg * 2]! >>> 0;
    default: return r[reg * 2]! & 0xffff;
  }
}

function setIndex(c: Cpu, reg: number, addressSize: number, value: number): void {
  if (addressSize === 8) c.setGprNumber(reg, value);
  else setReg(c, reg, addressSize, value);
}

function linear(c: Cpu, seg: number, off: number): number {
  if (c.mode === 64) {
    const a = seg === Seg.FS || seg === Seg.GS ? off + c.segBase[seg]! : off;
    if (a < -CANONICAL_LIMIT || a >= CANONICAL_LIMIT) fault(c, Vector.GP, 0);
    return a;
  }
  return (off + c.segBase[seg]!) % TWO32;
}

function step(c: Cpu, i: Insn, reg: number): void {
  const delta = (c.flags & Flag.DF) !== 0 ? -i.size : i.size;
  setIndex(c, reg, i.addressSize, getIndex(c, reg, i.addressSize) + delta);
}

/** One iteration of the string operation i.op. Returns false when a REPE/REPNE condition ends the loop. */
function iterate(c: Cpu, i: Insn): boolean {
  const size = i.size;
  switch (i.op) {
    case StringOp.MOVS: {
      const src = linear(c, i.seg, getIndex(c, Gpr.RSI, i.addressSize));
      const dst = linear(c, Seg.ES, getIndex(c, Gpr.RDI, i.addressSize));
      if (size === 8) store64(c, dst, load64(c, src), c.memHi);
      else store(c, dst, size, load(c, src, size));
      step(c, i, Gpr.RSI);
      step(c, i, Gpr.RDI);
      return true;
    }
    case StringOp.STOS: {
      const dst = linear(c, Seg.ES, getIndex(c, Gpr.RDI, i.addressSize));
      if (size === 8) store64(c, dst, c.r[0]!, c.r[1]!);
      else store(c, dst, size, c.r[0]!);
      step(c, i, Gpr.RDI);
      return true;
    }
    case StringOp.LODS: {
      const src = linear(c, i.seg, getIndex(c, Gpr.RSI, i.addressSize));
      if (size === 8) setReg64(c, Gpr.RAX, load64(c, src), c.memHi);
      else setReg(c, Gpr.RAX, size, load(c, src, size));
      step(c, i, Gpr.RSI);
      return true;
    }
    case StringOp.SCAS: {
      const dst = linear(c, Seg.ES, getIndex(c, Gpr.RDI, i.addressSize));
      if (size === 8) alu64(c, Alu.CMP, c.r[0]!, c.r[1]!, load64(c, dst), c.memHi);
      else alu(c, Alu.CMP, size, size === 4 ? c.r[0]! : c.r[0]! & (size === 1 ? 0xff : 0xffff), load(c, dst, size));
      step(c, i, Gpr.RDI);
      return repeatCondition(c, i);
    }
    default: {
      // CMPS compares [rSI] with [rDI] (source minus destination).
      const src = linear(c, i.seg, getIndex(c, Gpr.RSI, i.addressSize));
      const dst = linear(c, Seg.ES, getIndex(c, Gpr.RDI, i.addressSize));
      if (size === 8) {
        const aLo = load64(c, src);
        const aHi = c.memHi;
        const bLo = load64(c, dst);
        alu64(c, Alu.CMP, aLo, aHi, bLo, c.memHi);
      } else alu(c, Alu.CMP, size, load(c, src, size), load(c, dst, size));
      step(c, i, Gpr.RSI);
      step(c, i, Gpr.RDI);
      return repeatCondition(c, i);
    }
  }
}

function repeatCondition(c: Cpu, i: Insn): boolean {
  if (i.rep === Rep.REP) return zf(c);
  if (i.rep === Rep.REPNE) return !zf(c);
  return true;
}

export const StringOp = { MOVS: 0, CMPS: 1, STOS: 2, LODS: 3, SCAS: 4 } as const;

/** A string instruction, with or without a repeat prefix (ends its block: RIP is set here). */
export function stringOp(c: Cpu, i: Insn): void {
  if (i.rep === Rep.NONE) {
    iterate(c, i);
    c.rip = i.next;
    return;
  }
  for (let n = 0; n < ITERATIONS_PER_SLICE; n++) {
    const count = getIndex(c, Gpr.RCX, i.addressSize);
    if (count === 0) {
      c.rip = i.next;
      return;
    }
    const go = iterate(c, i);
    setIndex(c, Gpr.RCX, i.addressSize, count - 1);
    if (!go) {
      c.rip = i.next;
      return;
    }
  }
  c.rip = getIndex(c, Gpr.RCX, i.addressSize) === 0 ? i.next : i.rip;
}
