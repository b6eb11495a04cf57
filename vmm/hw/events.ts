/**
 * Event delivery (SDM Vol.3A chapter 6): exceptions and interrupts through the guest's own IDT —
 * 64-bit gates with IST and the TSS's RSPn on a privilege change (6.14), the real-mode IVT (20.1.4)
 * — with error codes, CR2 for #PF, the double-fault rules of Table 6-5 and a triple fault as a VM
 * exit. Before anything is delivered the exception bitmap may turn it into an EXCEPTION_NMI exit
 * (SDM Vol.3C 26.2). IRET is here too, as delivery's inverse (SDM Vol.2 "IRET").
 *
 * 32-bit protected-mode delivery (legacy IDT gates) is not modelled: an event there is a triple
 * fault, which the VMM reports (a guest takes no exception between its Multiboot entry and long mode).
 */
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { EXIT, FAULT, fault, read16, read32, read64, readSys32, readSys64, write64 } from './access.js';
import type { Cpu } from './cpu.js';
import { readRflags } from './flags.js';
import { CANONICAL_LIMIT, pop, push, setStackPointer, stackPointer } from './exec/operands.js';
import { Cr0, Efer, Flag, Gpr, Seg, SegAttr, TWO32, Vector } from './state.js';
import { accessRights, descriptorAddress, loadCodeSegment, loadNull, loadSegment, readDescriptor, updateMode, writeRflags } from './system.js';
import { EventType, interruptionInfo } from './vmcs.js';

/** Exceptions that push an error code (SDM Vol.3A 6.13). */
const HAS_ERROR_CODE = (1 << Vector.DF) | (1 << Vector.TS) | (1 << Vector.NP) | (1 << Vector.SS) | (1 << Vector.GP) | (1 << Vector.PF) | (1 << Vector.AC);
/** The contributory exceptions of Table 6-4. */
const CONTRIBUTORY = (1 << Vector.DE) | (1 << Vector.TS) | (1 << Vector.NP) | (1 << Vector.SS) | (1 << Vector.GP);

export function pushesErrorCode(vector: number): boolean {
  return vector < 32 && (HAS_ERROR_CODE & (1 << vector)) !== 0;
}

/** What is being delivered, as VM-entry and IDT-vectoring information type it. */
export interface Event {
  vector: number;
  type: EventType;
  /** -1: none. */
  errorCode: number;
  /** RIP pushed for the handler to return to (the faulting instruction, or the next for traps). */
  returnRip: number;
}

/**
 * Raise an event in the guest: an exit if the exception bitmap intercepts it, else delivery through
 * the IDT, escalating to #DF and to a triple fault (an exit) as Table 6-5 says.
 */
export function raise(c: Cpu, vector: number, type: EventType, errorCode: number, returnRip: number, faultAddress = 0, length = 0): void {
  const exception = type === EventType.HARDWARE_EXCEPTION || type === EventType.SOFTWARE_EXCEPTION || type === EventType.PRIVILEGED_SOFTWARE_EXCEPTION;
  if (exception && vector < 32 && (c.vmcs.exceptionBitmap & (1 << vector)) !== 0) {
    exceptionExit(c, vector, type, errorCode, faultAddress, length);
    return;
  }
  const prior = c.delivering;
  let v = vector;
  let code = errorCode;
  if (prior >= 0 && type === EventType.HARDWARE_EXCEPTION) {
    if (prior === Vector.DF) {
      c.vmExit(ExitReason.TRIPLE_FAULT, 0, 0);
      return;
    }
    const priorContributory = (CONTRIBUTORY & (1 << prior)) !== 0;
    const contributory = (CONTRIBUTORY & (1 << v)) !== 0;
    if ((priorContributory && contributory) || (prior === Vector.PF && (contributory || v === Vector.PF))) {
      v = Vector.DF;
      code = 0;
    }
  }
  if (v === Vector.PF && v === vector) {
    c.cr2Lo = faultAddress | 0;
    c.cr2Hi = Math.floor(faultAddress / TWO32) | 0;
  }
  const event = c.deliveringEvent;
  const saved = { vector: event.vector, type: event.type, errorCode: event.errorCode, returnRip: event.returnRip };
  // Interrupts and software events are benign (Table 6-4): a fault while delivering one is
  // delivered on its own. 32 stands for "something benign is being delivered".
  c.delivering = type === EventType.HARDWARE_EXCEPTION ? v : 32;
  event.vector = v;
  event.type = v === vector ? type : EventType.HARDWARE_EXCEPTION;
  event.errorCode = code;
  event.returnRip = returnRip;
  try {
    deliver(c, event);
  } catch (error) {
    if (error === FAULT) {
      raise(c, c.faultVector, EventType.HARDWARE_EXCEPTION, c.faultErrorCode >= 0 ? c.faultErrorCode | (type === EventType.EXTERNAL_INTERRUPT ? 1 : 0) : -1, returnRip, c.faultAddress);
      return;
    }
    if (error === EXIT) {
      // An exit in the middle of delivery (an EPT violation on the stack, say): the VMM learns
      // what was being delivered from the IDT-vectoring information and injects it again.
      c.vmcs.idtVectoringInfo = interruptionInfo(event.vector, event.type, event.errorCode >= 0);
      c.vmcs.idtVectoringErrorCode = Math.max(0, event.errorCode);
    }
    throw error;
  } finally {
    c.delivering = prior;
    event.vector = saved.vector;
    event.type = saved.type;
    event.errorCode = saved.errorCode;
    event.returnRip = saved.returnRip;
  }
}

/** An intercepted exception: EXCEPTION_NMI with the interruption information (SDM Vol.3C 28.2.2). */
function exceptionExit(c: Cpu, vector: number, type: EventType, errorCode: number, faultAddress: number, length: number): void {
  const v = c.vmcs;
  const info = interruptionInfo(vector, type, errorCode >= 0 && pushesErrorCode(vector));
  v.exitInterruptionInfo = info;
  v.exitInterruptionErrorCode = Math.max(0, errorCode);
  // For #PF the qualification is the faulting address and CR2 is left alone (SDM 27.1).
  const qualification = vector === Vector.PF ? faultAddress : 0;
  if (c.delivering >= 0) {
    v.idtVectoringInfo = interruptionInfo(c.deliveringEvent.vector, c.deliveringEvent.type, c.deliveringEvent.errorCode >= 0);
    v.idtVectoringErrorCode = Math.max(0, c.deliveringEvent.errorCode);
  }
  c.vmExit(ExitReason.EXCEPTION_NMI, qualification, length);
}

function deliver(c: Cpu, e: Event): void {
  if ((c.cr0 & Cr0.PE) === 0) return deliverReal(c, e);
  if ((c.efer & Efer.LMA) === 0) {
    c.reportUnsupported(`vector ${e.vector} in 32-bit protected mode (legacy IDT delivery is not modelled)`);
    c.vmExit(ExitReason.TRIPLE_FAULT, 0, 0);
    return;
  }
  deliverLong(c, e);
}

/** Real mode: the IVT's far pointer, FLAGS, CS and IP pushed on SS:SP (SDM 20.1.4). */
function deliverReal(c: Cpu, e: Event): void {
  const entry = e.vector * 4;
  if (entry + 3 > c.idtrLimit) fault(c, Vector.GP, 0);
  const target = readSys32(c, c.idtrBase + entry);
  push(c, 2, readRflags(c) & 0xffff, 0);
  push(c, 2, c.segSelector[Seg.CS]!, 0);
  push(c, 2, e.returnRip & 0xffff, 0);
  c.flags &= ~(Flag.IF | Flag.TF | Flag.AC);
  c.loadRealSegment(Seg.CS, target >>> 16);
  c.rip = target & 0xffff;
  updateMode(c);
}

/** IA-32e mode: a 16-byte interrupt or trap gate (SDM 6.14). */
function deliverLong(c: Cpu, e: Event): void {
  const vector = e.vector;
  const idtError = vector * 8 + 2 + (e.type === EventType.EXTERNAL_INTERRUPT ? 1 : 0);
  if (vector * 16 + 15 > c.idtrLimit) fault(c, Vector.GP, idtError);
  const gateAt = c.idtrBase + vector * 16;
  const lo = readSys64(c, gateAt);
  const hi = c.memHi;
  const upper = readSys32(c, gateAt + 8);
  const type = (hi >>> 8) & 0xf;
  const dpl = (hi >>> 13) & 3;
  if (type !== 0xe && type !== 0xf) fault(c, Vector.GP, idtError);
  const software = e.type === EventType.SOFTWARE_INTERRUPT || e.type === EventType.SOFTWARE_EXCEPTION;
  if (software && dpl < c.cpl) fault(c, Vector.GP, idtError);
  if ((hi & (1 << 15)) === 0) fault(c, Vector.NP, idtError);
  const selector = lo >>> 16;
  const target = (upper | 0) * TWO32 + (((hi & 0xffff0000) | (lo & 0xffff)) >>> 0);
  if (target < -CANONICAL_LIMIT || target >= CANONICAL_LIMIT) fault(c, Vector.GP, idtError);

  // The handler's code segment: a present 64-bit code segment with DPL <= CPL.
  if ((selector & ~3) === 0) fault(c, Vector.GP, (e.type === EventType.EXTERNAL_INTERRUPT ? 1 : 0));
  const at = descriptorAddress(c, selector);
  if (at === undefined) fault(c, Vector.GP, (selector & ~3) | (e.type === EventType.EXTERNAL_INTERRUPT ? 1 : 0));
  const d = readDescriptor(c, at, c.scratchDescriptor);
  const ar = accessRights(d.hi);
  const csDpl = (ar >>> SegAttr.DPL_SHIFT) & 3;
  if ((ar & SegAttr.CODE) === 0 || (ar & SegAttr.S) === 0 || csDpl > c.cpl || (ar & SegAttr.L) === 0) fault(c, Vector.GP, selector & ~3);
  if ((ar & SegAttr.P) === 0) fault(c, Vector.NP, selector & ~3);
  const conforming = (ar & 4) !== 0;
  const newCpl = conforming ? c.cpl : csDpl;

  const oldSs = c.segSelector[Seg.SS]!;
  const oldRspLo = c.r[Gpr.RSP * 2]!;
  const oldRspHi = c.r[Gpr.RSP * 2 + 1]!;
  const oldCs = c.segSelector[Seg.CS]!;
  const oldFlags = readRflags(c);
  const ist = hi & 7;
  let rsp: number;
  if (ist !== 0) rsp = tssStack(c, 36 + (ist - 1) * 8);
  else if (newCpl < c.cpl) rsp = tssStack(c, 4 + newCpl * 8);
  else rsp = stackPointer(c);
  rsp -= rsp - Math.floor(rsp / 16) * 16; // aligned to 16 bytes (SDM 6.14.2)
  if (rsp < -CANONICAL_LIMIT || rsp >= CANONICAL_LIMIT) fault(c, Vector.SS, 0);

  // Build the frame on the new stack with the new privilege, before anything else changes, so a
  // fault while pushing leaves the interrupted state intact.
  const savedCpl = c.cpl;
  const savedSet = c.tlbSet;
  c.cpl = newCpl;
  c.tlbSet = newCpl === 3 ? savedSet : 0;
  try {
    const frame = [oldSs, 0, oldRspLo, oldRspHi, oldFlags, 0, oldCs, 0, e.returnRip | 0, Math.floor(e.returnRip / TWO32) | 0];
    let sp = rsp;
    for (let k = 0; k < frame.length; k += 2) {
      sp -= 8;
      write64(c, sp, frame[k]!, frame[k + 1]!);
    }
    if (e.errorCode >= 0 && e.type === EventType.HARDWARE_EXCEPTION && pushesErrorCode(vector)) {
      sp -= 8;
      write64(c, sp, e.errorCode, 0);
    }
    rsp = sp;
  } catch (error) {
    c.cpl = savedCpl;
    c.tlbSet = savedSet;
    throw error;
  }
  // Commit: CS, SS (null at the new privilege when it changed), RSP, RIP, RFLAGS.
  c.segSelector[Seg.CS] = (selector & ~3) | newCpl;
  c.segBase[Seg.CS] = 0;
  c.segLimit[Seg.CS] = 0xffffffff;
  c.segAttr[Seg.CS] = ar;
  if (newCpl !== savedCpl) {
    loadNull(c, Seg.SS, newCpl);
    c.segAttr[Seg.SS] = SegAttr.P | SegAttr.S | 3 | (newCpl << SegAttr.DPL_SHIFT);
  }
  setStackPointer64(c, rsp);
  c.rip = target;
  c.flags &= ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM);
  if (type === 0xe) c.flags &= ~Flag.IF;
  if (e.type === EventType.NMI) c.nmiBlocked = true;
  updateMode(c);
}

function setStackPointer64(c: Cpu, rsp: number): void {
  c.r[Gpr.RSP * 2] = rsp | 0;
  c.r[Gpr.RSP * 2 + 1] = Math.floor(rsp / TWO32) | 0;
}

/** A stack pointer from the 64-bit TSS (RSPn or ISTn at `offset`). */
function tssStack(c: Cpu, offset: number): number {
  if (offset + 7 > c.segLimit[Seg.TR]! || (c.segAttr[Seg.TR]! & SegAttr.P) === 0) fault(c, Vector.TS, c.segSelector[Seg.TR]! & ~3);
  const lo = readSys64(c, c.segBase[Seg.TR]! + offset);
  return c.memHi * TWO32 + (lo >>> 0);
}

/**
 * IRET / IRETD / IRETQ (i.size 2, 4, 8). In 64-bit mode it always pops SS:RSP; elsewhere only on a
 * return to an outer privilege level. Unblocks NMIs.
 */
export function iret(c: Cpu, size: number): void {
  if ((c.cr0 & Cr0.PE) === 0) {
    const ip = pop(c, size);
    const cs = pop(c, size) & 0xffff;
    const flags = pop(c, size);
    c.loadRealSegment(Seg.CS, cs);
    c.rip = size === 2 ? ip & 0xffff : ip >>> 0;
    const writable = size === 2 ? 0x7fd5 : 0x257fd5;
    writeRflags(c, (readRflags(c) & ~writable) | (flags & writable));
    c.nmiBlocked = false;
    updateMode(c);
    return;
  }
  const long = c.mode === 64;
  const read = (at: number): number => {
    const v = peekStack(c, size, at);
    return size === 8 ? c.memHi * TWO32 + (v >>> 0) : size === 4 ? v >>> 0 : v & 0xffff;
  };
  const ripValue = read(0);
  const cs = read(size) & 0xffff;
  const flags = read(2 * size);
  const newCpl = cs & 3;
  if (newCpl < c.cpl) fault(c, Vector.GP, cs & ~3);
  const outer = newCpl > c.cpl;
  const popsStack = long || outer;
  const rspValue = popsStack ? read(3 * size) : 0;
  const ss = popsStack ? read(4 * size) & 0xffff : 0;

  let writable = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.RF | Flag.AC | Flag.ID;
  if (c.cpl === 0) writable |= Flag.IOPL | Flag.VIF | Flag.VIP;
  if (c.cpl <= ((c.flags & Flag.IOPL) >>> 12)) writable |= Flag.IF;
  if (size === 2) writable &= 0xffff;
  loadCodeSegment(c, cs, newCpl);
  updateMode(c);
  let target = ripValue;
  if (c.mode === 64) {
    target = size === 8 && ripValue >= 2 ** 63 ? ripValue - 2 ** 64 : ripValue;
    if (target < -CANONICAL_LIMIT || target >= CANONICAL_LIMIT) fault(c, Vector.GP, 0);
  }
  if (popsStack) {
    loadSegment(c, Seg.SS, ss);
    const sp = size === 8 && rspValue >= 2 ** 63 ? rspValue - 2 ** 64 : rspValue;
    if (c.mode === 64 || size === 8) setStackPointer64(c, sp);
    else setStackPointer(c, sp);
  } else {
    setStackPointer(c, stackPointer(c) + 3 * size);
  }
  c.rip = target;
  writeRflags(c, (readRflags(c) & ~writable) | (flags & writable));
  c.nmiBlocked = false;
  if (outer) clearInaccessibleSegments(c, newCpl);
  updateMode(c);
}

function peekStack(c: Cpu, size: number, at: number): number {
  const sp = stackPointer(c) + at;
  const a = c.mode === 64 ? sp : (sp + c.segBase[Seg.SS]!) % TWO32;
  // The frame is read with the current privilege: IRET at CPL 3 cannot read kernel memory.
  return size === 8 ? read64(c, a) : size === 4 ? read32(c, a) : read16(c, a);
}

/** On a return to an outer level, data segments the new level may not use become null (SDM "IRET"). */
function clearInaccessibleSegments(c: Cpu, cpl: number): void {
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const ar = c.segAttr[seg]!;
    if ((ar & SegAttr.UNUSABLE) !== 0 || (c.segSelector[seg]! & ~3) === 0) continue;
    const dpl = (ar >>> SegAttr.DPL_SHIFT) & 3;
    const conformingCode = (ar & SegAttr.CODE) !== 0 && (ar & 4) !== 0;
    if (!conformingCode && dpl < cpl) loadNull(c, seg, 0);
  }
}

