/**
 * The VMM's side of one vCPU: its CPU (seen through the VMCS), local APIC, logs, the shared
 * counters and snapshots it publishes, interrupt injection at each VM entry, HLT, and how it stops
 * the VM. One Vcpu lives on each vCPU thread.
 */
import { ExitReason, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { hex } from '../hw/address.js';
import { Attention, type Cpu } from '../hw/cpu.js';
import { readRflags } from '../hw/flags.js';
import { Flag, Seg, Vector } from '../hw/state.js';
import { EventType, type Vmcs } from '../hw/vmcs.js';
import { Lapic } from '../devices/lapic.js';
import { DebugAgent } from '../debug/agent.js';
import type { VmmLog } from '../log.js';
import type { StopReason } from '../monitor-api.js';
import { Control, RunStateCode, Snap, SNAPSHOT_SLOTS, StopKind, VmmAttention, type VmShared } from '../shared.js';
import { publishFullState } from './published-state.js';

export interface VcpuConfig {
  readonly stealth: boolean;
}

/** Thrown by the VMM out of an exit to leave guest mode on this vCPU (VM stop). */
export class VcpuShutdown extends Error {
  override readonly name = 'VcpuShutdown';
  constructor() {
    super('the vCPU left guest mode: the VM is stopping');
  }
}

/** Thrown by the VMM out of an exit to leave guest mode for a platform reset (the monitor's system_reset). */
export class VcpuReset extends Error {
  override readonly name = 'VcpuReset';
  constructor() {
    super('the vCPU left guest mode: the platform is being reset');
  }
}

/** The longest a running vCPU goes without an exit (the VMX-preemption timer's VMM share). */
const VMM_SLICE_MS = 50;

const STOP_KIND: Record<StopReason['kind'], number> = {
  'debug-exit': StopKind.DEBUG_EXIT,
  'triple-fault': StopKind.TRIPLE_FAULT,
  'unhandled-exit': StopKind.UNHANDLED_EXIT,
  'host-stop': StopKind.HOST_STOP,
  'internal-error': StopKind.INTERNAL_ERROR,
};

export class Vcpu {
  readonly lapic: Lapic;
  readonly vmcs: Vmcs;
  /** The debugger's side on this vCPU (vmm/debug/agent.ts). */
  readonly debug: DebugAgent;
  private snapshotSequence = 0;
  /** In HLT: the activity state the snapshot shows. */
  private halted = false;
  /** An NMI taken from the shared count (IPIs with NMI delivery, the monitor's `nmi`) and not yet injected. */
  private nmiPending = false;
  /** The snapshot area as 32-bit words: GPRs are published as halves, without BigInt. */
  private readonly snapshotWords: Int32Array;

  constructor(
    readonly index: number,
    readonly cpu: Cpu,
    readonly shared: VmShared,
    readonly config: VcpuConfig,
    readonly log: VmmLog,
    /** Tells the main thread why the VM stopped (the first cause wins). */
    private readonly reportStop: (reason: StopReason) => void,
  ) {
    this.vmcs = cpu.vmcs;
    this.lapic = new Lapic(index, shared, () => this.nowNs(), index === 0 ? shared.pic : undefined);
    this.snapshotWords = new Int32Array(shared.snapshots.buffer as SharedArrayBuffer);
    // After a platform reset the sequence goes on: readers take equal numbers for the same snapshot.
    this.snapshotSequence = Number(shared.snapshots[index * SNAPSHOT_SLOTS + Snap.SEQUENCE]!);
    this.debug = new DebugAgent(this);
  }

  /** The TSC's time base: nanoseconds since the VM started. */
  nowNs(): number {
    return this.shared.uptimeMs() * 1e6;
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
  abortUnhandled(what = `reason=${exitReasonName(this.vmcs.exitReason)} (${this.vmcs.exitReason})`): never {
    const rip = this.vmcs.guestRip;
    const message = `Unhandled VM-exit: ${what} rip=${hex(rip)} vcpu=${this.index}`;
    this.log.write('error', 'vcpu', message);
    this.publishSnapshot();
    this.stopVm({ kind: 'unhandled-exit', vcpu: this.index, reason: this.vmcs.exitReason, rip, message });
  }

  /** Inject a hardware exception at the next VM entry (RIP is not advanced). */
  injectException(vector: number, errorCode?: number): void {
    this.vmcs.inject(vector, EventType.HARDWARE_EXCEPTION, errorCode);
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
    const w = this.snapshotWords;
    const c = this.cpu;
    const big = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
    const sel = c.segSelector;
    Atomics.add(lock, this.index, 1);
    w.set(c.r, (base + Snap.GPRS) * 2);
    s[base + Snap.RIP] = big(c.rip);
    s[base + Snap.RFLAGS] = BigInt(readRflags(c));
    s[base + Snap.CR0] = BigInt(this.vmcs.guestVisibleCr0);
    s[base + Snap.CR2] = c.cr2;
    s[base + Snap.CR3] = big(c.cr3);
    s[base + Snap.CR4] = BigInt(this.vmcs.guestVisibleCr4);
    s[base + Snap.EFER] = BigInt(c.efer);
    s[base + Snap.FS_BASE] = big(c.segBase[Seg.FS]!);
    s[base + Snap.GS_BASE] = big(c.segBase[Seg.GS]!);
    s[base + Snap.SELECTORS_LOW] = BigInt(sel[Seg.CS]!) | (BigInt(sel[Seg.DS]!) << 16n) | (BigInt(sel[Seg.ES]!) << 32n) | (BigInt(sel[Seg.FS]!) << 48n);
    s[base + Snap.SELECTORS_HIGH] = BigInt(sel[Seg.GS]!) | (BigInt(sel[Seg.SS]!) << 16n);
    s[base + Snap.CPL] = BigInt(c.cpl);
    s[base + Snap.RUN_STATE] = BigInt(Atomics.load(shared.control, shared.runStateIndex(this.index)));
    s[base + Snap.LAST_EXIT] = BigInt(this.vmcs.exitReason);
    publishFullState(s, w, base, c, this.vmcs, this.lapic, this.halted);
    s[base + Snap.SEQUENCE] = BigInt(++this.snapshotSequence);
    Atomics.add(lock, this.index, 1);
  }

  /**
   * Look at what the host asked for (the attention word): stop, pause, a snapshot, IRQ lines,
   * IPIs, counter resets. Runs at every exit's end, before VM entry.
   */
  serviceAttention(): void {
    const shared = this.shared;
    const index = shared.attentionIndex(this.index);
    // A plain read first: every exit comes here, and a kick this misses is taken at the CPU's
    // next preemption point, which reads the word again.
    if (shared.control[index] === 0) return;
    let bits = Atomics.load(shared.control, index);
    while (bits !== 0) {
      if ((bits & Attention.STOP) !== 0 || this.stopping) this.stopVm({ kind: 'host-stop' });
      if ((bits & VmmAttention.RESET) !== 0) {
        Atomics.and(shared.control, index, ~VmmAttention.RESET);
        throw new VcpuReset();
      }
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
        for (let irq = 0; irq < 16; irq++) if ((lines & (1 << irq)) !== 0) shared.pic.raise(irq);
      }
      if ((bits & Attention.IPI) !== 0) {
        Atomics.and(shared.control, index, ~Attention.IPI);
        this.lapic.collectIpis();
        // The NMI latch holds one: NMIs that arrive while one is pending are lost (SDM Vol.3A 6.7.1).
        if (Atomics.exchange(shared.control, shared.nmiIndex(this.index), 0) !== 0) this.nmiPending = true;
      }
      if ((bits & Attention.DEBUG) !== 0) this.debug.stopHere();
      if ((bits & Attention.PAUSE) !== 0) {
        this.publishSnapshot();
        Atomics.wait(shared.control, index, bits, 100);
      }
      bits = Atomics.load(shared.control, index);
      if ((bits & Attention.PAUSE) === 0) break;
    }
  }

  /**
   * Before VM entry: inject an NMI or the interrupt the guest can take now (or ask for an
   * interrupt-window exit), and re-arm the preemption timer when the APIC timer changed or the
   * last one fired.
   */
  prepareEntry(): void {
    const lapic = this.lapic;
    const vmcs = this.vmcs;
    if (lapic.timerChanged || vmcs.exitReason === ExitReason.PREEMPTION_TIMER) this.armPreemptionTimer();
    if (vmcs.injectionPending) return;
    if (this.debug.holdsInterrupts) {
      vmcs.interruptWindowExiting = false;
      return;
    }
    // An NMI goes before any interrupt; blocked (by an NMI handler not yet at its IRET, or an
    // STI/MOV SS shadow) it waits for a later entry, as the model has no NMI-window exiting.
    if (this.nmiPending && !this.cpu.nmiBlocked && !this.cpu.interruptShadow) {
      this.nmiPending = false;
      vmcs.inject(Vector.NMI, EventType.NMI);
      return;
    }
    const pending = lapic.pendingInterrupt();
    if (pending === -1) vmcs.interruptWindowExiting = false;
    else if (!vmcs.interruptible) vmcs.interruptWindowExiting = true;
    else {
      vmcs.interruptWindowExiting = false;
      const vector = lapic.accept(pending);
      if (vector >= 0) vmcs.inject(vector, EventType.EXTERNAL_INTERRUPT);
    }
  }

  /**
   * The VMX-preemption timer serves the APIC timer and the VMM itself: a running vCPU comes out at
   * least every VMM_SLICE_MS whatever the guest does, and publishes its registers for the monitor.
   */
  private armPreemptionTimer(): void {
    const lapic = this.lapic;
    lapic.timerChanged = false;
    const slice = performance.now() + VMM_SLICE_MS;
    const next = lapic.deadline;
    this.vmcs.preemptionDeadline = Number.isFinite(next) ? Math.min(slice, this.msFromNs(next)) : slice;
  }

  /** performance.now() milliseconds of TSC time `ns`. */
  private msFromNs(ns: number): number {
    return this.shared.epoch[0]! - performance.timeOrigin + ns / 1e6;
  }

  /** Sleep in HLT until an interrupt can be delivered (or the host wants something). */
  halt(): void {
    const shared = this.shared;
    const index = shared.attentionIndex(this.index);
    this.setRunState(RunStateCode.HALTED);
    this.halted = true;
    this.publishSnapshot();
    for (;;) {
      this.serviceAttention();
      this.lapic.checkTimer();
      // HLT ends with an interrupt only if the guest can take it: with IF clear it sleeps on.
      // An NMI ends it whatever IF says, unless NMIs are blocked.
      if ((this.cpu.flags & Flag.IF) !== 0 && this.lapic.pendingInterrupt() !== -1) break;
      if (this.nmiPending && !this.cpu.nmiBlocked) break;
      const deadline = this.lapic.deadline;
      const timeout = Number.isFinite(deadline) ? Math.max(0, (deadline - this.nowNs()) / 1e6) : undefined;
      Atomics.wait(shared.control, index, 0, timeout);
    }
    this.halted = false;
    this.setRunState(RunStateCode.RUNNING);
  }
}
