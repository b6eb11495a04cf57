/**
 * The VMM's look at the guest's page tables (for VMCALL buffers and TRANSLATE): the CPU's own
 * 4-level walk (hw/paging.ts) as an inspection that leaves accessed and dirty bits alone, with
 * bigint addresses and the permission flags of the translation.
 */
import { type Gpa, type Gva, gpa } from './address.js';
import type { GuestMemory } from './memory.js';
import { Access, WalkResult, WalkStatus, isCanonical as isCanonicalNumber, walk as walkNumber } from './paging.js';

/** Permission bits of a translation: AND of RW and US over every level, OR of NX. */
export const PageFlags = { PRESENT: 1, WRITABLE: 2, USER: 4, NO_EXECUTE: 8 } as const;

export interface Translation {
  readonly ok: true;
  readonly gpa: Gpa;
  readonly pageSize: number;
  readonly flags: number;
}
export type WalkFault =
  /** A paging-structure entry is not present, or has reserved bits set. */
  | { readonly ok: false; readonly fault: 'not-present' }
  /** The address is not canonical. */
  | { readonly ok: false; readonly fault: 'non-canonical' }
  /** A paging structure lies outside guest memory. */
  | { readonly ok: false; readonly fault: 'ept'; readonly gpa: Gpa };
export type WalkOutcome = Translation | WalkFault;

export function isCanonical(address: bigint): boolean {
  return isCanonicalNumber(Number(BigInt.asIntN(64, address)));
}

const scratch = new WalkResult();

/** Translate `address`; with paging off (`cr3` undefined) linear equals physical. */
export function walk(memory: GuestMemory, cr3: bigint | number | undefined, address: Gva): WalkOutcome {
  if (cr3 === undefined) return { ok: true, gpa: gpa(address), pageSize: 4096, flags: PageFlags.PRESENT | PageFlags.WRITABLE | PageFlags.USER };
  if (!isCanonical(address)) return { ok: false, fault: 'non-canonical' };
  const r = walkNumber(memory, Number(BigInt.asIntN(64, address)), {
    cr3: Number(cr3), write: false, fetch: false, user: false, writeProtect: false, noExecute: true, inspect: true,
  }, scratch);
  if (r.status === WalkStatus.EPT_VIOLATION) return { ok: false, fault: 'ept', gpa: gpa(r.physical) };
  if (r.status !== WalkStatus.OK) return { ok: false, fault: 'not-present' };
  return {
    ok: true,
    gpa: gpa(r.physical),
    pageSize: r.pageSize,
    flags: PageFlags.PRESENT | ((r.access & Access.W) !== 0 ? PageFlags.WRITABLE : 0) | ((r.access & Access.U) !== 0 ? PageFlags.USER : 0) |
      ((r.access & Access.NX) !== 0 ? PageFlags.NO_EXECUTE : 0),
  };
}
