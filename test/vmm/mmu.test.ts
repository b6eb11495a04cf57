import { describe, expect, it } from 'vitest';
import { gpa, gva } from '../../vmm/hw/address.js';
import { GuestMemory } from '../../vmm/hw/memory.js';
import { PageFlags, PfError, Pte, accessFault, walk } from '../../vmm/hw/mmu.js';

const P = Pte.PRESENT, W = Pte.WRITABLE, U = Pte.USER, PS = Pte.PAGE_SIZE, NX = Pte.NO_EXECUTE;

/** Page tables at fixed physical pages: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
function tables(leafFlags: bigint, upper = P | W | U) {
  const memory = GuestMemory.create(8 << 20);
  memory.write64(gpa(0x1000), 0x2000n | upper);
  memory.write64(gpa(0x2000), 0x3000n | upper);
  memory.write64(gpa(0x3000), 0x4000n | upper);
  memory.write64(gpa(0x4000 + 8), 0x5000n | leafFlags); // va 0x1000 -> pa 0x5000
  return memory;
}

const user = { write: false, fetch: false, cpl: 3 as const, writeProtect: true, noExecuteEnabled: true };

describe('the 4-level page walk', () => {
  it('translates a 4 KiB page and keeps the offset', () => {
    const result = walk(tables(P | W | U), 0x1000n, gva(0x1234));
    expect(result).toEqual({ ok: true, gpa: 0x5234n, pageSize: 4096, flags: PageFlags.PRESENT | PageFlags.WRITABLE | PageFlags.USER });
  });

  it('translates 2 MiB and 1 GiB pages', () => {
    const memory = GuestMemory.create(8 << 20);
    memory.write64(gpa(0x1000), 0x2000n | P | W);
    memory.write64(gpa(0x2000), 0x3000n | P | W); // PDPT[0] -> PD
    memory.write64(gpa(0x2000 + 8), (1n << 30n) | P | W | PS); // PDPT[1]: 1 GiB page at 1 GiB
    memory.write64(gpa(0x3000 + 8), 0x600000n | P | PS); // PD[1]: 2 MiB page at 6 MiB, read-only
    expect(walk(memory, 0x1000n, gva(0x2abcde))).toMatchObject({ ok: true, gpa: 0x6abcden, pageSize: 2 << 20, flags: PageFlags.PRESENT });
    expect(walk(memory, 0x1000n, gva((1n << 30n) + 0x12345n))).toMatchObject({ ok: true, gpa: (1n << 30n) + 0x12345n, pageSize: 1 << 30 });
  });

  it('reports a missing entry at any level as not present', () => {
    expect(walk(tables(0n), 0x1000n, gva(0x1000))).toEqual({ ok: false, fault: 'not-present' });
    expect(walk(tables(P), 0x1000n, gva(0x400000))).toEqual({ ok: false, fault: 'not-present' });
    expect(walk(tables(P), 0x1000n, gva(1n << 39n))).toEqual({ ok: false, fault: 'not-present' });
  });

  it('refuses non-canonical addresses', () => {
    expect(walk(tables(P), 0x1000n, gva(0x0000800000000000n))).toEqual({ ok: false, fault: 'non-canonical' });
  });

  it('turns a paging structure outside guest memory into an EPT violation', () => {
    const memory = GuestMemory.create(4 << 20);
    memory.write64(gpa(0x1000), 0x40000000n | P);
    expect(walk(memory, 0x1000n, gva(0))).toMatchObject({ ok: false, fault: 'ept' });
  });

  it('is the identity with paging off', () => {
    expect(walk(tables(P), undefined, gva(0x7654))).toMatchObject({ ok: true, gpa: 0x7654n });
  });

  it('ANDs writable and user over the levels and ORs NX', () => {
    expect(walk(tables(P | W | U, P | U), 0x1000n, gva(0x1000))).toMatchObject({ flags: PageFlags.PRESENT | PageFlags.USER });
    expect(walk(tables(P | W | U | NX), 0x1000n, gva(0x1000))).toMatchObject({ flags: PageFlags.PRESENT | PageFlags.WRITABLE | PageFlags.USER | PageFlags.NO_EXECUTE });
  });
});

describe('page permissions', () => {
  const flags = (f: number) => f | PageFlags.PRESENT;
  it('deny user access to supervisor pages with the SDM error code', () => {
    expect(accessFault(flags(PageFlags.WRITABLE), user)).toBe(PfError.PRESENT | PfError.USER);
  });
  it('deny writes to read-only pages from user mode, and from the kernel only with CR0.WP', () => {
    expect(accessFault(flags(PageFlags.USER), { ...user, write: true })).toBe(PfError.PRESENT | PfError.WRITE | PfError.USER);
    expect(accessFault(flags(0), { ...user, cpl: 0, write: true })).toBe(PfError.PRESENT | PfError.WRITE);
    expect(accessFault(flags(0), { ...user, cpl: 0, write: true, writeProtect: false })).toBe(0);
  });
  it('deny fetches from NX pages only when EFER.NXE is set', () => {
    expect(accessFault(flags(PageFlags.USER | PageFlags.NO_EXECUTE), { ...user, fetch: true })).toBe(PfError.PRESENT | PfError.USER | PfError.FETCH);
    expect(accessFault(flags(PageFlags.USER | PageFlags.NO_EXECUTE), { ...user, fetch: true, noExecuteEnabled: false })).toBe(0);
  });
});
