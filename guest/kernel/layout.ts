/**
 * Where the guest kernel keeps things in guest-physical and virtual memory, and the one helper that
 * turns a physical address into one the kernel can use (the direct map once paging is on).
 */
import { type Gva, gva } from '../../vmm/hw/address.js';

export const BOOT_PARAMS = 0x1000;
/** "YBP1": boot parameters written by the VMM. */
export const BOOT_PARAMS_MAGIC = 0x31504259;
/** A bit per vCPU that has come online: each AP sets its own, the BSP waits for them (cpu_online_mask). */
export const CPU_ONLINE_MASK = 0x2000;
/** Kernel page tables: PML4, PDPT and up to four PDs for the direct map. */
export const KERNEL_PML4 = 0x10000;
/** Physical memory below this is the kernel's; the page allocator hands out what lies above. */
export const KERNEL_END = 0x400000;
/** Linux's direct map of all physical memory (x86-64 `page_offset_base`). */
export const DIRECT_MAP = 0xffff888000000000n;
/** User address space layout. */
export const USER_TEXT = 0x400000n;
export const USER_HEAP = 0x600000n;
export const USER_STACK_TOP = 0x7ffffffff000n;
export const USER_STACK_PAGES = 16;
export const PAGE = 4096;

let pagingOn = false;

export function setPagingOn(): void {
  pagingOn = true;
}

/** The kernel's address for physical `pa`: itself before paging, the direct map after. */
export function kva(pa: number | bigint): Gva {
  return gva(pagingOn ? DIRECT_MAP + BigInt(pa) : BigInt(pa));
}
