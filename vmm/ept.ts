/**
 * EPT write protection of guest-physical ranges (the seed chapter's closing idea: the VMM guards
 * kernel memory even from a compromised kernel). The range table lives in shared memory so every
 * vCPU and the monitor agree; EPT permission bytes per page enforce it in the CPU. One lock
 * orders every change of the table with the VMM's own writes into guest memory on a guest's
 * behalf (CALL responses, the shared counter page), so no protection can slip in between a check
 * and a write.
 */
import { MAX_RANGES, Control, type VmShared } from './shared.js';
import { EptPerm } from './hw/memory.js';
import { PAGE_SIZE, gpa as toGpa } from './hw/address.js';

export interface ProtectedRange {
  readonly gpa: bigint;
  readonly length: bigint;
  readonly violations: bigint;
  /** Made by SEAL: nothing lifts it until the VM restarts. */
  readonly sealed: boolean;
}

export type ProtectResult = 'ok' | 'outside-memory' | 'overlap' | 'full' | 'not-found' | 'sealed' | 'shared-page';

/** A guest-physical piece of a buffer. */
export interface PhysicalPiece {
  readonly gpa: bigint;
  readonly length: number;
}

const PAGE = BigInt(PAGE_SIZE);
/**
 * Table layout: [count, (start, length, violations) * MAX_RANGES]. Starts are page-aligned, so
 * bit 0 of the stored start is free to say "sealed".
 */
const SEALED_BIT = 1n;

export class ProtectedRanges {
  constructor(private readonly shared: VmShared) {}

  private locked<T>(body: () => T): T {
    return this.shared.lockEpt(body);
  }

  private start(i: number): bigint {
    return this.shared.ranges[1 + i * 3]! & ~SEALED_BIT;
  }

  private count(): number {
    return Number(this.shared.ranges[0]!);
  }

  list(): ProtectedRange[] {
    return this.locked(() => {
      const t = this.shared.ranges;
      const ranges: ProtectedRange[] = [];
      for (let i = 0; i < this.count(); i++) {
        ranges.push({ gpa: this.start(i), length: t[2 + i * 3]!, violations: t[3 + i * 3]!, sealed: (t[1 + i * 3]! & SEALED_BIT) !== 0n });
      }
      return ranges.sort((a, b) => (a.gpa < b.gpa ? -1 : 1));
    });
  }

  /** PROTECT (or SEAL, `sealed`): make the range read-only to the guest. */
  protect(gpa: bigint, length: bigint, sealed = false): ProtectResult {
    if (!this.shared.memory.contains(gpa, Number(length))) return 'outside-memory';
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = this.count();
      for (let i = 0; i < count; i++) {
        const start = this.start(i);
        if (gpa < start + t[2 + i * 3]! && start < gpa + length) return 'overlap';
      }
      if (count >= MAX_RANGES) return 'full';
      // The VMM writes the counter page at every exit: protecting it would be a promise broken at once.
      const shared = this.sharedPage();
      if (shared !== undefined && shared >= gpa && shared < gpa + length) return 'shared-page';
      t[1 + count * 3] = gpa | (sealed ? SEALED_BIT : 0n);
      t[2 + count * 3] = length;
      t[3 + count * 3] = 0n;
      t[0] = BigInt(count + 1);
      this.setPages(gpa, length, EptPerm.READ | EptPerm.EXECUTE);
      return 'ok';
    });
  }

  /** Remove the range that starts at `gpa` with exactly `length`, unless it is sealed. */
  unprotect(gpa: bigint, length: bigint): ProtectResult {
    return this.locked(() => {
      const t = this.shared.ranges;
      const count = this.count();
      for (let i = 0; i < count; i++) {
        if (this.start(i) !== gpa || t[2 + i * 3] !== length) continue;
        if ((t[1 + i * 3]! & SEALED_BIT) !== 0n) return 'sealed';
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
      for (let i = 0; i < this.count(); i++) {
        const start = this.start(i);
        if (gpa >= start && gpa < start + t[2 + i * 3]!) {
          t[3 + i * 3] = t[3 + i * 3]! + 1n;
          return true;
        }
      }
      return false;
    });
  }

  /**
   * Run `write` (the VMM writing into `pieces` for the guest) only if no page of them is
   * write-protected, with the table locked so that no PROTECT lands between the check and the
   * write. Returns the first protected page, or undefined when `write` ran.
   */
  writeUnprotected(pieces: readonly PhysicalPiece[], write: () => void): bigint | undefined {
    return this.locked(() => {
      for (const piece of pieces) {
        const denied = this.shared.memory.firstPageWithout(toGpa(piece.gpa), piece.length, EptPerm.WRITE);
        if (denied !== undefined) return denied;
      }
      write();
      return undefined;
    });
  }

  /**
   * MAP_SHARED: make `page` the counter page (0: none), unless it is write-protected; `map` does
   * the mapping under the lock, so a PROTECT sees either the old page or the new one.
   */
  mapSharedPage(page: bigint, map: () => void): 'ok' | 'protected' {
    return this.locked(() => {
      if (page !== 0n && this.shared.memory.firstPageWithout(toGpa(page), PAGE_SIZE, EptPerm.WRITE) !== undefined) return 'protected';
      map();
      return 'ok';
    });
  }

  private sharedPage(): bigint | undefined {
    const page = Atomics.load(this.shared.control, Control.SHARED_PAGE);
    return page === 0 ? undefined : BigInt(page - 1) * PAGE;
  }

  private setPages(gpa: bigint, length: bigint, permissions: number): void {
    this.shared.setEptPermissions(Number(gpa / PAGE), Number(length / PAGE), permissions);
  }
}
