/**
 * A minimal ELF64 reader for tests and tools: the entry point, PT_LOAD segments, sections and
 * symbols of an executable — enough to load a static program into a TestMachine or a guest, for
 * the decoder check to walk the `.text` of real binaries, and for the TUI to name the function at RIP. Field offsets are the System V gABI's
 * (Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr, Elf64_Sym). A malformed file raises ElfError with the
 * offending offset, never a RangeError from a DataView.
 */
export class ElfError extends Error {
  override readonly name = 'ElfError';
}

export interface Segment {
  readonly vaddr: bigint;
  readonly paddr: bigint;
  /** The bytes the file holds for the segment; the rest up to memorySize is zero. */
  readonly fileBytes: Uint8Array;
  readonly memorySize: number;
  readonly writable: boolean;
  readonly executable: boolean;
}

export interface Section {
  readonly name: string;
  readonly addr: bigint;
  readonly size: number;
  readonly type: number;
  readonly flags: bigint;
  /** File contents (empty for SHT_NOBITS). */
  readonly data: Uint8Array;
}

/** An STT_FUNC symbol with its size: the code from `address` to `address + size` is its. */
export interface FunctionSymbol {
  readonly name: string;
  readonly address: bigint;
  readonly size: number;
}

export interface Elf64 {
  readonly entry: bigint;
  readonly machine: number;
  readonly type: number;
  readonly segments: readonly Segment[];
  readonly sections: readonly Section[];
  readonly symbols: ReadonlyMap<string, bigint>;
  /** Functions by address, lowest first. */
  readonly functions: readonly FunctionSymbol[];
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const STT_FUNC = 2;
export const EM_X86_64 = 62;
export const SHF_EXECINSTR = 4n;

function slice(bytes: Uint8Array, offset: number | bigint, length: number | bigint, what: string): Uint8Array {
  const start = Number(offset);
  const end = start + Number(length);
  if (!Number.isSafeInteger(end) || start < 0 || end > bytes.length) {
    throw new ElfError(`${what} at file offset ${start} (+${length}) lies outside the ${bytes.length}-byte file`);
  }
  return bytes.subarray(start, end);
}

function cString(table: Uint8Array, offset: number): string {
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  return Buffer.from(table.subarray(offset, end)).toString('latin1');
}

/** Parse an ELF64 little-endian file. Throws ElfError if it is not one or is truncated. */
export function parseElf64(bytes: Uint8Array): Elf64 {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('not an ELF file');
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError('not a 64-bit little-endian ELF file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  const entry = view.getBigUint64(24, true);
  const phoff = view.getBigUint64(32, true);
  const shoff = view.getBigUint64(40, true);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const shstrndx = view.getUint16(62, true);

  const segments: Segment[] = [];
  if (phnum > 0) {
    if (phentsize < 56) throw new ElfError(`program header entries of ${phentsize} bytes`);
    const table = slice(bytes, phoff, phnum * phentsize, 'program header table');
    const ph = new DataView(table.buffer, table.byteOffset, table.byteLength);
    for (let i = 0; i < phnum; i++) {
      const at = i * phentsize;
      if (ph.getUint32(at, true) !== PT_LOAD) continue;
      const flags = ph.getUint32(at + 4, true);
      const offset = ph.getBigUint64(at + 8, true);
      const vaddr = ph.getBigUint64(at + 16, true);
      const fileSize = ph.getBigUint64(at + 32, true);
      const memSize = ph.getBigUint64(at + 40, true);
      if (fileSize > memSize) throw new ElfError(`segment at 0x${vaddr.toString(16)}: file size exceeds memory size`);
      if (memSize > 1n << 32n) throw new ElfError(`segment at 0x${vaddr.toString(16)} is larger than 4 GiB`);
      segments.push({
        vaddr,
        paddr: ph.getBigUint64(at + 24, true),
        fileBytes: slice(bytes, offset, fileSize, `segment at 0x${vaddr.toString(16)}`),
        memorySize: Number(memSize),
        writable: (flags & 2) !== 0,
        executable: (flags & 1) !== 0,
      });
    }
  }

  const sections: Section[] = [];
  const symbols = new Map<string, bigint>();
  const functions: FunctionSymbol[] = [];
  if (shnum > 0) {
    if (shentsize < 64) throw new ElfError(`section header entries of ${shentsize} bytes`);
    const table = slice(bytes, shoff, shnum * shentsize, 'section header table');
    const sh = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const at = i * shentsize;
      const secType = sh.getUint32(at + 4, true);
      const offset = sh.getBigUint64(at + 24, true);
      const size = sh.getBigUint64(at + 32, true);
      raw.push({
        nameOffset: sh.getUint32(at, true),
        type: secType,
        flags: sh.getBigUint64(at + 8, true),
        addr: sh.getBigUint64(at + 16, true),
        size,
        link: sh.getUint32(at + 40, true),
        entsize: sh.getBigUint64(at + 56, true),
        data: secType === SHT_NOBITS ? new Uint8Array(0) : slice(bytes, offset, size, `section ${i}`),
      });
    }
    const names = raw[shstrndx]?.data ?? new Uint8Array(0);
    for (const s of raw) {
      sections.push({ name: cString(names, s.nameOffset), addr: s.addr, size: Number(s.size), type: s.type, flags: s.flags, data: s.data });
    }
    for (const s of raw) {
      if (s.type !== SHT_SYMTAB) continue;
      const strings = raw[s.link]?.data ?? new Uint8Array(0);
      const sym = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      const entsize = Number(s.entsize) || 24;
      for (let at = 0; at + 24 <= s.data.length; at += entsize) {
        const name = cString(strings, sym.getUint32(at, true));
        const value = sym.getBigUint64(at + 8, true);
        if (name !== '' && !symbols.has(name)) symbols.set(name, value);
        const size = Number(sym.getBigUint64(at + 16, true));
        if (name !== '' && (sym.getUint8(at + 4) & 0xf) === STT_FUNC && size > 0) functions.push({ name, address: value, size });
      }
    }
  }
  functions.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { entry, machine, type, segments, sections, symbols, functions };
}

/** A symbol's address, or an ElfError naming it. */
export function symbol(elf: Elf64, name: string): bigint {
  const value = elf.symbols.get(name);
  if (value === undefined) throw new ElfError(`no symbol ${name}`);
  return value;
}

export function section(elf: Elf64, name: string): Section | undefined {
  return elf.sections.find((s) => s.name === name);
}
