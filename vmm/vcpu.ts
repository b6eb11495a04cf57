/**
 * The VMM's side of one vCPU: its CPU, interrupt controller, devices and logs, the shared
 * counters and snapshots it publishes, and how it stops the VM.
 */
import { exitReasonName } from '../shell-protocol/exit-reasons.js';
import { hex } from './hw/address.js';
import { Attention, type Cpu, VcpuShutdown } from './hw/cpu.js';
import { Reg } from './hw/guest-cpu.js';
import { EventType, Seg, SysReg } from './hw/registers.js';
import { Lapic } from './lapic.js';
import type { VmmLog } from './log.js';
import type { StopReason } from './monitor-api.js';
import { Control, RunStateCode, Snap, SNAPSHOT_SLOTS, StopKind, type VmShared } from './shared.js';

export interface VcpuConfig {
  readonly stealth: boolean;
  readonly timerIntervalMs: number;
}

const STOP_KIND: Record<StopReason['kind'], number> = {
  'debug-exit': StopKind.DEBUG_EXIT,
  'triple-fault': StopKind.TRIPLE_FAULT,
  'unhandled-exit': StopKind.UNHANDLED_EXIT,
  'host-stop': StopKind.HOST_STOP,
  'internal-error': StopKind.INTERNAL_ERROR,
};

export class Vcpu {
  readonly lapic: Lapic;
  private snapshotSequence = 0n;

  constructor(
    readonly index: number,
    readonly cpu: Cpu,
    readonly shared: VmShared,
    readonly config: VcpuConfig,
    readonly log: VmmLog,
    /** Tells the main thread why the VM stopped (the first cause wins). */
    private readonly reportStop: (reason: StopReason) => void,
  ) {
    this.lapic = new Lapic(cpu, config.timerIntervalMs);
  }

  get stopping(): boolean {
    return Atomics.load(this.shared.control, Control.STOP_KIND) !== StopKind.NONE;
  }

  /** Stop the whole VM for `reason` and leave guest mode on this vCPU. */
  stopVm(reason: StopReason): never {
    if (Atomics.compareExchange(this.shared.control, Control.STOP_KIND, StopKind.NONE, STOP_KIND[reason.kind]) === StopKind.NONE) {
      this.reportStop(reason);
      for (let v = 0; v < this.shared.vcpus; v++) if (v !== this.index) this.shared.kick(v, Attention.STOP);
    }
    throw new VcpuShutdown();
  }

  /** Ymir's "Unhandled VM-exit": stop with the reason and where the guest was. */
  abortUnhandled(what = `reason=${exitReasonName(this.cpu.exit.basicReason)} (${this.cpu.exit.basicReason})`): never {
    const rip = this.cpu.get(Reg.RIP);
    const message = `Unhandled VM-exit: ${what} rip=${hex(rip)} vcpu=${this.index}`;
    this.log.write('error', 'vcpu', message);
    this.publishSnapshot();
    this.stopVm({ kind: 'unhandled-exit', vcpu: this.index, reason: this.cpu.exit.basicReason, rip, message });
  }

  injectException(vector: number, errorCode?: number): void {
    const exit = this.cpu.exit;
    exit.injectVector = vector;
    exit.injectType = EventType.HARDWARE_EXCEPTION;
    exit.injectErrorCode = errorCode;
  }

  setRunState(state: number): void {
    Atomics.store(this.shared.control, this.shared.runStateIndex(this.index), state);
  }

  /** Publish the registers under the sequence lock: odd while writing, even when consistent. */
  publishSnapshot(): void {
    const shared = this.shared;
    const lock = shared.snapshotLocks;
    const base = this.index * SNAPSHOT_SLOTS;
    const s = shared.snapshots;
    const v = this.cpu.regs.values;
    const sel = this.cpu.regs.selectors;
    Atomics.add(lock, this.index, 1);
    for (let i = 0; i < 16; i++) s[base + Snap.GPRS + i] = v[i]!;
    s[base + Snap.RIP] = v[Reg.RIP]!;
    s[base + Snap.RFLAGS] = v[Reg.RFLAGS]!;
    s[base + Snap.CR0] = v[SysReg.CR0]!;
    s[base + Snap.CR2] = v[SysReg.CR2]!;
    s[base + Snap.CR3] = v[SysReg.CR3]!;
    s[base + Snap.CR4] = v[SysReg.CR4]!;
    s[base + Snap.EFER] = v[SysReg.EFER]!;
    s[base + Snap.FS_BASE] = v[SysReg.FS_BASE]!;
    s[base + Snap.GS_BASE] = v[SysReg.GS_BASE]!;
    s[base + Snap.SELECTORS_LOW] = BigInt(sel[Seg.CS]!) | (BigInt(sel[Seg.DS]!) << 16n) | (BigInt(sel[Seg.ES]!) << 32n) | (BigInt(sel[Seg.FS]!) << 48n);
    s[base + Snap.SELECTORS_HIGH] = BigInt(sel[Seg.GS]!) | (BigInt(sel[Seg.SS]!) << 16n);
    s[base + Snap.CPL] = BigInt(this.cpu.cpl);
    s[base + Snap.RUN_STATE] = BigInt(Atomics.load(shared.control, shared.runStateIndex(this.index)));
    s[base + Snap.LAST_EXIT] = BigInt(this.cpu.exit.basicReason);
    s[base + Snap.SEQUENCE] = ++this.snapshotSequence;
    Atomics.add(lock, this.index, 1);
  }

  /**
   * Look at what the host asked for (the attention word): stop, pause, a snapshot, or serial IRQs.
   * Runs at every exit's end, before VM entry.
   */
  serviceAttention(): void {
    const shared = this.shared;
    const index = shared.attentionIndex(this.index);
    // A plain read first: every exit comes here, and a kick this misses is taken at the next
    // instruction's preemption point (Cpu.poll, which reads the word with Atomics).
    if (shared.control[index] === 0) return;
    let bits = Atomics.load(shared.control, index);
    while (bits !== 0) {
      if ((bits & Attention.STOP) !== 0 || this.stopping) this.stopVm({ kind: 'host-stop' });
      if ((bits & Attention.SNAPSHOT) !== 0) {
        Atomics.and(shared.control, index, ~Attention.SNAPSHOT);
        this.publishSnapshot();
      }
      if ((bits & Attention.RESET_COUNTERS) !== 0) {
        Atomics.and(shared.control, index, ~Attention.RESET_COUNTERS);
        shared.applyExitCountReset(this.index);
      }
      if ((bits & Attention.IRQ) !== 0) {
        Atomics.and(shared.control, index, ~Attention.IRQ);
        const lines = Atomics.exchange(shared.control, Control.IRQ_LINES, 0);
        for (let irq = 0; irq < 16; irq++) if ((lines & (1 << irq)) !== 0) this.lapic.request(0x20 + irq);
      }
      if ((bits & Attention.PAUSE) !== 0) {
        this.publishSnapshot();
        Atomics.wait(shared.control, index, bits, 100);
      }
      bits = Atomics.load(shared.control, index);
      if ((bits & Attention.PAUSE) === 0) break;
    }
  }

  /** Sleep in HLT until an interrupt can be delivered (or the host wants something). */
  halt(): void {
    const shared = this.shared;
    const index = shared.attentionIndex(this.index);
    this.setRunState(RunStateCode.HALTED);
    this.publishSnapshot();
    for (;;) {
      this.serviceAttention();
      if (this.lapic.hasRequest && this.cpu.interruptsEnabled) break;
      const now = performance.now();
      if (now >= this.cpu.timerDeadline) {
        this.lapic.timerExpired(now);
        continue;
      }
      const timeout = Number.isFinite(this.cpu.timerDeadline) ? Math.max(0, this.cpu.timerDeadline - now) : undefined;
      Atomics.wait(shared.control, index, 0, timeout);
    }
    this.setRunState(RunStateCode.RUNNING);
  }
}
