/**
 * Guest-physical memory: one SharedArrayBuffer every vCPU thread maps, with EPT permissions per
 * 4 KiB page in a second shared array. Every access by guest or VMM goes through the checked
 * methods here; the backing buffer never leaves this module except as the shared handles.
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
}

export class GuestMemory {
  readonly size: number;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** One EptPerm byte per page. */
  private readonly ept: Uint8Array;

  static create(size: number): GuestMemory {
    if (size <= 0 || size % PAGE_SIZE !== 0) throw new RangeError(`memory size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    const ept = new Uint8Array(new SharedArrayBuffer(size / PAGE_SIZE)).fill(EptPerm.ALL);
    return new GuestMemory({ bytes: new SharedArrayBuffer(size), ept: ept.buffer as SharedArrayBuffer });
  }

  constructor(readonly handles: GuestMemoryHandles) {
    this.bytes = new Uint8Array(handles.bytes);
    this.view = new DataView(handles.bytes);
    this.ept = new Uint8Array(handles.ept);
    this.size = this.bytes.length;
  }

  /** Whether [gpa, gpa + length) lies inside guest memory. */
  contains(gpa: bigint, length: number): boolean {
    return gpa >= 0n && length >= 0 && gpa + BigInt(length) <= BigInt(this.size);
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

  setEptPermissions(firstPage: number, pages: number, permissions: number): void {
    this.ept.fill(permissions, firstPage, firstPage + pages);
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
    this.bytes[this.offset(gpa, 1)] = value;
  }
  write16(gpa: Gpa, value: number): void {
    this.view.setUint16(this.offset(gpa, 2), value, true);
  }
  write32(gpa: Gpa, value: number): void {
    this.view.setUint32(this.offset(gpa, 4), value >>> 0, true);
  }
  write64(gpa: Gpa, value: bigint): void {
    this.view.setBigUint64(this.offset(gpa, 8), BigInt.asUintN(64, value), true);
  }
  /** Copy guest bytes out into `out`. */
  readBytes(gpa: Gpa, out: Uint8Array): void {
    const at = this.offset(gpa, out.length);
    out.set(this.bytes.subarray(at, at + out.length));
  }
  writeBytes(gpa: Gpa, data: Uint8Array): void {
    this.bytes.set(data, this.offset(gpa, data.length));
  }
  /** A live view of a guest range (no copy): for the VMM's bulk paths, bounds-checked once. */
  slice(gpa: Gpa, length: number): Uint8Array {
    const at = this.offset(gpa, length);
    return this.bytes.subarray(at, at + length);
  }
}
