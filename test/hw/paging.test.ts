/**
 * The 4-level page walk (SDM Vol.3A 4.5-4.8): translations of 4 KiB, 2 MiB and 1 GiB pages,
 * permission checks with their #PF error codes, reserved bits, accessed and dirty bits.
 */
import { describe, expect, it } from 'vitest';
import { gpa } from '../../vmm/hw/address.js';
import { GuestMemory } from '../../vmm/hw/memory.js';
import { Access, PfError, Pte, WalkResult, WalkStatus, walk } from '../../vmm/hw/paging.js';

const P = BigInt(Pte.P), W = BigInt(Pte.RW), U = BigInt(Pte.US), PS = BigInt(Pte.PS), NX = 1n << 63n;

/** Page tables at fixed physical pages: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000; va 0x1000 -> pa 0x5000. */
function tables(leaf: bigint, upper = P | W | U): GuestMemory {
  const memory = GuestMemory.create(8 << 20);
  memory.write64(gpa(0x1000), 0x2000n | upper);
  memory.write64(gpa(0x2000), 0x3000n | upper);
  memory.write64(gpa(0x3000), 0x4000n | upper);
  memory.write64(gpa(0x4000 + 8), 0x5000n | leaf);
  return memory;
}

const request = { cr3: 0x1000, write: false, fetch: false, user: true, writeProtect: true, noExecute: true, inspect: false };

function translate(memory: GuestMemory, va: number, options: Partial<typeof request> = {}): WalkResult {
  return walk(memory, va, { ...request, ...options }, new WalkResult());
}

describe('the 4-level page walk', () => {
  it('translates a 4 KiB page and keeps the offset', () => {
    const r = translate(tables(P | W | U), 0x1234);
    expect(r).toMatchObject({ status: WalkStatus.OK, physical: 0x5234, pageSize: 4096 });
    expect(r.access & (Access.W | Access.U | Access.NX)).toBe(Access.W | Access.U);
  });

  it('translates 2 MiB and 1 GiB pages', () => {
    const memory = GuestMemory.create(8 << 20);
    memory.write64(gpa(0x1000), 0x2000n | P | W);
    memory.write64(gpa(0x2000), 0x3000n | P | W);
    memory.write64(gpa(0x2000 + 8), (1n << 30n) | P | W | PS); // PDPT[1]: 1 GiB page at 1 GiB
    memory.write64(gpa(0x3000 + 8), 0x600000n | P | W | PS); // PD[1]: 2 MiB page at 6 MiB
    expect(translate(memory, 0x212345, { user: false })).toMatchObject({ status: WalkStatus.OK, physical: 0x612345, pageSize: 2 ** 21 });
    expect(translate(memory, 2 ** 30 + 0x123456, { user: false })).toMatchObject({ status: WalkStatus.OK, physical: 2 ** 30 + 0x123456, pageSize: 2 ** 30 });
  });

  it('refuses with the #PF error codes of SDM 4.7', () => {
    expect(translate(tables(0n), 0x1000)).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.U });
    expect(translate(tables(P | W), 0x1000)).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.U });
    expect(translate(tables(P | U), 0x1000, { write: true })).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.W | PfError.U });
    expect(translate(tables(P | U | NX), 0x1000, { fetch: true })).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.U | PfError.I });
    // Reserved bits: an address bit above MAXPHYADDR (39), or XD with EFER.NXE clear.
    expect(translate(tables(P | U | (1n << 45n)), 0x1000)).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.U | PfError.RSVD });
    expect(translate(tables(P | U | NX), 0x1000, { noExecute: false })).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.U | PfError.RSVD });
  });

  it('lets the supervisor write a read-only page only with CR0.WP clear', () => {
    expect(translate(tables(P | U), 0x1000, { user: false, write: true, writeProtect: false }).status).toBe(WalkStatus.OK);
    expect(translate(tables(P | U), 0x1000, { user: false, write: true })).toMatchObject({ status: WalkStatus.PAGE_FAULT, errorCode: PfError.P | PfError.W });
  });

  it('sets accessed bits on the way and the dirty bit on a write, and leaves them alone when only inspecting', () => {
    const memory = tables(P | W | U);
    translate(memory, 0x1000, { inspect: true });
    expect(memory.read64(gpa(0x4008)) & BigInt(Pte.A)).toBe(0n);
    translate(memory, 0x1000);
    expect(memory.read64(gpa(0x1000)) & BigInt(Pte.A)).toBe(BigInt(Pte.A));
    expect(memory.read64(gpa(0x4008)) & BigInt(Pte.A | Pte.D)).toBe(BigInt(Pte.A));
    translate(memory, 0x1000, { write: true });
    expect(memory.read64(gpa(0x4008)) & BigInt(Pte.D)).toBe(BigInt(Pte.D));
  });

  it('reports paging structures outside RAM as an EPT violation, not a page fault', () => {
    const memory = tables(P | W | U);
    memory.write64(gpa(0x3000), 0x7fff0000n | P | W | U);
    expect(translate(memory, 0x1000)).toMatchObject({ status: WalkStatus.EPT_VIOLATION, physical: 0x7fff0008 });
  });
});
