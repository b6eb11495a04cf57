/**
 * EPT write protection of guest-physical ranges (the seed chapter's closing idea: the VMM guards
 * kernel memory even from a compromised kernel). The range table lives in shared memory so every
 * vCPU and the monitor agree; EPT permission bytes per page enforce it in the CPU.
 */
import { MAX_RANGES, Control, type VmShared } from './shared.js';
import { EptPerm } from './hw/memory.js';
import { PAGE_SIZE } from './hw/address.js';

export interface ProtectedRange {
  readonly gpa: bigint;
  readonly length: bigint;
  readonly violations: bigint;
}

export type ProtectResult = 'ok' | 'outside-memory' | 'overlap' | 'full' | 'not-found';

/** Table layout: [count, (gpa, length, violations) * MAX_RANGES]. */
export class ProtectedRanges {
  constructor(private readonly shared: VmShared) {}

  private locked<T>(body: () => T): T {
    const control = this.shared.control;
    while (Atomics.compareExchange(control, Control.PROTECT_LOCK, 0, 1) !== 0);
    try {
      return body();
    } finally {
      Atomics.store(control, Control.PROTECT_LOCK, 0);
    }
  }

  list(): ProtectedRange[] {
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = Number(t[0]!);
      const ranges: ProtectedRange[] = [];
      for (let i = 0; i < count; i++) ranges.push({ gpa: t[1 + i * 3]!, length: t[2 + i * 3]!, violations: t[3 + i * 3]! });
      return ranges.sort((a, b) => (a.gpa < b.gpa ? -1 : 1));
    });
  }

  protect(gpa: bigint, length: bigint): ProtectResult {
    if (!this.shared.memory.contains(gpa, Number(length))) return 'outside-memory';
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = Number(t[0]!);
      for (let i = 0; i < count; i++) {
        const start = t[1 + i * 3]!;
        if (gpa < start + t[2 + i * 3]! && start < gpa + length) return 'overlap';
      }
      if (count >= MAX_RANGES) return 'full';
      t[1 + count * 3] = gpa;
      t[2 + count * 3] = length;
      t[3 + count * 3] = 0n;
      t[0] = BigInt(count + 1);
      this.setPages(gpa, length, EptPerm.READ | EptPerm.EXECUTE);
      return 'ok';
    });
  }

  /** Remove the range that starts at `gpa` with exactly `length`. */
  unprotect(gpa: bigint, length: bigint): ProtectResult {
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = Number(t[0]!);
      for (let i = 0; i < count; i++) {
        if (t[1 + i * 3] !== gpa || t[2 + i * 3] !== length) continue;
        const last = count - 1;
        for (let k = 0; k < 3; k++) t[1 + i * 3 + k] = t[1 + last * 3 + k]!;
        t[0] = BigInt(last);
        this.setPages(gpa, length, EptPerm.ALL);
        return 'ok';
      }
      return 'not-found';
    });
  }

  /** Count a refused write; false when `gpa` is in no protected range. */
  recordViolation(gpa: bigint): boolean {
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = Number(t[0]!);
      for (let i = 0; i < count; i++) {
        const start = t[1 + i * 3]!;
        if (gpa >= start && gpa < start + t[2 + i * 3]!) {
          t[3 + i * 3] = t[3 + i * 3]! + 1n;
          return true;
        }
      }
      return false;
    });
  }

  private setPages(gpa: bigint, length: bigint, permissions: number): void {
    this.shared.memory.setEptPermissions(Number(gpa / BigInt(PAGE_SIZE)), Number(length / BigInt(PAGE_SIZE)), permissions);
  }
}
