/**
 * A bare vCPU for instruction-level tests: 64-bit long mode at CPL 3 with page tables the test
 * builds page by page, every exception intercepted by the exception bitmap (so a fault is reported,
 * not delivered), and single steps by the monitor trap flag — the way a VMM's debugger steps a guest.
 * Its exit handler is the test: each exit ends the current step() or run().
 */
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { Cpu } from '../../vmm/hw/cpu.js';
import { readRflags } from '../../vmm/hw/flags.js';
import { GuestMemory } from '../../vmm/hw/memory.js';
import { Pte } from '../../vmm/hw/paging.js';
import { Cr0, Cr4, Efer, Seg, SegAttr, TWO32 } from '../../vmm/hw/state.js';
import { updateMode, writeRflags } from '../../vmm/hw/system.js';
import type { Vmcs } from '../../vmm/hw/vmcs.js';

export interface MapOptions {
  readonly write: boolean;
  readonly execute: boolean;
}

export type StepResult =
  | { readonly kind: 'step' }
  | { readonly kind: 'exception'; readonly vector: number; readonly errorCode: number | undefined; readonly cr2: bigint }
  | { readonly kind: 'exit'; readonly reason: number };

/** Thrown out of the exit handler to end a step or run with its result. */
class Stop {
  constructor(readonly result: StepResult) {}
}

const PAGE = 4096;
const PML4 = 0x1000;

export class TestMachine {
  readonly memory: GuestMemory;
  readonly cpu: Cpu;
  private nextFrame = 0x2000;
  /** Linear page number -> physical address of the page, for read/write. */
  private readonly pages = new Map<number, number>();

  constructor(options: { memoryBytes?: number; jit?: boolean; /** Run at CPL 0 instead of 3. */ supervisor?: boolean } = {}) {
    this.memory = GuestMemory.create(options.memoryBytes ?? 64 << 20);
    const started = performance.now();
    this.cpu = new Cpu({
      memory: this.memory,
      attention: new Int32Array(1),
      attentionIndex: 0,
      handler: { handleExit: (vmcs) => this.onExit(vmcs) },
      clock: () => Math.round((performance.now() - started) * 1e6),
      jit: options.jit ?? true,
    });
    const c = this.cpu;
    c.cr0 = (Cr0.PE | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG) >>> 0;
    c.cr4 = Cr4.PAE;
    c.efer = Efer.LME | Efer.LMA | Efer.NXE;
    c.cr3 = PML4;
    const dpl = options.supervisor === true ? 0 : 3;
    const code = 0xb | SegAttr.S | (dpl << SegAttr.DPL_SHIFT) | SegAttr.P | SegAttr.L | SegAttr.G;
    const data = 3 | SegAttr.S | (dpl << SegAttr.DPL_SHIFT) | SegAttr.P | SegAttr.DB | SegAttr.G;
    for (let s = 0; s < 6; s++) {
      c.segSelector[s] = dpl === 0 ? (s === Seg.CS ? 0x08 : 0x10) : s === Seg.CS ? 0x23 : 0x1b;
      c.segBase[s] = 0;
      c.segLimit[s] = 0xffffffff;
      c.segAttr[s] = s === Seg.CS ? code : data;
    }
    // A TSS with no room for an I/O bitmap: I/O at CPL 3 with IOPL 0 is refused (#GP).
    c.segLimit[Seg.TR] = 0;
    // No IDT entries (limit 0): an INT n at CPL 3 is refused as Linux's DPL-0 gates refuse it,
    // #GP(n * 8 + 2); exceptions never get that far (the bitmap intercepts them all).
    c.idtrBase = 0;
    c.idtrLimit = 0;
    writeRflags(c, 0x202);
    updateMode(c);
    c.vmcs.exceptionBitmap = 0xffffffff;
    c.vmcs.cr8Exiting = true;
  }

  private frame(): number {
    const at = this.nextFrame;
    this.nextFrame += PAGE;
    if (this.nextFrame > this.memory.size) throw new RangeError('test machine out of memory');
    return at;
  }

  /** The page-table entry for linear `va` at the last level, creating tables on the way. */
  private leafEntry(va: number): number {
    let table = PML4;
    const lo = va >>> 0;
    const hi = Math.floor(va / TWO32) >>> 0;
    const indexes = [(hi >>> 7) & 0x1ff, ((hi & 0x7f) << 2) | (lo >>> 30), (lo >>> 21) & 0x1ff, (lo >>> 12) & 0x1ff];
    for (let level = 0; level < 3; level++) {
      const at = table + indexes[level]! * 8;
      let entry = this.memory.view.getUint32(at, true);
      if ((entry & Pte.P) === 0) {
        const next = this.frame();
        entry = next | Pte.P | Pte.RW | Pte.US;
        this.memory.view.setUint32(at, entry, true);
      }
      table = entry & ~0xfff;
    }
    return table + indexes[3]! * 8;
  }

  map(va: bigint, length: number, options: MapOptions): void {
    const start = Number(BigInt.asIntN(64, va));
    if (start % PAGE !== 0) throw new RangeError('map: va must be page aligned');
    for (let page = start; page < start + length; page += PAGE) {
      const at = this.leafEntry(page);
      const frame = this.pages.get(page / PAGE) ?? this.frame();
      this.pages.set(page / PAGE, frame);
      this.memory.view.setUint32(at, frame | Pte.P | Pte.US | Pte.A | Pte.D | (options.write ? Pte.RW : 0), true);
      this.memory.view.setUint32(at + 4, options.execute ? 0 : 0x80000000, true);
    }
  }

  private physical(va: number): number {
    const frame = this.pages.get(Math.floor(va / PAGE));
    if (frame === undefined) throw new RangeError(`0x${BigInt.asUintN(64, BigInt(va)).toString(16)} is not mapped`);
    return frame + (va & 0xfff);
  }

  write(va: bigint, bytes: Uint8Array): void {
    const start = Number(BigInt.asIntN(64, va));
    for (let k = 0; k < bytes.length; k++) {
      const p = this.physical(start + k);
      this.memory.bytes[p] = bytes[k]!;
      this.memory.noteWrite(p, 1);
    }
  }

  read(va: bigint, length: number): Uint8Array {
    const start = Number(BigInt.asIntN(64, va));
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) out[k] = this.memory.bytes[this.physical(start + k)]!;
    return out;
  }

  gpr(index: number): bigint {
    return this.cpu.gpr(index);
  }
  setGpr(index: number, value: bigint): void {
    this.cpu.setGpr(index, value);
  }
  get rip(): bigint {
    return BigInt.asUintN(64, BigInt(this.cpu.rip));
  }
  set rip(value: bigint) {
    this.cpu.rip = Number(BigInt.asIntN(64, value));
  }
  get rflags(): bigint {
    return BigInt(readRflags(this.cpu));
  }
  set rflags(value: bigint) {
    writeRflags(this.cpu, Number(value & 0xffffffffn));
  }
  get fsBase(): bigint {
    return BigInt.asUintN(64, BigInt(this.cpu.segBase[Seg.FS]!));
  }
  set fsBase(value: bigint) {
    this.cpu.segBase[Seg.FS] = Number(BigInt.asIntN(64, value));
  }
  get gsBase(): bigint {
    return BigInt.asUintN(64, BigInt(this.cpu.segBase[Seg.GS]!));
  }
  set gsBase(value: bigint) {
    this.cpu.segBase[Seg.GS] = Number(BigInt.asIntN(64, value));
  }

  private onExit(vmcs: Vmcs): never {
    switch (vmcs.exitReason) {
      case ExitReason.MONITOR_TRAP_FLAG:
        throw new Stop({ kind: 'step' });
      case ExitReason.EXCEPTION_NMI: {
        const info = vmcs.exitInterruptionInfo;
        const vector = info & 0xff;
        throw new Stop({
          kind: 'exception',
          vector,
          errorCode: (info & (1 << 11)) !== 0 ? vmcs.exitInterruptionErrorCode : undefined,
          cr2: vector === 14 ? BigInt.asUintN(64, BigInt(vmcs.exitQualification)) : this.cpu.cr2,
        });
      }
      default:
        throw new Stop({ kind: 'exit', reason: vmcs.exitReason });
    }
  }

  step(): StepResult {
    this.cpu.vmcs.monitorTrapFlag = true;
    this.cpu.singleStep = true; // as a VM entry with MTF set would leave it
    try {
      this.cpu.run(1);
      return { kind: 'step' };
    } catch (error) {
      if (error instanceof Stop) return error.result;
      throw error;
    } finally {
      this.cpu.vmcs.monitorTrapFlag = false;
    }
  }

  run(maxInstructions: number): StepResult & { readonly retired: number } {
    const start = this.cpu.retired;
    try {
      this.cpu.run(maxInstructions);
      return { kind: 'step', retired: this.cpu.retired - start };
    } catch (error) {
      if (error instanceof Stop) return { ...error.result, retired: this.cpu.retired - start };
      throw error;
    }
  }
}
