/**
 * The guest's mappings as its 4-level page tables give them (`info mem`, `info tlb`), walked from
 * a CR3 on the main thread without touching accessed or dirty bits. Pages are coalesced into runs
 * as they are found (a 512 GiB map of 1 GiB pages is 512 entries, not 2^27 pages), and the walk is
 * bounded: at most MAX_MAPPINGS runs and MAX_ENTRIES_VISITED entries read, whatever the guest
 * built (tables that point at each other included).
 */
import type { GuestMemory } from './hw/memory.js';
import { PHYSICAL_ADDRESS_BITS, Pte } from './hw/paging.js';
import { type PageMapping, PageMappingFlags } from './monitor-api.js';

export const MAX_MAPPINGS = 16384;
export const MAX_ENTRIES_VISITED = 1 << 22;

const TWO32 = 2 ** 32;
/** Address bits 38:32 of an entry, in its high word (MAXPHYADDR 39). */
const ADDRESS_HI = (1 << (PHYSICAL_ADDRESS_BITS - 32)) - 1;
const XD_HI = 1 << 31;
/** Bytes a level-n entry maps: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
const LEVEL_SIZE = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];

/** Runs of mapped pages from `cr3` (a table address), ascending by virtual address, canonical high half last. */
export function pageMappings(memory: GuestMemory, cr3: number): PageMapping[] {
  const runs: PageMapping[] = [];
  let visited = 0;
  // The run being built, in numbers (exact: virtual below 2^48 before sign extension, physical below 2^39).
  let start = 0;
  let physical = 0;
  let length = 0;
  let flags = 0;
  const flush = (): void => {
    if (length === 0) return;
    const signed = start >= 2 ** 47 ? start - 2 ** 48 : start;
    runs.push({ virtual: BigInt.asUintN(64, BigInt(signed)), physical: BigInt(physical), length: BigInt(length), flags });
    length = 0;
  };
  const map = (virtual: number, to: number, size: number, pageFlags: number): void => {
    // Never across the canonical hole: 2^47 is where the high half starts.
    if (length !== 0 && virtual === start + length && virtual !== 2 ** 47 && to === physical + length && pageFlags === flags) {
      length += size;
      return;
    }
    flush();
    start = virtual;
    physical = to;
    length = size;
    flags = pageFlags;
  };
  const walk = (table: number, level: number, base: number, inherited: number): void => {
    for (let index = 0; index < 512; index++) {
      if (runs.length >= MAX_MAPPINGS || ++visited > MAX_ENTRIES_VISITED) return;
      const at = table + index * 8;
      if (!memory.contains(at, 8)) return;
      const lo = memory.view.getUint32(at, true);
      if ((lo & Pte.P) === 0) continue;
      const hi = memory.view.getUint32(at + 4, true);
      const next = (hi & ADDRESS_HI) * TWO32 + (lo & 0xfffff000);
      const entryFlags = (inherited & ~(PageMappingFlags.WRITABLE | PageMappingFlags.USER)) |
        (inherited & (lo & Pte.RW ? PageMappingFlags.WRITABLE : 0)) | (inherited & (lo & Pte.US ? PageMappingFlags.USER : 0)) |
        (hi & XD_HI ? PageMappingFlags.NO_EXECUTE : 0);
      const virtual = base + index * LEVEL_SIZE[level]!;
      const leaf = level === 1 || ((level === 2 || level === 3) && (lo & Pte.PS) !== 0);
      if (!leaf) walk(next, level - 1, virtual, entryFlags);
      // A large page's address bits below its size are reserved (or PAT): the frame is aligned.
      else map(virtual, next - (next % LEVEL_SIZE[level]!), LEVEL_SIZE[level]!, entryFlags);
    }
  };
  walk(cr3 - (cr3 % 4096), 4, 0, PageMappingFlags.PRESENT | PageMappingFlags.WRITABLE | PageMappingFlags.USER);
  flush();
  return runs;
}
