/**
 * System state the interpreter derives and checks: the execution mode from CR0, EFER and CS;
 * RFLAGS writes; descriptor-table lookups and segment-register loads (SDM Vol.3A 3.4, 5.x); and
 * the control-register rules for writes the CPU completes without a VM exit (SDM Vol.3A 2.5).
 */
import { TLB_USER_SET, fault, flushTlb, readSys64, writeSys32 } from './access.js';
import type { Cpu } from './cpu.js';
import { setStatusFlags } from './flags.js';
import { Cr0, Cr4, Efer, type CpuState, Flag, STATUS_FLAGS, Seg, SegAttr, TWO32, Vector } from './state.js';

/** Recompute the mode, CPL, stack width and TLB set after CR0, EFER or a segment changed. */
export function updateMode(c: Cpu): void {
  const cs = c.segAttr[Seg.CS]!;
  if ((c.cr0 & Cr0.PE) === 0) {
    c.mode = 16;
    c.cpl = 0;
  } else {
    c.mode = (c.efer & Efer.LMA) !== 0 && (cs & SegAttr.L) !== 0 ? 64 : (cs & SegAttr.DB) !== 0 ? 32 : 16;
    c.cpl = c.segSelector[Seg.CS]! & 3;
  }
  c.stackSize32 = (c.segAttr[Seg.SS]! & SegAttr.DB) !== 0;
  c.tlbSet = c.cpl === 3 ? TLB_USER_SET : 0;
}

/** Write RFLAGS (all of it: the caller has applied the privilege rules). */
export function writeRflags(c: CpuState, value: number): void {
  setStatusFlags(c, value & STATUS_FLAGS);
  c.flags = (value & ~STATUS_FLAGS & 0x3fffff) | Flag.FIXED1;
}

/** An 8-byte descriptor in the VMCS cache form. */
export interface Descriptor {
  lo: number;
  hi: number;
}

/** The descriptor cache fields of a raw descriptor (lo, hi words). */
export function accessRights(hi: number): number {
  return ((hi >>> 8) & 0xff) | (((hi >>> 20) & 0xf) << 12);
}
export function descriptorBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}
export function descriptorLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & (1 << 23)) !== 0 ? raw * 4096 + 0xfff : raw;
}

/**
 * The linear address of the descriptor `selector` names (GDT, or the LDT when TI is set), or
 * undefined when it lies beyond the table's limit (a kernel's table in the upper canonical half
 * has a negative address). `width` is 8, or 16 for a 64-bit system descriptor.
 */
export function descriptorAddress(c: Cpu, selector: number, width = 8): number | undefined {
  const index = selector & ~7;
  const ldt = (selector & 4) !== 0;
  const base = ldt ? c.segBase[Seg.LDTR]! : c.gdtrBase;
  const limit = ldt ? c.segLimit[Seg.LDTR]! : c.gdtrLimit;
  if (ldt && (c.segAttr[Seg.LDTR]! & SegAttr.UNUSABLE) !== 0) return undefined;
  if (index + width - 1 > limit) return undefined;
  return base + index;
}

export function readDescriptor(c: Cpu, at: number, out: Descriptor): Descriptor {
  out.lo = readSys64(c, at);
  out.hi = c.memHi;
  return out;
}

/** Set a segment descriptor's accessed bit, as the processor does when it loads one. */
function markAccessed(c: Cpu, at: number, d: Descriptor): void {
  if ((d.hi & (1 << 8)) !== 0) return;
  d.hi |= 1 << 8;
  writeSys32(c, at + 4, d.hi);
}

export function loadCache(c: Cpu, seg: number, selector: number, d: Descriptor): void {
  c.segSelector[seg] = selector;
  c.segBase[seg] = descriptorBase(d.lo, d.hi);
  c.segLimit[seg] = descriptorLimit(d.lo, d.hi);
  c.segAttr[seg] = accessRights(d.hi);
}

/** A null selector loaded into a data segment register: usable no more (SDM 3.4.2). */
export function loadNull(c: Cpu, seg: number, selector: number): void {
  c.segSelector[seg] = selector;
  c.segBase[seg] = 0;
  c.segLimit[seg] = 0;
  c.segAttr[seg] = SegAttr.UNUSABLE;
}

/**
 * MOV/POP to DS, ES, FS, GS or SS (SDM Vol.2 "MOV", "POP"; Vol.3A 5.10.1). In real mode the base is
 * selector * 16. In protected mode the descriptor is checked; failing checks raise #GP(selector),
 * #SS(selector) or #NP(selector). In 64-bit mode FS and GS keep the base bits 31:0 of the
 * descriptor (the 64-bit bases come from their MSRs), the others are flat.
 */
export function loadSegment(c: Cpu, seg: number, selector: number): void {
  if ((c.cr0 & Cr0.PE) === 0) {
    c.loadRealSegment(seg, selector);
    if (seg === Seg.SS) c.stackSize32 = false;
    return;
  }
  const rpl = selector & 3;
  if ((selector & ~3) === 0) {
    if (seg === Seg.SS && !(c.mode === 64 && c.cpl < 3 && rpl === c.cpl)) fault(c, Vector.GP, 0);
    loadNull(c, seg, selector);
    if (seg === Seg.SS) {
      // A null SS in 64-bit mode stays usable for the stack: DPL = CPL, a writable data segment.
      c.segAttr[Seg.SS] = SegAttr.P | SegAttr.S | 3 | (c.cpl << SegAttr.DPL_SHIFT);
      updateMode(c);
    }
    return;
  }
  const at = descriptorAddress(c, selector);
  if (at === undefined) fault(c, Vector.GP, selector & ~3);
  const d = readDescriptor(c, at, c.scratchDescriptor);
  const ar = accessRights(d.hi);
  const dpl = (ar >>> SegAttr.DPL_SHIFT) & 3;
  const code = (ar & SegAttr.CODE) !== 0;
  if ((ar & SegAttr.S) === 0) fault(c, Vector.GP, selector & ~3);
  if (seg === Seg.SS) {
    const writableData = !code && (ar & 2) !== 0;
    if (rpl !== c.cpl || dpl !== c.cpl || !writableData) fault(c, Vector.GP, selector & ~3);
    if ((ar & SegAttr.P) === 0) fault(c, Vector.SS, selector & ~3);
  } else {
    const readable = !code || (ar & 2) !== 0;
    const conforming = code && (ar & 4) !== 0;
    if (!readable || (!conforming && dpl < Math.max(c.cpl, rpl))) fault(c, Vector.GP, selector & ~3);
    if ((ar & SegAttr.P) === 0) fault(c, Vector.NP, selector & ~3);
  }
  markAccessed(c, at, d);
  // In 64-bit mode too: FS and GS get the descriptor's 32-bit base, zero-extended (SDM 3.4.4).
  loadCache(c, seg, selector, d);
  if (seg === Seg.SS) updateMode(c);
}

/**
 * Load CS for a far JMP, CALL or RET to `selector` at privilege `cpl` (same-privilege transfers
 * only: call gates and task gates are not modelled and raise #GP). Returns after the cache holds the
 * new code segment; the caller sets RIP and calls updateMode.
 */
export function loadCodeSegment(c: Cpu, selector: number, newCpl: number): void {
  if ((c.cr0 & Cr0.PE) === 0) {
    c.loadRealSegment(Seg.CS, selector);
    return;
  }
  if ((selector & ~3) === 0) fault(c, Vector.GP, 0);
  const at = descriptorAddress(c, selector);
  if (at === undefined) fault(c, Vector.GP, selector & ~3);
  const d = readDescriptor(c, at, c.scratchDescriptor);
  const ar = accessRights(d.hi);
  const dpl = (ar >>> SegAttr.DPL_SHIFT) & 3;
  const conforming = (ar & 4) !== 0;
  if ((ar & SegAttr.S) === 0 || (ar & SegAttr.CODE) === 0) fault(c, Vector.GP, selector & ~3);
  if (conforming ? dpl > newCpl : dpl !== newCpl) fault(c, Vector.GP, selector & ~3);
  if ((ar & SegAttr.P) === 0) fault(c, Vector.NP, selector & ~3);
  if ((c.efer & Efer.LMA) !== 0 && (ar & SegAttr.L) !== 0 && (ar & SegAttr.DB) !== 0) fault(c, Vector.GP, selector & ~3);
  markAccessed(c, at, d);
  loadCache(c, Seg.CS, (selector & ~3) | newCpl, d);
}

/** CS and SS as SYSCALL/SYSRET load them: fixed flat descriptors, not read from the GDT (SDM "SYSCALL"). */
export function loadFlatCsSs(c: Cpu, cs: number, ss: number, cpl: number, longCode: boolean): void {
  c.segSelector[Seg.CS] = cs;
  c.segBase[Seg.CS] = 0;
  c.segLimit[Seg.CS] = 0xffffffff;
  c.segAttr[Seg.CS] = 0xb | SegAttr.S | (cpl << SegAttr.DPL_SHIFT) | SegAttr.P | SegAttr.G | (longCode ? SegAttr.L : SegAttr.DB);
  c.segSelector[Seg.SS] = ss;
  c.segBase[Seg.SS] = 0;
  c.segLimit[Seg.SS] = 0xffffffff;
  c.segAttr[Seg.SS] = 3 | SegAttr.S | (cpl << SegAttr.DPL_SHIFT) | SegAttr.P | SegAttr.G | SegAttr.DB;
  updateMode(c);
}

/** The bits of CR0 a guest may not set together, and the reserved bits (SDM 2.5, "MOV to CR0"). */
const CR0_RESERVED = ~(Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG) >>> 0;
const CR4_SUPPORTED = Cr4.VME | Cr4.PVI | Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE | Cr4.OSFXSR | Cr4.OSXMMEXCPT | Cr4.VMXE;

/**
 * MOV to CR0 as the processor performs it (no exit): #GP for invalid combinations; entering or
 * leaving IA-32e mode through PG with EFER.LME (SDM 9.8.5). Flushes the TLB when paging bits change.
 */
export function writeCr0(c: Cpu, value: number): void {
  const v = value >>> 0;
  if ((v & CR0_RESERVED) !== 0) fault(c, Vector.GP, 0);
  if ((v & Cr0.PG) !== 0 && (v & Cr0.PE) === 0) fault(c, Vector.GP, 0);
  if ((v & Cr0.NW) !== 0 && (v & Cr0.CD) === 0) fault(c, Vector.GP, 0);
  const pagingOn = (v & Cr0.PG) !== 0 && (c.cr0 & Cr0.PG) === 0;
  const pagingOff = (v & Cr0.PG) === 0 && (c.cr0 & Cr0.PG) !== 0;
  if (pagingOn && (c.efer & Efer.LME) !== 0) {
    if ((c.cr4 & Cr4.PAE) === 0 || (c.segAttr[Seg.CS]! & SegAttr.L) !== 0) fault(c, Vector.GP, 0);
    c.efer |= Efer.LMA;
  }
  if (pagingOff && (c.efer & Efer.LMA) !== 0) {
    if (c.mode === 64) fault(c, Vector.GP, 0);
    c.efer &= ~Efer.LMA;
  }
  if (pagingOn && (c.efer & Efer.LME) === 0) unsupported(c, 'paging without long mode (32-bit or PAE paging)');
  const changed = (c.cr0 ^ v) & (Cr0.PG | Cr0.WP | Cr0.PE);
  c.cr0 = v;
  if (changed !== 0) flushTlb(c);
  updateMode(c);
}

export function writeCr4(c: Cpu, value: number): void {
  const v = value >>> 0;
  if ((v & ~CR4_SUPPORTED) !== 0) fault(c, Vector.GP, 0);
  if ((c.efer & Efer.LMA) !== 0 && (v & Cr4.PAE) === 0) fault(c, Vector.GP, 0);
  if (((c.cr4 ^ v) & (Cr4.PAE | Cr4.PGE | Cr4.PSE)) !== 0) flushTlb(c);
  c.cr4 = v;
}

/** MOV to CR3 (bits 63:MAXPHYADDR reserved): the new address space, and a TLB flush. */
export function writeCr3(c: Cpu, lo: number, hi: number): void {
  if ((hi >>> 0) >= 1 << (39 - 32)) fault(c, Vector.GP, 0);
  c.cr3 = (hi >>> 0) * TWO32 + (lo >>> 0);
  flushTlb(c);
}

/** WRMSR IA32_EFER: LME may change only with paging off; LMA is read-only; NXE flushes the TLB. */
export function writeEfer(c: Cpu, value: number): void {
  const supported = Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE;
  if ((value & ~supported) !== 0) fault(c, Vector.GP, 0);
  if ((c.cr0 & Cr0.PG) !== 0 && ((value ^ c.efer) & Efer.LME) !== 0) fault(c, Vector.GP, 0);
  const next = (value & ~Efer.LMA) | (c.efer & Efer.LMA);
  if (((next ^ c.efer) & Efer.NXE) !== 0) flushTlb(c);
  c.efer = next;
}

/** Something the model does not implement: the guest sees #UD, the VMM log says what (once per RIP). */
export function unsupported(c: Cpu, what: string): never {
  c.reportUnsupported(what);
  return fault(c, Vector.UD);
}

