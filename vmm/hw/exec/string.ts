/**
 * String instructions (SDM Vol.2 "MOVS", "STOS", "LODS", "SCAS", "CMPS", "REP/REPE/REPNE"): the
 * source is seg:rSI (DS unless overridden), the destination ES:rDI, rSI/rDI/rCX by address size,
 * DF chooses the direction. A repeated string instruction runs a bounded number of iterations per
 * execution and otherwise leaves RIP on itself, as the processor does when it takes an interrupt
 * between iterations; a fault leaves the registers at the failing iteration.
 */
import { Kind, fault, pageRun } from '../access.js';
import type { Cpu } from '../cpu.js';
import type { Insn } from '../insn.js';
import { Rep } from '../insn.js';
import { zf } from '../flags.js';
import { Flag, Gpr, Seg, TWO32, Vector } from '../state.js';
import { Alu, alu, alu64 } from './alu.js';
import { CANONICAL_LIMIT, load, load64, setReg, setReg64, store, store64 } from './operands.js';

/** Iterations of a REP string instruction between two looks at interrupts and the host. */
const ITERATIONS_PER_SLICE = 4096;
/** A bulk page copy or fill counts as one iteration per this many elements (a slice: ~256 KiB of bytes). */
const BULK_ELEMENTS_PER_ITERATION = 64;

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

function step(c: Cpu, i: Insn, reg: number, elements = 1): void {
  const delta = ((c.flags & Flag.DF) !== 0 ? -i.size : i.size) * elements;
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

/**
 * REP MOVS/STOS forward, as many whole elements as fit in the source's and destination's pages:
 * one translation and a host copy or fill instead of an access per element. Returns how many
 * elements it did (0: the next element crosses a page, the pages overlap, or the destination holds
 * decoded code — the caller takes one element the ordinary way). Faults as the first element would.
 * Only 64-bit addressing: 16- and 32-bit indexes wrap, and those go an element at a time.
 */
function pageOfElements(c: Cpu, i: Insn, count: number): number {
  if (i.addressSize !== 8) return 0;
  const size = i.size;
  const dst = linear(c, Seg.ES, getIndex(c, Gpr.RDI, i.addressSize));
  const movs = i.op === StringOp.MOVS;
  const src = movs ? linear(c, i.seg, getIndex(c, Gpr.RSI, i.addressSize)) : 0;
  const room = Math.min(4096 - (dst & 0xfff), movs ? 4096 - (src & 0xfff) : 4096);
  const elements = Math.min(count, Math.floor(room / size));
  if (elements === 0) return 0;
  const bytes = elements * size;
  const from = movs ? pageRun(c, src, Kind.READ) : 0;
  const to = pageRun(c, dst, Kind.WRITE);
  if (to < 0 || (movs && from < 0)) return 0;
  const memory = c.bytes;
  if (movs) {
    // A forward copy onto itself a few bytes on replicates them, which copyWithin (memmove) does not.
    if (to > from && to < from + bytes) return 0;
    memory.copyWithin(to, from, from + bytes);
    step(c, i, Gpr.RSI, elements);
  } else {
    const value = c.r;
    for (let k = 0; k < size; k++) memory[to + k] = (k < 4 ? value[0]! >>> (k * 8) : value[1]! >>> ((k - 4) * 8)) & 0xff;
    for (let filled = size; filled < bytes; filled *= 2) memory.copyWithin(to + filled, to, to + Math.min(filled, bytes - filled));
  }
  step(c, i, Gpr.RDI, elements);
  return elements;
}

export const StringOp = { MOVS: 0, CMPS: 1, STOS: 2, LODS: 3, SCAS: 4 } as const;

/** A string instruction, with or without a repeat prefix (ends its block: RIP is set here). */
export function stringOp(c: Cpu, i: Insn): void {
  if (i.rep === Rep.NONE) {
    iterate(c, i);
    c.rip = i.next;
    return;
  }
  // Single-stepped (TF, the monitor trap flag, a debugger), each iteration is a step (SDM Vol.3C 26.5.2).
  const stepping = c.singleStep || (c.flags & Flag.TF) !== 0;
  const bulk = !stepping && (c.flags & Flag.DF) === 0 && (i.op === StringOp.MOVS || i.op === StringOp.STOS);
  for (let n = 0; n < (stepping ? 1 : ITERATIONS_PER_SLICE); n++) {
    const count = getIndex(c, Gpr.RCX, i.addressSize);
    if (count === 0) {
      c.rip = i.next;
      return;
    }
    if (bulk) {
      const done = pageOfElements(c, i, count);
      if (done > 0) {
        setIndex(c, Gpr.RCX, i.addressSize, count - done);
        n += Math.ceil(done / BULK_ELEMENTS_PER_ITERATION) - 1;
        continue;
      }
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
