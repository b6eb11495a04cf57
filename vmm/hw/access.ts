/**
 * Guest memory as instructions see it: linear addresses through a software TLB, the page walk and
 * EPT. Every load and store the interpreter makes goes through these functions.
 *
 * The TLB is direct-mapped and bounded (TLB_ENTRIES per privilege set), with a tag per access kind
 * (read, write, fetch), as QEMU's softmmu keeps it: a hit costs a shift, a compare and a DataView
 * access. An entry holds the addend from linear to physical address. The write tag is installed
 * only when the page is dirty, writable for this privilege, EPT-writable and holds no decoded code,
 * so a fast store never needs a check; anything else takes the slow path, which walks, faults,
 * sets A/D bits and notes writes to code pages. A store that crosses a page boundary translates
 * both pages before it writes a byte.
 */
import type { Cpu } from './cpu.js';
import { EptPerm } from './memory.js';
import { Access, WalkStatus, walk } from './paging.js';
import { Cr0, Efer, TWO32, Vector } from './state.js';

export const TLB_ENTRIES = 1024;
export const TLB_MASK = TLB_ENTRIES - 1;
/** Offset of the user-mode set in the TLB arrays (the supervisor set is at 0). */
export const TLB_USER_SET = TLB_ENTRIES;

export const Kind = { READ: 0, WRITE: 1, FETCH: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Thrown to abandon the current instruction: `cpu.fault*` says which exception to raise. */
export const FAULT = { name: 'cpu-fault' } as const;
/** Thrown to abandon the current instruction for a VM exit already described in `cpu.vmcs`. */
export const EXIT = { name: 'cpu-exit' } as const;

/** Raise exception `vector` in the current instruction (it does not complete). */
export function fault(c: Cpu, vector: number, errorCode = -1, address = 0): never {
  c.faultVector = vector;
  c.faultErrorCode = errorCode;
  c.faultAddress = address;
  throw FAULT;
}

export function flushTlb(c: Cpu): void {
  c.translationEpoch++;
  c.tlbRead.fill(NaN);
  c.tlbWrite.fill(NaN);
  c.tlbFetch.fill(NaN);
}

/** INVLPG: drop the translation of one page in both privilege sets. */
export function flushTlbPage(c: Cpu, linear: number): void {
  c.translationEpoch++;
  const vpn = Math.floor(linear / 4096);
  for (const set of [0, TLB_USER_SET]) {
    const slot = (vpn & TLB_MASK) | set;
    if (c.tlbRead[slot] === vpn || c.tlbWrite[slot] === vpn || c.tlbFetch[slot] === vpn) {
      c.tlbRead[slot] = NaN;
      c.tlbWrite[slot] = NaN;
      c.tlbFetch[slot] = NaN;
    }
  }
}

/**
 * Translate `linear` for an access of `kind`, filling the TLB; the physical address, or a throw:
 * #PF (FAULT) or an EPT violation (EXIT). `user` is false for implicit supervisor accesses
 * (descriptor tables, the TSS) even at CPL 3.
 */
export function translate(c: Cpu, linear: number, kind: Kind, user: boolean): number {
  const r = c.walkResult;
  const write = kind === Kind.WRITE;
  let physical: number;
  let access: number;
  if ((c.cr0 & Cr0.PG) === 0) {
    physical = linear >>> 0;
    access = Access.W | Access.U | Access.DIRTY;
  } else {
    walk(c.memory, linear, {
      cr3: c.cr3, write, fetch: kind === Kind.FETCH, user,
      writeProtect: (c.cr0 & Cr0.WP) !== 0, noExecute: (c.efer & Efer.NXE) !== 0,
    }, r);
    if (r.status === WalkStatus.PAGE_FAULT) fault(c, Vector.PF, r.errorCode, linear);
    if (r.status === WalkStatus.EPT_VIOLATION) eptViolation(c, r.physical, linear, kind, false);
    physical = r.physical;
    access = r.access;
  }
  const page = Math.floor(physical / 4096);
  const ept = physical < c.memory.size ? c.memory.ept[page]! : 0;
  const needed = kind === Kind.READ ? EptPerm.READ : kind === Kind.WRITE ? EptPerm.WRITE : EptPerm.EXECUTE;
  if ((ept & needed) === 0) eptViolation(c, physical, linear, kind, true);
  fillTlb(c, linear, physical, access, ept, user);
  return physical;
}

function fillTlb(c: Cpu, linear: number, physical: number, access: number, ept: number, user: boolean): void {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | (user ? TLB_USER_SET : 0);
  const addend = Math.floor(physical / 4096) * 4096 - vpn * 4096;
  const userOk = !user || (access & Access.U) !== 0;
  const writable = (access & Access.W) !== 0 || (!user && (c.cr0 & Cr0.WP) === 0);
  const executable = (access & Access.NX) === 0 || (c.efer & Efer.NXE) === 0;
  c.tlbAddend[slot] = addend;
  c.tlbRead[slot] = userOk && (ept & EptPerm.READ) !== 0 ? vpn : NaN;
  c.tlbWrite[slot] = userOk && writable && (access & Access.DIRTY) !== 0 && (ept & EptPerm.WRITE) !== 0 &&
    c.memory.codePages[Math.floor(physical / 4096)] === 0 ? vpn : NaN;
  c.tlbFetch[slot] = userOk && executable && (ept & EptPerm.EXECUTE) !== 0 ? vpn : NaN;
}

/** Describe an EPT violation (SDM Vol.3C 28.2.1, Table 28-7) and leave the instruction for it. */
function eptViolation(c: Cpu, physical: number, linear: number, kind: Kind, final: boolean): never {
  const ept = physical < c.memory.size ? c.memory.ept[Math.floor(physical / 4096)]! : 0;
  const v = c.vmcs;
  v.exitReasonPending = 48;
  v.exitQualificationPending = (kind === Kind.READ ? 1 : kind === Kind.WRITE ? 2 : 4) | ((ept & 7) << 3) | (1 << 7) | (final ? 1 << 8 : 0);
  v.guestPhysicalAddress = physical;
  v.guestLinearAddress = linear;
  throw EXIT;
}

/** Whether the slow path's access at `physical` hit a page with decoded code: note it for the cache. */
function noteCodeWrite(c: Cpu, physical: number, length: number): void {
  const page = Math.floor(physical / 4096);
  if (c.memory.codePages[page] === 0 && c.memory.codePages[Math.floor((physical + length - 1) / 4096)] === 0) return;
  c.memory.noteWrite(physical, length);
  c.stopBlock = true;
}

function userAccess(c: Cpu): boolean {
  return c.cpl === 3;
}

/**
 * The host offset of `linear` for a run of reads or writes that stays inside its page (a REP
 * string instruction's bulk path): a TLB hit, or a translation that may fault as a one-byte access
 * would. -1 when the run must go an access at a time (a write to a page holding decoded code).
 */
export function pageRun(c: Cpu, linear: number, kind: typeof Kind.READ | typeof Kind.WRITE): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  const tags = kind === Kind.WRITE ? c.tlbWrite : c.tlbRead;
  if (tags[slot] !== vpn) {
    translate(c, linear, kind, userAccess(c));
    if (tags[slot] !== vpn) return -1;
  }
  return linear + c.tlbAddend[slot]!;
}

/**
 * Check that `size` bytes at `linear` may be written, before a read-modify-write reads them: the
 * processor reads such an operand with write intent, so a missing or read-only page faults with
 * the W bit in the #PF error code (and sets the dirty bit), as the store would.
 */
export function probeWrite(c: Cpu, linear: number, size: number): void {
  const last = linear + size - 1;
  for (let page = linear; ; page = (Math.floor(page / 4096) + 1) * 4096) {
    const vpn = Math.floor(page / 4096);
    if (c.tlbWrite[(vpn & TLB_MASK) | c.tlbSet] !== vpn) translate(c, page, Kind.WRITE, userAccess(c));
    if (vpn === Math.floor(last / 4096)) return;
  }
}

// --- loads --------------------------------------------------------------------------------------

export function read8(c: Cpu, linear: number): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbRead[slot] === vpn) return c.bytes[linear + c.tlbAddend[slot]!]!;
  return c.bytes[translate(c, linear, Kind.READ, userAccess(c))]!;
}

export function read16(c: Cpu, linear: number): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbRead[slot] === vpn && (linear & 0xfff) <= 0xffe) return c.dv.getUint16(linear + c.tlbAddend[slot]!, true);
  return readSlow(c, linear, 2, userAccess(c));
}

/** A 32-bit load, as an int32. */
export function read32(c: Cpu, linear: number): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbRead[slot] === vpn && (linear & 0xfff) <= 0xffc) return c.dv.getInt32(linear + c.tlbAddend[slot]!, true);
  return readSlow(c, linear, 4, userAccess(c)) | 0;
}

/** A 64-bit load: returns bits 31:0 as an int32 and leaves bits 63:32 in `c.memHi`. */
export function read64(c: Cpu, linear: number): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbRead[slot] === vpn && (linear & 0xfff) <= 0xff8) {
    const at = linear + c.tlbAddend[slot]!;
    c.memHi = c.dv.getInt32(at + 4, true);
    return c.dv.getInt32(at, true);
  }
  const lo = readSlow(c, linear, 4, userAccess(c)) | 0;
  c.memHi = readSlow(c, linear + 4, 4, userAccess(c)) | 0;
  return lo;
}

/** A load of 1, 2 or 4 bytes that may cross a page boundary, or misses the TLB. */
export function readSlow(c: Cpu, linear: number, size: number, user: boolean): number {
  const offset = linear & 0xfff;
  if (offset + size <= 4096) {
    const p = translate(c, linear, Kind.READ, user);
    return size === 1 ? c.bytes[p]! : size === 2 ? c.dv.getUint16(p, true) : c.dv.getUint32(p, true);
  }
  const first = translate(c, linear, Kind.READ, user);
  const second = translate(c, linear + (4096 - offset), Kind.READ, user);
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + c.bytes[i < 4096 - offset ? first + i : second + i - (4096 - offset)]!;
  return value;
}

/** Supervisor-mode loads for what the CPU reads on its own (descriptors, the IDT, the TSS). */
export function readSys32(c: Cpu, linear: number): number {
  return readSlow(c, linear, 4, false) | 0;
}
export function readSys64(c: Cpu, linear: number): number {
  const lo = readSlow(c, linear, 4, false) | 0;
  c.memHi = readSlow(c, linear + 4, 4, false) | 0;
  return lo;
}
export function readSys16(c: Cpu, linear: number): number {
  return readSlow(c, linear, 2, false);
}

// --- stores -------------------------------------------------------------------------------------

export function write8(c: Cpu, linear: number, value: number): void {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbWrite[slot] === vpn) {
    c.bytes[linear + c.tlbAddend[slot]!] = value;
    return;
  }
  writeSlow(c, linear, 1, value, 0, userAccess(c));
}

export function write16(c: Cpu, linear: number, value: number): void {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbWrite[slot] === vpn && (linear & 0xfff) <= 0xffe) {
    c.dv.setUint16(linear + c.tlbAddend[slot]!, value, true);
    return;
  }
  writeSlow(c, linear, 2, value, 0, userAccess(c));
}

export function write32(c: Cpu, linear: number, value: number): void {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbWrite[slot] === vpn && (linear & 0xfff) <= 0xffc) {
    c.dv.setInt32(linear + c.tlbAddend[slot]!, value, true);
    return;
  }
  writeSlow(c, linear, 4, value, 0, userAccess(c));
}

export function write64(c: Cpu, linear: number, lo: number, hi: number): void {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbWrite[slot] === vpn && (linear & 0xfff) <= 0xff8) {
    const at = linear + c.tlbAddend[slot]!;
    c.dv.setInt32(at, lo, true);
    c.dv.setInt32(at + 4, hi, true);
    return;
  }
  writeSlow(c, linear, 8, lo, hi, userAccess(c));
}

/**
 * A store of `size` bytes (value in lo, and hi for 8) through the slow path: both pages are
 * translated (and may fault) before anything is written.
 */
export function writeSlow(c: Cpu, linear: number, size: number, lo: number, hi: number, user: boolean): void {
  const offset = linear & 0xfff;
  const firstLength = Math.min(size, 4096 - offset);
  const first = translate(c, linear, Kind.WRITE, user);
  const second = firstLength < size ? translate(c, linear + firstLength, Kind.WRITE, user) : 0;
  for (let i = 0; i < size; i++) {
    const byte = i < 4 ? (lo >>> (i * 8)) & 0xff : (hi >>> ((i - 4) * 8)) & 0xff;
    c.bytes[i < firstLength ? first + i : second + i - firstLength] = byte;
  }
  noteCodeWrite(c, first, firstLength);
  if (firstLength < size) noteCodeWrite(c, second, size - firstLength);
}

export function writeSys64(c: Cpu, linear: number, lo: number, hi: number): void {
  writeSlow(c, linear, 8, lo, hi, false);
}
export function writeSys32(c: Cpu, linear: number, value: number): void {
  writeSlow(c, linear, 4, value, 0, false);
}

/**
 * The physical address of an aligned operand for a LOCKed read-modify-write (or XCHG with
 * memory), translated for writing. Such operands are updated with Atomics so that guest locks
 * work across vCPU threads; a misaligned locked operand (a split lock) is done non-atomically.
 */
export function lockedAddress(c: Cpu, linear: number, size: number): number {
  const vpn = Math.floor(linear / 4096);
  const slot = (vpn & TLB_MASK) | c.tlbSet;
  if (c.tlbWrite[slot] === vpn && c.tlbRead[slot] === vpn && (linear & 0xfff) <= 4096 - size) return linear + c.tlbAddend[slot]!;
  if ((linear & 0xfff) > 4096 - size) return -1;
  translate(c, linear, Kind.READ, userAccess(c));
  const physical = translate(c, linear, Kind.WRITE, userAccess(c));
  noteCodeWrite(c, physical, size);
  return physical;
}

/** The sign-extended 64-bit value of a number's two halves as a number (exact below 2^53). */
export function join(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}
