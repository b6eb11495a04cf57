/**
 * Guest buffers named by a VMCALL: a guest-virtual range translated through the caller's CR3
 * (or a guest-physical one), checked page by page before anything is read or written — present,
 * user-accessible when the caller runs at CPL 3, writable (and not EPT write-protected) for the
 * response — so a bad buffer is refused whole and the VMM never writes outside it.
 */
import { Status } from '../../shell-protocol/constants.js';
import { type Gpa, gpa as toGpa, gva, hex } from '../hw/address.js';
import { EptPerm, type GuestMemory } from '../hw/memory.js';
import { PageFlags, walk } from '../hw/mmu.js';
import type { AddressSpace } from './caller.js';

export interface Piece {
  readonly gpa: Gpa;
  readonly length: number;
}
export type Resolved = { readonly ok: true; readonly pieces: readonly Piece[] } | { readonly ok: false; readonly status: number; readonly reason: string };

const U64_END = 1n << 64n;

export function resolveBuffer(space: AddressSpace, address: bigint, length: number, physical: boolean, write: boolean): Resolved {
  const memory = space.memory;
  if (address + BigInt(length) > U64_END) return { ok: false, status: Status.EFAULT, reason: `${hex(address)}+${length} wraps past 2^64` };
  const pieces: Piece[] = [];
  const cr3 = physical ? undefined : space.cr3;
  let offset = 0;
  while (offset < length) {
    const at = address + BigInt(offset);
    const result = walk(memory, cr3, gva(at));
    if (!result.ok) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} is not mapped` };
    // One check per page of the translation (a 2 MiB page is one walk); with paging off, one for all.
    const size = cr3 === undefined ? length - offset : Math.min(length - offset, result.pageSize - Number(at & BigInt(result.pageSize - 1)));
    if (space.cpl === 3 && (result.flags & PageFlags.USER) === 0) return { ok: false, status: Status.EFAULT, reason: `${hex(at)} is not user-accessible` };
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

/**
 * Copy guest-virtual bytes from `address` into `out` as far as they are readable to the space's
 * CPL (mapped, user-accessible at CPL 3, inside guest memory); returns how many were read. For
 * ops that read guest memory on the guest's behalf (DIS, BT), where a short read is an answer.
 */
export function readVirtual(space: AddressSpace, address: bigint, out: Uint8Array): number {
  let done = 0;
  while (done < out.length) {
    const at = address + BigInt(done);
    if (at >= U64_END) break;
    const result = walk(space.memory, space.cr3, gva(at));
    if (!result.ok || (space.cpl === 3 && (result.flags & PageFlags.USER) === 0)) break;
    // At most to the end of this 4 KiB page: with paging off, each page is checked against memory.
    const size = Math.min(out.length - done, 4096 - Number(at & 0xfffn));
    if (!space.memory.contains(result.gpa, size)) break;
    space.memory.readBytes(result.gpa, out.subarray(done, done + size));
    done += size;
  }
  return done;
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

/** The pieces that hold the first `length` bytes of a buffer. */
export function prefix(pieces: readonly Piece[], length: number): Piece[] {
  const out: Piece[] = [];
  let left = length;
  for (const piece of pieces) {
    if (left === 0) break;
    const n = Math.min(piece.length, left);
    out.push({ gpa: toGpa(piece.gpa), length: n });
    left -= n;
  }
  return out;
}

/** Whether two guest ranges of the same address space overlap. */
export function overlaps(a: bigint, aLength: number, b: bigint, bLength: number): boolean {
  return a < b + BigInt(bLength) && b < a + BigInt(aLength);
}

/** Whether two buffers overlap in guest-physical memory (aliasing virtual ranges may). */
export function overlapPhysically(a: readonly Piece[], b: readonly Piece[]): boolean {
  return a.some((x) => b.some((y) => overlaps(x.gpa, x.length, y.gpa, y.length)));
}
