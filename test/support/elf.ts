/**
 * A minimal ELF64 reader for tests and tools: the entry point, PT_LOAD segments and symbols of a
 * static executable, enough to load it into a TestMachine or a guest.
 */
export interface Segment {
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly fileBytes: Uint8Array;
  readonly memorySize: number;
  readonly writable: boolean;
  readonly executable: boolean;
}

export interface Elf64 {
  readonly entry: bigint;
  readonly segments: readonly Segment[];
  readonly symbols: ReadonlyMap<string, bigint>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;

export function parseElf64(file: Uint8Array): Elf64 {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46 || file[4] !== 2) throw new Error('not an ELF64 file');
  const entry = dv.getBigUint64(24, true);
  const phoff = Number(dv.getBigUint64(32, true));
  const shoff = Number(dv.getBigUint64(40, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  const segments: Segment[] = [];
  for (let n = 0; n < phnum; n++) {
    const at = phoff + n * phentsize;
    if (dv.getUint32(at, true) !== PT_LOAD) continue;
    const flags = dv.getUint32(at + 4, true);
    const offset = Number(dv.getBigUint64(at + 8, true));
    const fileSize = Number(dv.getBigUint64(at + 32, true));
    segments.push({
      vaddr: dv.getBigUint64(at + 16, true),
      paddr: dv.getBigUint64(at + 24, true),
      fileBytes: file.subarray(offset, offset + fileSize),
      memorySize: Number(dv.getBigUint64(at + 40, true)),
      writable: (flags & 2) !== 0,
      executable: (flags & 1) !== 0,
    });
  }
  const symbols = new Map<string, bigint>();
  for (let n = 0; n < shnum; n++) {
    const at = shoff + n * shentsize;
    if (dv.getUint32(at + 4, true) !== SHT_SYMTAB) continue;
    const offset = Number(dv.getBigUint64(at + 24, true));
    const size = Number(dv.getBigUint64(at + 32, true));
    const link = dv.getUint32(at + 40, true);
    const strAt = Number(dv.getBigUint64(shoff + link * shentsize + 24, true));
    for (let s = offset; s < offset + size; s += 24) {
      const nameAt = strAt + dv.getUint32(s, true);
      let end = nameAt;
      while (file[end] !== 0) end++;
      const name = new TextDecoder().decode(file.subarray(nameAt, end));
      if (name) symbols.set(name, dv.getBigUint64(s + 8, true));
    }
  }
  return { entry, segments, symbols };
}
