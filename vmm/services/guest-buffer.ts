/**
 * Guest buffers named by a VMCALL: a guest-virtual range translated through the caller's CR3
 * (or a guest-physical one), checked page by page before anything is read or written — present,
 * user-accessible when the caller runs at CPL 3, writable (and not EPT write-protected) for the
 * response — so a bad buffer is refused whole and the VMM never writes outside it.
 */
import { Status } from '../../shell-protocol/constants.js';
import { type Gpa, gva, hex } from '../hw/address.js';
import { EptPerm, type GuestMemory } from '../hw/memory.js';
import { PageFlags, walk } from '../hw/mmu.js';
import type { Vmcs } from '../hw/vmcs.js';

export interface Piece {
  readonly gpa: Gpa;
  readonly length: number;
}
export type Resolved = { readonly ok: true; readonly pieces: readonly Piece[] } | { readonly ok: false; readonly status: number; readonly reason: string };

export function resolveBuffer(vmcs: Vmcs, address: bigint, length: number, physical: boolean, write: boolean): Resolved {
  const memory = vmcs.memory;
  if (address + BigInt(length) > 1n << 64n) return { ok: false, status: Status.EFAULT, reason: `${hex(address)}+${length} wraps past 2^64` };
  const pieces: Piece[] = [];
  const cr3 = physical || !vmcs.paging ? undefined : vmcs.guestCr3;
  let offset = 0;
  while (offset < length) {
    const at = address + BigInt(offset);
    const result = walk(memory, cr3, gva(at));
    if (!result.ok) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} is not mapped` };
    // One check per page of the translation (a 2 MiB page is one walk); with paging off, one for all.
    const size = cr3 === undefined ? length - offset : Math.min(length - offset, result.pageSize - Number(at & BigInt(result.pageSize - 1)));
    if (vmcs.guestCpl === 3 && (result.flags & PageFlags.USER) === 0) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} is not user-accessible` };
    if (write && (result.flags & PageFlags.WRITABLE) === 0) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} is read-only` };
    if (!memory.contains(result.gpa, size)) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} maps to ${hex(result.gpa)}, outside guest memory` };
    const denied = write ? memory.firstPageWithout(result.gpa, size, EptPerm.WRITE) : undefined;
    if (denied !== undefined) return { ok: false, status: Status.EFAULT, reason: `${hex(denied)} is write-protected` };
    const last = pieces[pieces.length - 1];
    if (last && last.gpa + BigInt(last.length) === result.gpa) pieces[pieces.length - 1] = { gpa: last.gpa, length: last.length + size };
    else pieces.push({ gpa: result.gpa, length: size });
    offset += size;
  }
  return { ok: true, pieces };
}

export function copyIn(memory: GuestMemory, pieces: readonly Piece[], out: Uint8Array): void {
  let at = 0;
  for (const piece of pieces) {
    memory.readBytes(piece.gpa, out.subarray(at, at + piece.length));
    at += piece.length;
  }
}

export function copyOut(memory: GuestMemory, pieces: readonly Piece[], bytes: Uint8Array): void {
  let at = 0;
  for (const piece of pieces) {
    if (at >= bytes.length) return;
    const n = Math.min(piece.length, bytes.length - at);
    memory.writeBytes(piece.gpa, bytes.subarray(at, at + n));
    at += n;
  }
}

/** Whether two guest ranges of the same address space overlap. */
export function overlaps(a: bigint, aLength: number, b: bigint, bLength: number): boolean {
  return a < b + BigInt(bLength) && b < a + BigInt(aLength);
}

