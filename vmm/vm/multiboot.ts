/**
 * A Multiboot 1 loader (Multiboot Specification 0.6.96), as GRUB or QEMU's -kernel is one: the
 * kernel's segments into guest-physical memory, the boot module (the initramfs) page aligned above
 * it, and the Multiboot information structure with the memory map, command line and module list.
 * What the BSP holds at the entry point is in vmm/platform.md section 3.
 */
import type { GuestMemory } from '../hw/memory.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const HEADER_SEARCH = 8192;
const HeaderFlag = { PAGE_ALIGN: 1 << 0, MEMORY_INFO: 1 << 1, VIDEO_MODE: 1 << 2, ADDRESSES: 1 << 16 } as const;
/** Multiboot information flags this loader fills in. */
const InfoFlag = { MEMORY: 1 << 0, CMDLINE: 1 << 2, MODS: 1 << 3, MMAP: 1 << 6, LOADER_NAME: 1 << 9 } as const;
const INFO_SIZE = 120;
const MMAP_ENTRY_SIZE = 24;
const MODULE_ENTRY_SIZE = 16;
const LOW_MEMORY_END = 0x9fc00;
const HIGH_MEMORY_START = 0x100000;
const PT_LOAD = 1;
export const BOOT_LOADER_NAME = 'ymir-dbg';

export class MultibootError extends Error {
  override readonly name = 'MultibootError';
}

export interface BootImage {
  readonly kernel: Uint8Array;
  readonly modules: readonly { readonly bytes: Uint8Array; readonly name: string }[];
  readonly commandLine: string;
}

/** What the BSP starts with: the 32-bit entry point and EBX. */
export interface BootInfo {
  readonly entry: number;
  readonly info: number;
}

interface Load {
  readonly physical: number;
  readonly bytes: Uint8Array;
  readonly memorySize: number;
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

function findHeader(kernel: Uint8Array): number {
  for (let at = 0; at + 12 <= Math.min(kernel.length, HEADER_SEARCH); at += 4) {
    if (u32(kernel, at) !== MULTIBOOT_HEADER_MAGIC) continue;
    if (((u32(kernel, at) + u32(kernel, at + 4) + u32(kernel, at + 8)) >>> 0) === 0) return at;
  }
  throw new MultibootError('no Multiboot 1 header (magic 0x1BADB002 with a valid checksum) in the first 8 KiB of the kernel');
}

/** PT_LOAD segments of an ELF32 or ELF64 file, at their physical addresses. */
function elfSegments(file: Uint8Array): { loads: Load[]; entry: number } {
  if (u32(file, 0) !== 0x464c457f) throw new MultibootError('the kernel is not an ELF file and its Multiboot header has no address fields');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const is64 = file[4] === 2;
  const entry = is64 ? Number(dv.getBigUint64(24, true)) : dv.getUint32(24, true);
  const phoff = is64 ? Number(dv.getBigUint64(32, true)) : dv.getUint32(28, true);
  const phentsize = dv.getUint16(is64 ? 54 : 42, true);
  const phnum = dv.getUint16(is64 ? 56 : 44, true);
  const loads: Load[] = [];
  for (let n = 0; n < phnum; n++) {
    const at = phoff + n * phentsize;
    if (at + phentsize > file.length) throw new MultibootError('the kernel\'s program headers run past the end of the file');
    if (dv.getUint32(at, true) !== PT_LOAD) continue;
    const offset = is64 ? Number(dv.getBigUint64(at + 8, true)) : dv.getUint32(at + 4, true);
    const physical = is64 ? Number(dv.getBigUint64(at + 24, true)) : dv.getUint32(at + 12, true);
    const fileSize = is64 ? Number(dv.getBigUint64(at + 32, true)) : dv.getUint32(at + 16, true);
    const memorySize = is64 ? Number(dv.getBigUint64(at + 40, true)) : dv.getUint32(at + 20, true);
    if (offset + fileSize > file.length) throw new MultibootError(`segment ${n} runs past the end of the kernel file`);
    loads.push({ physical, bytes: file.subarray(offset, offset + fileSize), memorySize });
  }
  if (loads.length === 0) throw new MultibootError('the kernel has no loadable segments');
  return { loads, entry };
}

/** Segments from the header's address fields (Multiboot 3.1.3, flag 16). */
function addressedSegments(kernel: Uint8Array, header: number): { loads: Load[]; entry: number } {
  const headerAddress = u32(kernel, header + 12);
  const loadAddress = u32(kernel, header + 16);
  const loadEnd = u32(kernel, header + 20);
  const bssEnd = u32(kernel, header + 24);
  const entry = u32(kernel, header + 28);
  const fileStart = header - (headerAddress - loadAddress);
  const length = loadEnd === 0 ? kernel.length - fileStart : loadEnd - loadAddress;
  if (fileStart < 0 || fileStart + length > kernel.length) throw new MultibootError('the Multiboot header\'s address fields point outside the kernel file');
  return { loads: [{ physical: loadAddress, bytes: kernel.subarray(fileStart, fileStart + length), memorySize: bssEnd === 0 ? length : bssEnd - loadAddress }], entry };
}

const pageUp = (n: number): number => Math.ceil(n / 4096) * 4096;

export function loadMultiboot(memory: GuestMemory, image: BootImage): BootInfo {
  const header = findHeader(image.kernel);
  const flags = u32(image.kernel, header + 4);
  if ((flags & HeaderFlag.VIDEO_MODE) !== 0) throw new MultibootError('the kernel asks for a video mode: this machine has a serial console only');
  const { loads, entry } = (flags & HeaderFlag.ADDRESSES) !== 0 ? addressedSegments(image.kernel, header) : elfSegments(image.kernel);
  if (entry >= 2 ** 32) throw new MultibootError(`the entry point 0x${entry.toString(16)} is not a 32-bit physical address`);
  let end = 0;
  for (const load of loads) {
    if (load.physical < HIGH_MEMORY_START && load.physical + load.memorySize > LOW_MEMORY_END) {
      throw new MultibootError(`segment at 0x${load.physical.toString(16)} overlaps the reserved range 0x9fc00-0x100000`);
    }
    if (load.physical + load.memorySize > memory.size) {
      throw new MultibootError(`the kernel needs memory up to 0x${(load.physical + load.memorySize).toString(16)}; the VM has ${memory.size / 2 ** 20} MiB`);
    }
    memory.bytes.fill(0, load.physical, load.physical + load.memorySize);
    memory.bytes.set(load.bytes, load.physical);
    memory.noteWrite(load.physical, Math.max(1, load.memorySize));
    end = Math.max(end, load.physical + load.memorySize);
  }

  // The information structure and its strings and tables, then the modules, page aligned.
  const encoder = new TextEncoder();
  const info = pageUp(end);
  const cmdline = info + INFO_SIZE;
  const cmdlineBytes = encoder.encode(`${image.commandLine}\0`);
  const loaderName = cmdline + cmdlineBytes.length;
  const loaderNameBytes = encoder.encode(`${BOOT_LOADER_NAME}\0`);
  const mmap = Math.ceil((loaderName + loaderNameBytes.length) / 8) * 8;
  const ranges: [number, number, number][] = [[0, LOW_MEMORY_END, 1], [LOW_MEMORY_END, HIGH_MEMORY_START - LOW_MEMORY_END, 2], [HIGH_MEMORY_START, memory.size - HIGH_MEMORY_START, 1]];
  const modList = mmap + ranges.length * MMAP_ENTRY_SIZE;
  let strings = modList + image.modules.length * MODULE_ENTRY_SIZE;
  const nameAddresses = image.modules.map((m) => {
    const at = strings;
    strings += encoder.encode(`${m.name}\0`).length;
    return at;
  });
  let moduleAt = pageUp(strings);
  const placed = image.modules.map((m) => {
    const at = moduleAt;
    moduleAt = pageUp(at + m.bytes.length);
    return at;
  });
  if (moduleAt > memory.size) throw new MultibootError(`the kernel and its modules need ${Math.ceil(moduleAt / 2 ** 20)} MiB; the VM has ${memory.size / 2 ** 20} MiB`);

  const dv = memory.view;
  memory.bytes.fill(0, info, strings);
  dv.setUint32(info, InfoFlag.MEMORY | InfoFlag.CMDLINE | InfoFlag.MODS | InfoFlag.MMAP | InfoFlag.LOADER_NAME, true);
  dv.setUint32(info + 4, LOW_MEMORY_END / 1024, true);
  dv.setUint32(info + 8, Math.min(memory.size - HIGH_MEMORY_START, 2 ** 32 - 1024) / 1024, true);
  dv.setUint32(info + 16, cmdline, true);
  dv.setUint32(info + 20, image.modules.length, true);
  dv.setUint32(info + 24, modList, true);
  dv.setUint32(info + 44, ranges.length * MMAP_ENTRY_SIZE, true);
  dv.setUint32(info + 48, mmap, true);
  dv.setUint32(info + 64, loaderName, true);
  memory.bytes.set(cmdlineBytes, cmdline);
  memory.bytes.set(loaderNameBytes, loaderName);
  ranges.forEach(([base, length, type], n) => {
    const at = mmap + n * MMAP_ENTRY_SIZE;
    dv.setUint32(at, MMAP_ENTRY_SIZE - 4, true);
    dv.setBigUint64(at + 4, BigInt(base), true);
    dv.setBigUint64(at + 12, BigInt(length), true);
    dv.setUint32(at + 20, type, true);
  });
  image.modules.forEach((m, n) => {
    const at = modList + n * MODULE_ENTRY_SIZE;
    dv.setUint32(at, placed[n]!, true);
    dv.setUint32(at + 4, placed[n]! + m.bytes.length, true);
    dv.setUint32(at + 8, nameAddresses[n]!, true);
    memory.bytes.set(encoder.encode(`${m.name}\0`), nameAddresses[n]!);
    memory.bytes.set(m.bytes, placed[n]!);
  });
  memory.noteWrite(info, moduleAt - info);
  return { entry, info };
}
