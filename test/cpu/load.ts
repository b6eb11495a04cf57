/**
 * Loading a static ELF into a TestMachine as the kernel's ELF loader does for the native run: each
 * PT_LOAD segment's pages mapped with its permissions (pages shared by two segments get the union),
 * the file bytes copied, the rest left zero.
 */
import type { Elf64 } from '../../vmm/vm/elf.js';
import type { TestMachine } from '../support/test-machine.js';

const PAGE = 4096n;

export function loadElf(machine: TestMachine, elf: Elf64): void {
  const pages = new Map<bigint, { write: boolean; execute: boolean }>();
  for (const s of elf.segments) {
    for (let page = s.vaddr & ~(PAGE - 1n); page < s.vaddr + BigInt(s.memorySize); page += PAGE) {
      const had = pages.get(page);
      pages.set(page, { write: s.writable || (had?.write ?? false), execute: s.executable || (had?.execute ?? false) });
    }
  }
  const sorted = [...pages.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let n = 0; n < sorted.length; ) {
    const first = sorted[n]!;
    const options = pages.get(first)!;
    let end = n + 1;
    while (end < sorted.length) {
      const next = pages.get(sorted[end]!)!;
      if (sorted[end] !== first + BigInt(end - n) * PAGE || next.write !== options.write || next.execute !== options.execute) break;
      end++;
    }
    machine.map(first, (end - n) * Number(PAGE), options);
    n = end;
  }
  for (const s of elf.segments) if (s.fileBytes.length > 0) machine.write(s.vaddr, s.fileBytes);
}
