/**
 * Names for guest code addresses, from the kernel's ELF symbols (`kernel.elf` beside the image,
 * or the image itself when it keeps them), so the code pane says where RIP is as gdb does.
 */
import { readFileSync } from 'node:fs';
import { type FunctionSymbol, parseElf64 } from '../vmm/vm/elf.js';

export interface Symbolizer {
  /** `function+offset` (decimal, as gdb writes it), or undefined outside every known function. */
  name(address: bigint): string | undefined;
}

export function symbolizer(functions: readonly FunctionSymbol[]): Symbolizer {
  return {
    name(address) {
      // The last function starting at or below the address (functions are sorted by address).
      let low = 0;
      let high = functions.length - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if (functions[mid]!.address <= address) low = mid + 1;
        else high = mid - 1;
      }
      const f = functions[high];
      if (f === undefined || address >= f.address + BigInt(f.size)) return undefined;
      const offset = address - f.address;
      return offset === 0n ? f.name : `${f.name}+${offset}`;
    },
  };
}

/** The symbols of the kernel booted from `kernel`, or undefined when neither it nor `kernel.elf` has any. */
export function kernelSymbols(kernel: string): Symbolizer | undefined {
  for (const path of [`${kernel}.elf`, kernel]) {
    try {
      const { functions } = parseElf64(readFileSync(path));
      if (functions.length > 0) return symbolizer(functions);
    } catch {
      // Not there, or not an ELF64 with symbols: try the next, else go without names.
    }
  }
  return undefined;
}
