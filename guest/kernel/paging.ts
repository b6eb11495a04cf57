/**
 * Page tables in guest memory (IA-32e 4-level paging): the kernel's direct map with 2 MiB pages,
 * and per-process address spaces whose user half has 4 KiB pages and whose kernel half is shared.
 */
import type { GuestCpu } from '../../vmm/hw/guest-cpu.js';
import { DIRECT_MAP, KERNEL_PML4, PAGE, kva } from './layout.js';
import type { PageAllocator } from './page-alloc.js';

export const PTE_P = 1n << 0n;
export const PTE_RW = 1n << 1n;
export const PTE_US = 1n << 2n;
export const PTE_PS = 1n << 7n;
export const PTE_G = 1n << 8n;
export const PTE_NX = 1n << 63n;
const ADDRESS = 0x000ffffffffff000n;
const GIB = 1n << 30n;
const MIB2 = 1n << 21n;

function zeroPage(cpu: GuestCpu, pa: number): void {
  cpu.writeBytes(kva(pa), new Uint8Array(PAGE));
}

/** Build the kernel's PML4 (direct map of all RAM, NX, global) at KERNEL_PML4, with paging off. */
export function buildKernelTables(cpu: GuestCpu, memoryBytes: number): void {
  const pml4 = KERNEL_PML4;
  const pdpt = pml4 + PAGE;
  zeroPage(cpu, pml4);
  zeroPage(cpu, pdpt);
  const index = Number((DIRECT_MAP >> 39n) & 0x1ffn);
  cpu.write64(kva(pml4 + index * 8), BigInt(pdpt) | PTE_P | PTE_RW);
  const gibs = Math.ceil(memoryBytes / Number(GIB));
  for (let g = 0; g < gibs; g++) {
    const pd = pdpt + PAGE * (g + 1);
    zeroPage(cpu, pd);
    cpu.write64(kva(pdpt + g * 8), BigInt(pd) | PTE_P | PTE_RW);
    for (let e = 0; e < 512; e++) {
      const pa = BigInt(g) * GIB + BigInt(e) * MIB2;
      if (pa >= BigInt(memoryBytes)) break;
      cpu.write64(kva(pd + e * 8), pa | PTE_P | PTE_RW | PTE_PS | PTE_G | PTE_NX);
    }
  }
}

/** A process address space: its PML4, the pages it owns, and mapping helpers. */
export class AddressSpace {
  readonly pml4: number;
  private readonly owned: number[] = [];

  constructor(private readonly cpu: GuestCpu, private readonly pages: PageAllocator) {
    this.pml4 = this.page();
    // The kernel half is shared: copy the kernel PML4's upper 256 entries (supervisor-only).
    for (let i = 256; i < 512; i++) cpu.write64(kva(this.pml4 + i * 8), cpu.read64(kva(KERNEL_PML4 + i * 8)));
  }

  private page(): number {
    const pa = this.pages.alloc();
    this.owned.push(pa);
    zeroPage(this.cpu, pa);
    return pa;
  }

  /** Map a fresh zeroed user page at `va` (4 KiB, user, writable unless `readOnly`, NX unless `executable`). */
  mapUserPage(va: bigint, options: { readOnly?: boolean; executable?: boolean } = {}): number {
    let table = this.pml4;
    for (const shift of [39n, 30n, 21n]) {
      const slot = kva(table + Number((va >> shift) & 0x1ffn) * 8);
      let entry = this.cpu.read64(slot);
      if ((entry & PTE_P) === 0n) {
        entry = BigInt(this.page()) | PTE_P | PTE_RW | PTE_US;
        this.cpu.write64(slot, entry);
      }
      table = Number(entry & ADDRESS);
    }
    const frame = this.page();
    const flags = PTE_P | PTE_US | (options.readOnly ? 0n : PTE_RW) | (options.executable ? 0n : PTE_NX);
    this.cpu.write64(kva(table + Number((va >> 12n) & 0x1ffn) * 8), BigInt(frame) | flags);
    return frame;
  }

  /** Give every page back (page tables included). */
  destroy(): void {
    for (const pa of this.owned.splice(0)) this.pages.release(pa);
  }
}
