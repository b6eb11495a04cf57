/**
 * Guest-physical memory: one SharedArrayBuffer every vCPU thread maps, with EPT permissions per
 * 4 KiB page in a second shared array. Every access by guest or VMM goes through the checked
 * methods here or through the CPU's translated fast paths (`vmm/hw/access.ts`), which use the
 * views below; the backing buffer never leaves `vmm/hw/`.
 *
 * Decoded guest code is cached per physical page (hw/code-cache.ts). To keep that cache honest
 * without a check on every store, pages that hold decoded code are flagged here: the CPU's fast
 * write path never covers a flagged page, and any write to one bumps the page's generation, which
 * every vCPU compares before it runs code decoded from that page (self- and cross-modifying code).
 */
import { type Gpa, PAGE_SIZE, gpa as toGpa, hex } from './address.js';

/** EPT permission bits per page (SDM Vol.3C 29.3.2: read, write, execute). */
export const EptPerm = { READ: 1, WRITE: 2, EXECUTE: 4, ALL: 7 } as const;

export class GuestMemoryError extends RangeError {
  override readonly name = 'GuestMemoryError';
  constructor(readonly gpa: bigint, readonly length: number) {
    super(`guest-physical range ${hex(gpa)}+${length} is outside guest memory`);
  }
}

export interface GuestMemoryHandles {
  readonly bytes: SharedArrayBuffer;
  readonly ept: SharedArrayBuffer;
  /** One byte per page: 1 while some vCPU holds code decoded from it. */
  readonly codePages: SharedArrayBuffer;
  /** One i32 per page: bumped by every write to a code page. */
  readonly pageGenerations: SharedArrayBuffer;
  /**
   * [0]: bumped when a page becomes a code page or EPT permissions change, so every vCPU drops
   * the translations it cached (the INVEPT a VMM would issue).
   */
  readonly epoch: SharedArrayBuffer;
}

export class GuestMemory {
  readonly size: number;
  /** Byte view of RAM, for vmm/hw's translated accesses only. */
  readonly bytes: Uint8Array;
  /** The same RAM as a little-endian DataView (unaligned loads and stores). */
  readonly view: DataView;
  /** The same RAM as 32-bit words, for the page walk's atomic accessed/dirty updates. */
  readonly words: Int32Array;
  /** One EptPerm byte per page. */
  readonly ept: Uint8Array;
  readonly codePages: Uint8Array;
  readonly pageGenerations: Int32Array;
  readonly epoch: Int32Array;

  static create(size: number): GuestMemory {
    if (size <= 0 || size % PAGE_SIZE !== 0) throw new RangeError(`memory size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    const pages = size / PAGE_SIZE;
    const ept = new Uint8Array(new SharedArrayBuffer(pages)).fill(EptPerm.ALL);
    return new GuestMemory({
      bytes: new SharedArrayBuffer(size),
      ept: ept.buffer as SharedArrayBuffer,
      codePages: new SharedArrayBuffer(pages),
      pageGenerations: new SharedArrayBuffer(pages * 4),
      epoch: new SharedArrayBuffer(4),
    });
  }

  constructor(readonly handles: GuestMemoryHandles) {
    this.bytes = new Uint8Array(handles.bytes);
    this.view = new DataView(handles.bytes);
    this.words = new Int32Array(handles.bytes);
    this.ept = new Uint8Array(handles.ept);
    this.codePages = new Uint8Array(handles.codePages);
    this.pageGenerations = new Int32Array(handles.pageGenerations);
    this.epoch = new Int32Array(handles.epoch);
    this.size = this.bytes.length;
  }

  /** Whether [gpa, gpa + length) lies inside guest memory. */
  contains(gpa: bigint | number, length: number): boolean {
    const start = Number(gpa);
    return start >= 0 && length >= 0 && start + length <= this.size;
  }

  private offset(gpa: Gpa, length: number): number {
    if (!this.contains(gpa, length)) throw new GuestMemoryError(gpa, length);
    return Number(gpa);
  }

  /** The first 4 KiB page of [gpa, gpa + length) whose EPT permissions lack `permission`, if any. */
  firstPageWithout(gpa: Gpa, length: number, permission: number): Gpa | undefined {
    const first = Math.floor(Number(gpa) / PAGE_SIZE);
    const last = Math.floor((Number(gpa) + length - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) if ((this.ept[page]! & permission) === 0) return toGpa(BigInt(page * PAGE_SIZE));
    return undefined;
  }

  eptPermissions(gpa: Gpa): number {
    return this.ept[Number(gpa) >>> 12] ?? 0;
  }

  /** Change EPT permissions and make every vCPU drop its cached translations (INVEPT). */
  setEptPermissions(firstPage: number, pages: number, permissions: number): void {
    this.ept.fill(permissions, firstPage, firstPage + pages);
    Atomics.add(this.epoch, 0, 1);
  }

  /**
   * A write reached [at, at + length): code decoded from those pages is stale. Called by every
   * write path that can land on a code page (the CPU's slow path and the VMM's writes here).
   */
  noteWrite(at: number, length: number): void {
    const last = (at + length - 1) >>> 12;
    for (let page = at >>> 12; page <= last; page++) {
      if (this.codePages[page] === 0) continue;
      this.pageGenerations[page] = (this.pageGenerations[page]! + 1) | 0;
      this.codePages[page] = 0;
    }
  }

  /** A vCPU decoded code from `page`: from now on every write there must be seen. */
  markCodePage(page: number): void {
    if (this.codePages[page] !== 0) return;
    this.codePages[page] = 1;
    Atomics.add(this.epoch, 0, 1);
  }

  read8(gpa: Gpa): number {
    return this.bytes[this.offset(gpa, 1)]!;
  }
  read16(gpa: Gpa): number {
    return this.view.getUint16(this.offset(gpa, 2), true);
  }
  read32(gpa: Gpa): number {
    return this.view.getUint32(this.offset(gpa, 4), true);
  }
  read64(gpa: Gpa): bigint {
    return this.view.getBigUint64(this.offset(gpa, 8), true);
  }
  write8(gpa: Gpa, value: number): void {
    const at = this.offset(gpa, 1);
    this.bytes[at] = value;
    this.noteWrite(at, 1);
  }
  write16(gpa: Gpa, value: number): void {
    const at = this.offset(gpa, 2);
    this.view.setUint16(at, value, true);
    this.noteWrite(at, 2);
  }
  write32(gpa: Gpa, value: number): void {
    const at = this.offset(gpa, 4);
    this.view.setUint32(at, value >>> 0, true);
    this.noteWrite(at, 4);
  }
  write64(gpa: Gpa, value: bigint): void {
    const at = this.offset(gpa, 8);
    this.view.setBigUint64(at, BigInt.asUintN(64, value), true);
    this.noteWrite(at, 8);
  }
  /** Copy guest bytes out into `out`. */
  readBytes(gpa: Gpa, out: Uint8Array): void {
    const at = this.offset(gpa, out.length);
    out.set(this.bytes.subarray(at, at + out.length));
  }
  writeBytes(gpa: Gpa, data: Uint8Array): void {
    const at = this.offset(gpa, data.length);
    this.bytes.set(data, at);
    if (data.length > 0) this.noteWrite(at, data.length);
  }
  /** A live read-only-by-convention view of a guest range (no copy): for the VMM's bulk reads. */
  slice(gpa: Gpa, length: number): Uint8Array {
    const at = this.offset(gpa, length);
    return this.bytes.subarray(at, at + length);
  }
}
