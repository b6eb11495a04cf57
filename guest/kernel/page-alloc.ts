/** The physical page allocator: a bitmap over RAM above the kernel, one bit per 4 KiB page. */
import { KERNEL_END, PAGE } from './layout.js';

export class OutOfMemory extends Error {
  override readonly name = 'OutOfMemory';
}

export class PageAllocator {
  private readonly used: Uint8Array;
  private next = 0;
  private free: number;

  constructor(private readonly memoryBytes: number) {
    this.used = new Uint8Array(Math.max(0, (memoryBytes - KERNEL_END) / PAGE));
    this.free = this.used.length;
  }

  get totalPages(): number {
    return this.used.length;
  }
  get freePages(): number {
    return this.free;
  }

  /** A free page's physical address; throws OutOfMemory when none is left. */
  alloc(): number {
    for (let scanned = 0; scanned < this.used.length; scanned++) {
      const i = (this.next + scanned) % this.used.length;
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.next = i + 1;
        this.free--;
        return KERNEL_END + i * PAGE;
      }
    }
    throw new OutOfMemory(`no free page of ${this.memoryBytes / PAGE}`);
  }

  release(pa: number): void {
    const i = (pa - KERNEL_END) / PAGE;
    if (!Number.isInteger(i) || i < 0 || i >= this.used.length || this.used[i] === 0) throw new RangeError(`page 0x${pa.toString(16)} is not allocated`);
    this.used[i] = 0;
    this.free++;
  }
}
