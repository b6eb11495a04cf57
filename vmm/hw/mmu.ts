/**
 * The MMU's 4-level page walk (SDM Vol.3A 4.5, IA-32e paging): 4 KiB, 2 MiB and 1 GiB pages,
 * P/RW/US/NX. The CPU uses it for the guest's own loads and stores; the VMM uses it to translate
 * guest-virtual buffers through the caller's CR3.
 */
import { type Gpa, type Gva, gpa } from './address.js';
import type { GuestMemory } from './memory.js';

export const Pte = {
  PRESENT: 1n << 0n,
  WRITABLE: 1n << 1n,
  USER: 1n << 2n,
  PAGE_SIZE: 1n << 7n,
  NO_EXECUTE: 1n << 63n,
} as const;
/** Bits 51:12 of an entry: the next table or the page frame. */
export const PTE_ADDRESS_MASK = 0x000ffffffffff000n;

/** Page-fault error code bits (SDM Vol.3A 4.7). */
export const PfError = { PRESENT: 1, WRITE: 2, USER: 4, RESERVED: 8, FETCH: 16 } as const;

/** Permission bits of a translation: AND of RW and US over every level, OR of NX. */
export const PageFlags = { PRESENT: 1, WRITABLE: 2, USER: 4, NO_EXECUTE: 8 } as const;

export interface Translation {
  readonly ok: true;
  readonly gpa: Gpa;
  readonly pageSize: number;
  readonly flags: number;
}
export type WalkFault =
  /** A paging-structure entry is not present: #PF with the error code. */
  | { readonly ok: false; readonly fault: 'not-present' }
  /** The address is not canonical: #GP. */
  | { readonly ok: false; readonly fault: 'non-canonical' }
  /** A paging structure lies outside guest memory: an EPT violation at `gpa`. */
  | { readonly ok: false; readonly fault: 'ept'; readonly gpa: Gpa };
export type WalkResult = Translation | WalkFault;

const NOT_PRESENT: WalkFault = { ok: false, fault: 'not-present' };
const NON_CANONICAL: WalkFault = { ok: false, fault: 'non-canonical' };

export function isCanonical(address: bigint): boolean {
  const top = address >> 47n;
  return top === 0n || top === 0x1ffffn;
}

const LEVEL_SHIFTS = [39n, 30n, 21n, 12n] as const;

/** Translate `address`. With paging off (`cr3` undefined) linear equals physical. */
export function walk(memory: GuestMemory, cr3: bigint | undefined, address: Gva): WalkResult {
  if (cr3 === undefined) return { ok: true, gpa: gpa(address), pageSize: 4096, flags: PageFlags.PRESENT | PageFlags.WRITABLE | PageFlags.USER };
  if (!isCanonical(address)) return NON_CANONICAL;
  let table = cr3 & PTE_ADDRESS_MASK;
  let writable = true;
  let user = true;
  let noExecute = false;
  for (let level = 0; level < 4; level++) {
    const shift = LEVEL_SHIFTS[level]!;
    const entryAddress = table + ((address >> shift) & 0x1ffn) * 8n;
    if (!memory.contains(entryAddress, 8)) return { ok: false, fault: 'ept', gpa: gpa(entryAddress) };
    const entry = memory.read64(gpa(entryAddress));
    if ((entry & Pte.PRESENT) === 0n) return NOT_PRESENT;
    writable &&= (entry & Pte.WRITABLE) !== 0n;
    user &&= (entry & Pte.USER) !== 0n;
    noExecute ||= (entry & Pte.NO_EXECUTE) !== 0n;
    const leaf = level === 3 || ((level === 1 || level === 2) && (entry & Pte.PAGE_SIZE) !== 0n);
    if (leaf) {
      const pageSize = 1n << shift;
      const frame = entry & PTE_ADDRESS_MASK & ~(pageSize - 1n);
      return {
        ok: true,
        gpa: gpa(frame | (address & (pageSize - 1n))),
        pageSize: Number(pageSize),
        flags: PageFlags.PRESENT | (writable ? PageFlags.WRITABLE : 0) | (user ? PageFlags.USER : 0) | (noExecute ? PageFlags.NO_EXECUTE : 0),
      };
    }
    table = entry & PTE_ADDRESS_MASK;
  }
  return NOT_PRESENT;
}

export interface AccessKind {
  readonly write: boolean;
  readonly fetch: boolean;
  readonly cpl: 0 | 3;
  /** CR0.WP: supervisor writes honour read-only pages. */
  readonly writeProtect: boolean;
  /** EFER.NXE: the NX bit is honoured. */
  readonly noExecuteEnabled: boolean;
}

/** 0 when the access is allowed, else the #PF error code (SDM Vol.3A 4.6). */
export function accessFault(flags: number, access: AccessKind): number {
  const user = access.cpl === 3;
  const denied =
    (user && (flags & PageFlags.USER) === 0) ||
    (access.write && (flags & PageFlags.WRITABLE) === 0 && (user || access.writeProtect)) ||
    (access.fetch && access.noExecuteEnabled && (flags & PageFlags.NO_EXECUTE) !== 0);
  if (!denied) return 0;
  return pageFaultError(true, access);
}

export function pageFaultError(present: boolean, access: AccessKind): number {
  return (present ? PfError.PRESENT : 0) | (access.write ? PfError.WRITE : 0) | (access.cpl === 3 ? PfError.USER : 0) | (access.fetch ? PfError.FETCH : 0);
}
