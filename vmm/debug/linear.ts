/**
 * A debugger's look at guest-virtual memory: linear addresses through a stopped vCPU's page tables
 * (the VMM's read-only walk, hw/mmu.ts, which leaves accessed and dirty bits alone) into
 * guest-physical memory. Permissions are not checked — a debugger reads kernel pages and writes
 * breakpoints into read-only text — and neither are EPT permissions, which the debugger's own
 * watchpoints change. An unmapped page ends the access: it is an error, never a guest fault.
 */
import { PAGE_SIZE, gva } from '../hw/address.js';
import type { GuestMemory } from '../hw/memory.js';
import { walk } from '../hw/mmu.js';

const U64 = 1n << 64n;

/** What a debugger needs of a vCPU to translate: its CR3, or undefined with paging off. */
export interface AddressSpace {
  readonly memory: GuestMemory;
  readonly cr3: number | undefined;
}

/** The guest-physical address of linear `address` (mod 2^64), or undefined when it is unmapped or outside RAM. */
export function translateLinear(space: AddressSpace, address: bigint): number | undefined {
  const t = walk(space.memory, space.cr3, gva(BigInt.asUintN(64, address)));
  if (!t.ok) return undefined;
  const physical = Number(t.gpa);
  return space.memory.contains(physical, 1) ? physical : undefined;
}

/** A piece of a linear range that lies in one page: where it is in RAM and in the range. */
export interface PhysicalPiece {
  readonly physical: number;
  readonly offset: number;
  readonly length: number;
}

/** The pieces of [address, address + length) up to the first byte that cannot be translated. */
export function physicalPieces(space: AddressSpace, address: bigint, length: number): PhysicalPiece[] {
  const pieces: PhysicalPiece[] = [];
  let offset = 0;
  while (offset < length) {
    const at = (address + BigInt(offset)) % U64;
    const physical = translateLinear(space, at);
    const n = Math.min(length - offset, PAGE_SIZE - Number(at % BigInt(PAGE_SIZE)));
    if (physical === undefined || !space.memory.contains(physical, n)) break;
    pieces.push({ physical, offset, length: n });
    offset += n;
  }
  return pieces;
}
