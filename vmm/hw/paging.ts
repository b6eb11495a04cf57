/**
 * The page walk of IA-32e (4-level) paging, SDM Vol.3A 4.5: 4 KiB, 2 MiB and 1 GiB pages, the
 * permission rules of 4.6 and the fault error codes of 4.7, with the accessed and dirty bits set as
 * the processor sets them (4.8) and reserved bits checked. 32-bit and PAE paging are not modelled
 * (a guest enables long mode before paging, as every x86-64 kernel's entry code does).
 *
 * The walk reads paging structures as guest-physical memory; a structure outside RAM or without
 * EPT read permission is an EPT violation, not a page fault.
 */
import type { GuestMemory } from './memory.js';
import { EptPerm } from './memory.js';
import { TWO32 } from './state.js';

/** Page-table entry bits (SDM Vol.3A Table 4-19 and following). */
export const Pte = { P: 1, RW: 2, US: 4, PWT: 8, PCD: 16, A: 32, D: 64, PS: 128, G: 256 } as const;
/** Bit 63 of an entry, as it appears in the entry's high word. */
const XD_HI = 1 << 31;
/** Page-fault error code bits (SDM Vol.3A 4.7). */
export const PfError = { P: 1, W: 2, U: 4, RSVD: 8, I: 16 } as const;

/** MAXPHYADDR (CPUID 0x80000008 EAX[7:0]): entry bits 51:39 are reserved. */
export const PHYSICAL_ADDRESS_BITS = 39;
/** Reserved bits 51:MAXPHYADDR of an entry's high word (bit 32 of the entry is bit 0 here). */
const RESERVED_HI = (((1 << (52 - 32)) - 1) & ~((1 << (PHYSICAL_ADDRESS_BITS - 32)) - 1)) >>> 0;

/** Permission bits of a completed translation (the AND of R/W and U/S over every level, the OR of XD). */
export const Access = { W: 1, U: 2, NX: 4, DIRTY: 8, GLOBAL: 16 } as const;

export const WalkStatus = {
  OK: 0,
  PAGE_FAULT: 1,
  /** A paging structure (or the final page) is outside RAM or lacks EPT permission. */
  EPT_VIOLATION: 2,
} as const;

/** Scratch result of a walk (one per vCPU: the walk allocates nothing). */
export class WalkResult {
  status = 0;
  /** Guest-physical address of the translated byte (OK), or of the failing access (EPT_VIOLATION). */
  physical = 0;
  pageSize = 4096;
  access = 0;
  /** #PF error code (PAGE_FAULT). */
  errorCode = 0;
  /** EPT_VIOLATION: whether the failing access was the final translation (not a paging structure). */
  eptFinal = false;
}

export interface WalkRequest {
  readonly cr3: number;
  readonly write: boolean;
  readonly fetch: boolean;
  /** A user-mode access: CPL 3 and not an implicit supervisor access. */
  readonly user: boolean;
  /** CR0.WP. */
  readonly writeProtect: boolean;
  /** EFER.NXE. */
  readonly noExecute: boolean;
  /** Leave accessed and dirty bits alone (a debugger's or monitor's look, not a guest access). */
  readonly inspect?: boolean;
}

const LEVEL_SHIFTS = [39, 30, 21, 12] as const;

/**
 * Translate canonical linear address `linear` (a number) for `req`, setting A (and D on a write)
 * in the entries it uses. Checks permissions as 4.6 does for a user or supervisor access.
 */
export function walk(memory: GuestMemory, linear: number, req: WalkRequest, out: WalkResult): WalkResult {
  const words = memory.words;
  let table = Math.floor(req.cr3 / 4096) * 4096;
  let writable = true;
  let user = true;
  let noExecute = false;
  const lo = linear >>> 0;
  const hi = Math.floor(linear / TWO32) >>> 0;
  for (let level = 0; level < 4; level++) {
    const shift = LEVEL_SHIFTS[level]!;
    // Bits of the linear address that index this level's table.
    const index = shift >= 32 ? (hi >>> (shift - 32)) & 0x1ff : shift === 30 ? ((hi & 0x7f) << 2) | (lo >>> 30) : (lo >>> shift) & 0x1ff;
    const entryAt = table + index * 8;
    if (entryAt + 8 > memory.size || (memory.ept[entryAt >>> 12]! & EptPerm.READ) === 0) return eptViolation(out, entryAt, false);
    const entryLo = words[entryAt >>> 2]!;
    const entryHi = words[(entryAt >>> 2) + 1]!;
    if ((entryLo & Pte.P) === 0) return pageFault(out, false, req);
    const leaf = level === 3 || ((level === 1 || level === 2) && (entryLo & Pte.PS) !== 0);
    if (reserved(level, entryLo, entryHi, leaf, req.noExecute)) return pageFault(out, true, req, PfError.RSVD);
    writable &&= (entryLo & Pte.RW) !== 0;
    user &&= (entryLo & Pte.US) !== 0;
    noExecute ||= (entryHi & XD_HI) !== 0;
    if (leaf) {
      const pageSize = 2 ** shift;
      const denied =
        (req.user && !user) ||
        (req.write && !writable && (req.user || req.writeProtect)) ||
        (req.fetch && req.noExecute && noExecute);
      if (denied) return pageFault(out, true, req);
      // Accessed on every level used (done below for this leaf), dirty on a write (SDM 4.8).
      const setBits = Pte.A | (req.write ? Pte.D : 0);
      if ((entryLo & setBits) !== setBits && req.inspect !== true) Atomics.or(words, entryAt >>> 2, setBits);
      const frame = ((entryHi & 0xfffff) >>> 0) * TWO32 + ((entryLo & ~0xfff) >>> 0);
      const offset = pageSize === 4096 ? lo & 0xfff : pageSize === 2 ** 21 ? lo & 0x1fffff : lo & 0x3fffffff;
      out.status = WalkStatus.OK;
      out.physical = Math.floor(frame / pageSize) * pageSize + offset;
      out.pageSize = pageSize;
      out.access = (writable ? Access.W : 0) | (user ? Access.U : 0) | (noExecute ? Access.NX : 0) |
        ((entryLo & Pte.D) !== 0 || req.write ? Access.DIRTY : 0) | ((entryLo & Pte.G) !== 0 ? Access.GLOBAL : 0);
      return out;
    }
    if ((entryLo & Pte.A) === 0 && req.inspect !== true) Atomics.or(words, entryAt >>> 2, Pte.A);
    table = ((entryHi & 0xfffff) >>> 0) * TWO32 + ((entryLo & ~0xfff) >>> 0);
  }
  return pageFault(out, false, req);
}

/** Reserved bits of an entry at `level` (0 = PML4E) for 4-level paging (SDM Vol.3A 4.5.4, Table 4-14ff). */
function reserved(level: number, lo: number, hi: number, leaf: boolean, noExecute: boolean): boolean {
  if ((hi & RESERVED_HI) !== 0) return true;
  if (!noExecute && (hi & XD_HI) !== 0) return true;
  if (level === 0 && (lo & Pte.PS) !== 0) return true;
  // A large page's frame must be aligned: bits 20:13 (2 MiB) or 29:13 (1 GiB) are reserved.
  if (leaf && level === 1) return (lo & 0x3fffe000) !== 0;
  if (leaf && level === 2) return (lo & 0x1fe000) !== 0;
  return false;
}

function pageFault(out: WalkResult, present: boolean, req: WalkRequest, extra = 0): WalkResult {
  out.status = WalkStatus.PAGE_FAULT;
  out.errorCode = (present ? PfError.P : 0) | (req.write ? PfError.W : 0) | (req.user ? PfError.U : 0) |
    (req.fetch && req.noExecute ? PfError.I : 0) | extra;
  return out;
}

function eptViolation(out: WalkResult, physical: number, final: boolean): WalkResult {
  out.status = WalkStatus.EPT_VIOLATION;
  out.physical = physical;
  out.eptFinal = final;
  return out;
}

/** Whether a linear address is canonical (bits 63:47 equal), given as a number. */
export function isCanonical(linear: number): boolean {
  return linear >= -(2 ** 47) && linear < 2 ** 47;
}
