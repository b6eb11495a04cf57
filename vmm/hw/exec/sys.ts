/**
 * System instructions (SDM Vol.2, Vol.3A chapters 2-6, Vol.3C chapter 26): privilege checks first
 * (#GP(0) at CPL > 0 has priority over a VM exit, SDM Vol.3C 26.1.1), then either the exit the VMM
 * asked for — CPUID, HLT, VMCALL, I/O, MSRs by bitmap, CR0/CR4 by guest/host mask, CR8 — or the
 * instruction's own effect: descriptor tables, segment loads, SYSCALL/SYSRET, SWAPGS, IRET, INT n,
 * CLI/STI, TSC reads, INVLPG, debug registers.
 */
import { ExitReason } from '../../../shell-protocol/exit-reasons.js';
import { fault, flushTlbPage, read16, read64, readSys16, write16, write64 } from '../access.js';
import type { Cpu } from '../cpu.js';
import { of, readRflags } from '../flags.js';
import { iret, raise } from '../events.js';
import type { Insn } from '../insn.js';
import { Cr0, Cr4, Efer, Flag, Gpr, Seg, SegAttr, TWO32, Vector } from '../state.js';
import {
  accessRights, descriptorAddress, descriptorBase, descriptorLimit, loadCodeSegment, loadFlatCsSs, loadNull, loadSegment,
  readDescriptor, unsupported, updateMode, writeCr0, writeCr3, writeCr4, writeEfer, writeRflags,
} from '../system.js';
import { EventType } from '../vmcs.js';
import {
  CANONICAL_LIMIT, address, getReg, load, load64, pop, push, setReg, setReg64, store,
} from './operands.js';

function requireCpl0(c: Cpu): void {
  if (c.cpl !== 0) fault(c, Vector.GP, 0);
}

function canonical(a: number): boolean {
  return a >= -CANONICAL_LIMIT && a < CANONICAL_LIMIT;
}

function iopl(c: Cpu): number {
  return (c.flags & Flag.IOPL) >>> 12;
}

// --- instructions that exit -----------------------------------------------------------------------

export function cpuid(c: Cpu, i: Insn): void {
  c.vmExit(ExitReason.CPUID, 0, i.length);
}

export function vmcall(c: Cpu, i: Insn): void {
  c.vmExit(ExitReason.VMCALL, 0, i.length);
}

/** VMLAUNCH, VMRESUME, VMXOFF (i.op: the exit reason): they exit; the VMM decides (nested VMX is not offered). */
export function vmxInstruction(c: Cpu, i: Insn): void {
  c.vmExit(i.op, 0, i.length);
}

export function hlt(c: Cpu, i: Insn): void {
  requireCpl0(c);
  if (!c.vmcs.hltExiting) unsupported(c, 'HLT without HLT exiting');
  c.vmExit(ExitReason.HLT, 0, i.length);
}

/**
 * The I/O permission check (SDM Vol.1 19.5): with CPL > IOPL in protected mode the TSS's I/O
 * bitmap must allow every port of the access, else #GP(0) — before any VM exit.
 */
function checkIo(c: Cpu, port: number, size: number): void {
  if ((c.cr0 & Cr0.PE) === 0 || c.cpl <= iopl(c)) return;
  const base = c.segBase[Seg.TR]!;
  const limit = c.segLimit[Seg.TR]!;
  if (limit < 0x67) fault(c, Vector.GP, 0);
  const map = readSys16(c, base + 0x66);
  const at = map + (port >>> 3);
  if (at + 1 > limit) fault(c, Vector.GP, 0);
  const bits = readSys16(c, base + at);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) fault(c, Vector.GP, 0);
}

/** Exit qualification of an I/O instruction (SDM Vol.3C Table 28-5). */
export function ioQualification(port: number, size: number, isIn: boolean, string: boolean, rep: boolean, immediate: boolean): number {
  return ((size - 1) | (isIn ? 1 << 3 : 0) | (string ? 1 << 4 : 0) | (rep ? 1 << 5 : 0) | (immediate ? 1 << 6 : 0) | ((port & 0xffff) << 16)) >>> 0;
}

/** IN AL/eAX, imm8 or DX. The VMM puts the value in RAX and steps RIP. */
export function inInsn(c: Cpu, i: Insn): void {
  const immediate = i.entry!.operands[1] === 'Ib';
  const port = immediate ? i.imm : c.r[Gpr.RDX * 2]! & 0xffff;
  checkIo(c, port, i.size);
  c.vmExit(ExitReason.IO_INSTRUCTION, ioQualification(port, i.size, true, false, false, immediate), i.length);
}

export function outInsn(c: Cpu, i: Insn): void {
  const immediate = i.entry!.operands[0] === 'Ib';
  const port = immediate ? i.imm : c.r[Gpr.RDX * 2]! & 0xffff;
  checkIo(c, port, i.size);
  c.vmExit(ExitReason.IO_INSTRUCTION, ioQualification(port, i.size, false, false, false, immediate), i.length);
}

/** VM-exit instruction information for INS/OUTS (SDM Vol.3C Table 28-8): address size, segment. */
function stringIoInfo(i: Insn, seg: number): number {
  return ((i.addressSize === 2 ? 0 : i.addressSize === 4 ? 1 : 2) << 7) | (seg << 15);
}

function stringIo(c: Cpu, i: Insn, isIn: boolean): void {
  const port = c.r[Gpr.RDX * 2]! & 0xffff;
  checkIo(c, port, i.size);
  const seg = isIn ? Seg.ES : i.seg;
  const index = isIn ? Gpr.RDI : Gpr.RSI;
  const off = i.addressSize === 8 ? c.gprNumber(index) : i.addressSize === 4 ? c.r[index * 2]! >>> 0 : c.r[index * 2]! & 0xffff;
  c.vmcs.guestLinearAddress = c.mode === 64 ? off + (seg === Seg.FS || seg === Seg.GS ? c.segBase[seg]! : 0) : (off + c.segBase[seg]!) % TWO32;
  c.vmExit(ExitReason.IO_INSTRUCTION, ioQualification(port, i.size, isIn, true, i.rep !== 0, false), i.length, stringIoInfo(i, seg));
}

export function ins(c: Cpu, i: Insn): void {
  stringIo(c, i, true);
}

export function outs(c: Cpu, i: Insn): void {
  stringIo(c, i, false);
}

// --- MSRs and the TSC -------------------------------------------------------------------------------

export const Msr = {
  IA32_TSC: 0x10,
  IA32_EFER: 0xc0000080,
  IA32_STAR: 0xc0000081,
  IA32_LSTAR: 0xc0000082,
  IA32_CSTAR: 0xc0000083,
  IA32_FMASK: 0xc0000084,
  IA32_FS_BASE: 0xc0000100,
  IA32_GS_BASE: 0xc0000101,
  IA32_KERNEL_GS_BASE: 0xc0000102,
  IA32_TSC_AUX: 0xc0000103,
} as const;

/** The MSRs the CPU keeps itself (read without a VM exit when the bitmap passes them through). */
function readOwnMsr(c: Cpu, msr: number): bigint | undefined {
  const big = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
  switch (msr) {
    case Msr.IA32_TSC: return big(c.tsc());
    case Msr.IA32_EFER: return BigInt(c.efer);
    case Msr.IA32_STAR: return c.star;
    case Msr.IA32_LSTAR: return big(c.lstar);
    case Msr.IA32_CSTAR: return big(c.cstar);
    case Msr.IA32_FMASK: return BigInt(c.fmask >>> 0);
    case Msr.IA32_FS_BASE: return big(c.segBase[Seg.FS]!);
    case Msr.IA32_GS_BASE: return big(c.segBase[Seg.GS]!);
    case Msr.IA32_KERNEL_GS_BASE: return big(c.kernelGsBase);
    case Msr.IA32_TSC_AUX: return BigInt(c.tscAux >>> 0);
    default: return undefined;
  }
}

function writeOwnMsr(c: Cpu, msr: number, lo: number, hi: number): boolean {
  const value = hi * TWO32 + (lo >>> 0);
  const address = (): number => {
    if (!canonical(value)) fault(c, Vector.GP, 0);
    return value;
  };
  switch (msr) {
    case Msr.IA32_TSC: c.tscOffset = (hi >>> 0) * TWO32 + (lo >>> 0) - c.clock(); return true;
    case Msr.IA32_EFER: if (hi !== 0) fault(c, Vector.GP, 0); writeEfer(c, lo >>> 0); return true;
    case Msr.IA32_STAR: c.star = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); return true;
    case Msr.IA32_LSTAR: c.lstar = address(); return true;
    case Msr.IA32_CSTAR: c.cstar = address(); return true;
    case Msr.IA32_FMASK: c.fmask = lo >>> 0; return true;
    case Msr.IA32_FS_BASE: c.segBase[Seg.FS] = address(); return true;
    case Msr.IA32_GS_BASE: c.segBase[Seg.GS] = address(); return true;
    case Msr.IA32_KERNEL_GS_BASE: c.kernelGsBase = address(); return true;
    case Msr.IA32_TSC_AUX: c.tscAux = lo >>> 0; return true;
    default: return false;
  }
}

export function rdmsr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const msr = c.r[Gpr.RCX * 2]! >>> 0;
  if (c.vmcs.msrExits(msr, false)) {
    c.vmExit(ExitReason.MSR_READ, 0, i.length);
    return;
  }
  const value = readOwnMsr(c, msr);
  if (value === undefined) fault(c, Vector.GP, 0);
  setReg(c, Gpr.RAX, 4, Number(value & 0xffffffffn) | 0);
  setReg(c, Gpr.RDX, 4, Number(value >> 32n) | 0);
  c.rip = i.next;
}

export function wrmsr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const msr = c.r[Gpr.RCX * 2]! >>> 0;
  if (c.vmcs.msrExits(msr, true)) {
    c.vmExit(ExitReason.MSR_WRITE, 0, i.length);
    return;
  }
  if (!writeOwnMsr(c, msr, c.r[Gpr.RAX * 2]!, c.r[Gpr.RDX * 2]!)) fault(c, Vector.GP, 0);
  c.rip = i.next;
}

function storeTsc(c: Cpu, tsc: number): void {
  setReg(c, Gpr.RAX, 4, tsc % TWO32);
  setReg(c, Gpr.RDX, 4, Math.floor(tsc / TWO32));
}

export function rdtsc(c: Cpu): void {
  if ((c.cr4 & Cr4.TSD) !== 0 && c.cpl !== 0) fault(c, Vector.GP, 0);
  storeTsc(c, c.tsc());
}

export function rdtscp(c: Cpu): void {
  if ((c.cr4 & Cr4.TSD) !== 0 && c.cpl !== 0) fault(c, Vector.GP, 0);
  storeTsc(c, c.tsc());
  setReg(c, Gpr.RCX, 4, c.tscAux);
}

/** No performance counters are modelled: every counter number is invalid (#GP). */
export function rdpmc(c: Cpu): void {
  fault(c, Vector.GP, 0);
}

// --- control and debug registers ------------------------------------------------------------------

/** CR-access exit qualification (SDM Vol.3C Table 28-3). */
export function crQualification(cr: number, accessType: number, gpr: number): number {
  return (cr & 0xf) | ((accessType & 3) << 4) | ((gpr & 0xf) << 8);
}
export const CrAccess = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

/** MOV r, CRn: CR0 and CR4 read as their shadows for host-owned bits. */
export function movFromCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = c.vmcs;
  let lo: number;
  let hi = 0;
  switch (i.reg) {
    case 0: lo = v.guestVisibleCr0; break;
    case 2: lo = c.cr2Lo; hi = c.cr2Hi; break;
    case 3: lo = c.cr3 | 0; hi = Math.floor(c.cr3 / TWO32); break;
    case 4: lo = v.guestVisibleCr4; break;
    case 8:
      if (v.cr8Exiting) {
        c.vmExit(ExitReason.CR_ACCESS, crQualification(8, CrAccess.MOV_FROM_CR, i.rm), i.length);
        return;
      }
      lo = 0;
      break;
    default: return fault(c, Vector.UD);
  }
  if (c.mode === 64) setReg64(c, i.rm, lo, hi);
  else setReg(c, i.rm, 4, lo);
  c.rip = i.next;
}

/** MOV CRn, r: a VM exit when the write changes a host-owned bit away from its shadow (SDM 26.1.3). */
export function movToCr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = c.vmcs;
  const lo = c.r[i.rm * 2]!;
  const hi = c.mode === 64 ? c.r[i.rm * 2 + 1]! : 0;
  const exit = (): void => c.vmExit(ExitReason.CR_ACCESS, crQualification(i.reg, CrAccess.MOV_TO_CR, i.rm), i.length);
  switch (i.reg) {
    case 0:
      if (hi !== 0) fault(c, Vector.GP, 0);
      if (((lo ^ v.cr0ReadShadow) & v.cr0GuestHostMask) !== 0) return exit();
      writeCr0(c, (lo & ~v.cr0GuestHostMask) | (c.cr0 & v.cr0GuestHostMask));
      break;
    case 2: c.cr2Lo = lo; c.cr2Hi = hi; break;
    case 3: writeCr3(c, lo, hi); break;
    case 4:
      if (hi !== 0) fault(c, Vector.GP, 0);
      if (((lo ^ v.cr4ReadShadow) & v.cr4GuestHostMask) !== 0) return exit();
      writeCr4(c, (lo & ~v.cr4GuestHostMask) | (c.cr4 & v.cr4GuestHostMask));
      break;
    case 8:
      if (v.cr8Exiting) return exit();
      break;
    default: return fault(c, Vector.UD);
  }
  c.rip = i.next;
}

/** DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD). Index into CpuState.dr. */
function debugRegister(c: Cpu, n: number): number {
  if (n === 4 || n === 5) {
    if ((c.cr4 & Cr4.DE) !== 0) fault(c, Vector.UD);
    return n;
  }
  if (n > 7) fault(c, Vector.UD);
  return n < 4 ? n : n - 2;
}

export function movFromDr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const value = c.dr[debugRegister(c, i.reg)]!;
  if (c.mode === 64) setReg64(c, i.rm, Number(value & 0xffffffffn) | 0, Number(value >> 32n) | 0);
  else setReg(c, i.rm, 4, Number(value & 0xffffffffn) | 0);
}

export function movToDr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const n = debugRegister(c, i.reg);
  const value = c.mode === 64 ? c.gpr(i.rm) : BigInt(c.r[i.rm * 2]! >>> 0);
  if (n >= 4 && value >> 32n !== 0n) fault(c, Vector.GP, 0);
  c.dr[n] = n === 4 ? value | 0xffff0ff0n : n === 5 ? (value | 0x400n) & ~0xd000n : value;
  c.breakpointsEnabled = (c.dr[5]! & 0xffn) !== 0n;
  if (c.breakpointsEnabled) c.singleStep = true;
  c.rip = i.next;
}

export function clts(c: Cpu): void {
  requireCpl0(c);
  c.cr0 = (c.cr0 & ~Cr0.TS) >>> 0;
}

/** SMSW: CR0's low bits as the guest sees them. */
export function smsw(c: Cpu, i: Insn): void {
  const value = c.vmcs.guestVisibleCr0;
  if (i.mem) store(c, address(c, i), 2, value);
  else setReg(c, i.rm, i.size, value);
}

/** LMSW: PE, MP, EM, TS from the operand (PE cannot be cleared this way). */
export function lmsw(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const source = i.mem ? load(c, address(c, i), 2) : getReg(c, i.rm, 2);
  const v = c.vmcs;
  const low = (source & 0xf) | (c.cr0 & Cr0.PE);
  if (((low ^ v.cr0ReadShadow) & v.cr0GuestHostMask & 0xf) !== 0) {
    c.vmExit(ExitReason.CR_ACCESS, crQualification(0, CrAccess.LMSW, 0) | (i.mem ? 1 << 6 : 0) | ((source & 0xffff) << 16), i.length);
    return;
  }
  writeCr0(c, (c.cr0 & ~0xf) | low);
  c.rip = i.next;
}

export function invlpg(c: Cpu, i: Insn): void {
  requireCpl0(c);
  flushTlbPage(c, address(c, i));
}

/** INVD, WBINVD: no caches are modelled; only the privilege check remains. */
export function invalidateCaches(c: Cpu): void {
  requireCpl0(c);
}

// --- descriptor tables and segments ---------------------------------------------------------------

/** LGDT (op 0) / LIDT (op 1): a 16-bit limit and a base (8 bytes in 64-bit mode). */
export function loadDescriptorTable(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const a = address(c, i);
  const limit = read16(c, a);
  let base: number;
  if (c.mode === 64) {
    const lo = read64(c, a + 2);
    base = c.memHi * TWO32 + (lo >>> 0);
    if (!canonical(base)) fault(c, Vector.GP, 0);
  } else {
    const raw = load(c, a + 2, 4) >>> 0;
    base = i.size === 2 ? raw & 0xffffff : raw;
  }
  if (i.op === 0) {
    c.gdtrBase = base;
    c.gdtrLimit = limit;
  } else {
    c.idtrBase = base;
    c.idtrLimit = limit;
  }
}

/** SGDT (op 0) / SIDT (op 1). */
export function storeDescriptorTable(c: Cpu, i: Insn): void {
  const a = address(c, i);
  const base = i.op === 0 ? c.gdtrBase : c.idtrBase;
  write16(c, a, i.op === 0 ? c.gdtrLimit : c.idtrLimit);
  if (c.mode === 64) write64(c, a + 2, base | 0, Math.floor(base / TWO32) | 0);
  else store(c, a + 2, 4, base | 0);
}

/** SLDT / STR (i.op: Seg.LDTR or Seg.TR). */
export function storeSystemSelector(c: Cpu, i: Insn): void {
  const selector = c.segSelector[i.op]!;
  if (i.mem) store(c, address(c, i), 2, selector);
  else setReg(c, i.rm, i.size, selector);
}

/** The 16-byte system descriptor LLDT and LTR take in IA-32e mode: base bits 63:32 follow. */
function loadSystemSegment(c: Cpu, seg: number, selector: number, types: readonly number[]): number {
  const width = (c.efer & Efer.LMA) !== 0 ? 16 : 8;
  if ((selector & 4) !== 0) fault(c, Vector.GP, selector & ~3);
  const at = descriptorAddress(c, selector, width);
  if (at === undefined) fault(c, Vector.GP, selector & ~3);
  const d = readDescriptor(c, at, c.scratchDescriptor);
  const ar = accessRights(d.hi);
  if ((ar & SegAttr.S) !== 0 || !types.includes(ar & SegAttr.TYPE)) fault(c, Vector.GP, selector & ~3);
  if ((ar & SegAttr.P) === 0) fault(c, Vector.NP, selector & ~3);
  const upper = width === 16 ? load(c, at + 8, 4) >>> 0 : 0;
  c.segSelector[seg] = selector;
  c.segBase[seg] = (upper | 0) * TWO32 + descriptorBase(d.lo, d.hi);
  c.segLimit[seg] = descriptorLimit(d.lo, d.hi);
  c.segAttr[seg] = ar;
  return at;
}

export function lldt(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const selector = i.mem ? load(c, address(c, i), 2) : getReg(c, i.rm, 2);
  if ((selector & ~3) === 0) {
    loadNull(c, Seg.LDTR, selector);
    return;
  }
  loadSystemSegment(c, Seg.LDTR, selector, [2]);
}

/** LTR: an available TSS, which becomes busy in the GDT. */
export function ltr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const selector = i.mem ? load(c, address(c, i), 2) : getReg(c, i.rm, 2);
  if ((selector & ~3) === 0) fault(c, Vector.GP, 0);
  const at = loadSystemSegment(c, Seg.TR, selector, [1, 9]);
  c.segAttr[Seg.TR] = c.segAttr[Seg.TR]! | 2;
  store(c, at + 4, 4, c.scratchDescriptor.hi | (2 << 8));
}

/** MOV r/m, Sreg: a register gets the selector zero-extended, memory 16 bits. */
export function movFromSreg(c: Cpu, i: Insn): void {
  const selector = c.segSelector[i.reg]!;
  if (i.mem) store(c, address(c, i), 2, selector);
  else if (i.size === 8) setReg64(c, i.rm, selector, 0);
  else setReg(c, i.rm, i.size, selector);
}

/** MOV Sreg, r/m16 (not CS). Loading SS blocks interrupts for one instruction. */
export function movToSreg(c: Cpu, i: Insn): void {
  if (i.reg === Seg.CS) fault(c, Vector.UD);
  const selector = i.mem ? load(c, address(c, i), 2) : getReg(c, i.rm, 2);
  loadSegment(c, i.reg, selector);
  if (i.reg === Seg.SS) c.interruptShadow = c.singleStep = true;
  c.rip = i.next;
}

export function pushSreg(c: Cpu, i: Insn): void {
  push(c, i.size, c.segSelector[i.op]!, 0);
}

export function popSreg(c: Cpu, i: Insn): void {
  const selector = pop(c, i.size) & 0xffff;
  loadSegment(c, i.op, selector);
  if (i.op === Seg.SS) c.interruptShadow = c.singleStep = true;
  c.rip = i.next;
}

/** MOV r/m, imm with a register destination (C6/C7 /0). */
export function movRmImmReg(c: Cpu, i: Insn): void {
  if (i.size === 8) setReg64(c, i.rm, i.imm, i.immHi);
  else setReg(c, i.rm, i.size, i.imm);
}

// --- far transfers --------------------------------------------------------------------------------

function farJump(c: Cpu, selector: number, target: number): void {
  loadCodeSegment(c, selector, c.cpl);
  updateMode(c);
  if (c.mode === 64 && !canonical(target)) fault(c, Vector.GP, 0);
  c.rip = c.mode === 16 ? target & 0xffff : target;
}

/** The far pointer at the memory operand: an offset of the operand size, then a selector. */
function farPointer(c: Cpu, i: Insn): { selector: number; target: number } {
  const a = address(c, i);
  let target: number;
  if (i.size === 8) {
    const lo = load64(c, a);
    target = c.memHi * TWO32 + (lo >>> 0);
  } else target = load(c, a, i.size) >>> 0;
  return { selector: load(c, a + i.size, 2), target };
}

/** JMP ptr16:16/32 (EA, outside 64-bit mode). */
export function jmpFar(c: Cpu, i: Insn): void {
  farJump(c, i.imm2, i.imm);
}

export function jmpFarIndirect(c: Cpu, i: Insn): void {
  const { selector, target } = farPointer(c, i);
  farJump(c, selector, target);
}

function farCall(c: Cpu, i: Insn, selector: number, target: number): void {
  const cs = c.segSelector[Seg.CS]!;
  push(c, i.size, cs, 0);
  push(c, i.size, i.next | 0, Math.floor(i.next / TWO32) | 0);
  farJump(c, selector, target);
}

export function callFar(c: Cpu, i: Insn): void {
  farCall(c, i, i.imm2, i.imm);
}

export function callFarIndirect(c: Cpu, i: Insn): void {
  const { selector, target } = farPointer(c, i);
  farCall(c, i, selector, target);
}

/** RETF [imm16]: same privilege, or an outer level (then SS:RSP are popped too). */
export function retFar(c: Cpu, i: Insn): void {
  const size = i.size;
  const lo = pop(c, size);
  const target = size === 8 ? c.memHi * TWO32 + (lo >>> 0) : lo >>> 0;
  const selector = pop(c, size) & 0xffff;
  const rpl = selector & 3;
  if ((c.cr0 & Cr0.PE) !== 0 && rpl < c.cpl) fault(c, Vector.GP, selector & ~3);
  const outer = (c.cr0 & Cr0.PE) !== 0 && rpl > c.cpl;
  if (!outer) {
    farJump(c, selector, size === 8 && target >= 2 ** 63 ? target - 2 ** 64 : target);
    setStack(c, i.imm);
    return;
  }
  setStack(c, i.imm);
  const spLo = pop(c, size);
  const sp = size === 8 ? c.memHi * TWO32 + (spLo >>> 0) : spLo >>> 0;
  const ss = pop(c, size) & 0xffff;
  loadCodeSegment(c, selector, rpl);
  updateMode(c);
  loadSegment(c, Seg.SS, ss);
  c.setGprNumber(Gpr.RSP, sp + i.imm);
  c.rip = target;
}

function setStack(c: Cpu, delta: number): void {
  if (delta === 0) return;
  c.setGprNumber(Gpr.RSP, c.gprNumber(Gpr.RSP) + delta);
}

// --- system calls ---------------------------------------------------------------------------------

/** SYSCALL (SDM Vol.2): RCX = next RIP, R11 = RFLAGS, CS/SS from STAR, RIP = LSTAR, RFLAGS &= ~FMASK. */
export function syscall(c: Cpu, i: Insn): void {
  if (c.mode !== 64 || (c.efer & Efer.SCE) === 0) fault(c, Vector.UD);
  const flags = readRflags(c);
  c.setGprNumber(Gpr.RCX, i.next);
  setReg64(c, Gpr.R11, flags & ~Flag.RF, 0);
  const cs = Number((c.star >> 32n) & 0xfffcn);
  loadFlatCsSs(c, cs, cs + 8, 0, true);
  writeRflags(c, flags & ~c.fmask & ~Flag.RF);
  c.rip = c.lstar;
}

/**
 * SYSRET: back to CPL 3, 64-bit (REX.W) or compatibility mode, RIP = RCX, RFLAGS from R11. A
 * non-canonical RCX raises #GP(0) at CPL 0, as Intel processors do.
 */
export function sysret(c: Cpu, i: Insn): void {
  if (c.mode !== 64 || (c.efer & Efer.SCE) === 0) fault(c, Vector.UD);
  requireCpl0(c);
  const base = Number((c.star >> 48n) & 0xffffn);
  const long = i.size === 8;
  const target = long ? c.gprNumber(Gpr.RCX) : c.r[Gpr.RCX * 2]! >>> 0;
  if (long && !canonical(target)) fault(c, Vector.GP, 0);
  const flags = (c.r[Gpr.R11 * 2]! & 0x3c7fd7) | Flag.FIXED1;
  loadFlatCsSs(c, ((long ? base + 16 : base) & ~3) | 3, ((base + 8) & ~3) | 3, 3, long);
  writeRflags(c, flags);
  c.rip = target;
}

/** SWAPGS: exchange GS.base with IA32_KERNEL_GS_BASE (64-bit mode, CPL 0). */
export function swapgs(c: Cpu): void {
  requireCpl0(c);
  const base = c.segBase[Seg.GS]!;
  c.segBase[Seg.GS] = c.kernelGsBase;
  c.kernelGsBase = base;
}

// --- interrupts -----------------------------------------------------------------------------------

export function cli(c: Cpu): void {
  if ((c.cr0 & Cr0.PE) !== 0 && c.cpl > iopl(c)) fault(c, Vector.GP, 0);
  c.flags &= ~Flag.IF;
}

/** STI: interrupts are blocked until after the next instruction (the STI shadow). */
export function sti(c: Cpu, i: Insn): void {
  if ((c.cr0 & Cr0.PE) !== 0 && c.cpl > iopl(c)) fault(c, Vector.GP, 0);
  if ((c.flags & Flag.IF) === 0) c.interruptShadow = c.singleStep = true;
  c.flags |= Flag.IF;
  c.rip = i.next;
}

export function int3(c: Cpu, i: Insn): void {
  raise(c, Vector.BP, EventType.SOFTWARE_EXCEPTION, -1, i.next, 0, i.length);
}

export function intN(c: Cpu, i: Insn): void {
  raise(c, i.imm, EventType.SOFTWARE_INTERRUPT, -1, i.next, 0, i.length);
}

export function int1(c: Cpu, i: Insn): void {
  raise(c, Vector.DB, EventType.PRIVILEGED_SOFTWARE_EXCEPTION, -1, i.next, 0, i.length);
}

export function into(c: Cpu, i: Insn): void {
  if (of(c)) raise(c, Vector.OF, EventType.SOFTWARE_EXCEPTION, -1, i.next, 0, i.length);
  else c.rip = i.next;
}

export function iretInsn(c: Cpu, i: Insn): void {
  iret(c, i.size);
}

export function ud2(c: Cpu): void {
  fault(c, Vector.UD);
}

