/**
 * Everything a VM shares between its threads, in SharedArrayBuffers: guest memory, the control
 * words, exit counters, register snapshots, serial rings and the log ring. The main thread creates
 * it; each vCPU worker rebuilds the same views from the handles.
 */
import { EXIT_REASON_COUNT } from '../shell-protocol/exit-reasons.js';
import { PAGE_SIZE } from '../shell-protocol/constants.js';
import { SHARED_PAGE_MAX_VCPUS, encodeSharedPage, sharedCounterOffset, sharedTotalOffset, writeSharedPageHeader } from '../shell-protocol/ops.js';
import { SharedPageHeader } from '../shell-protocol/structs.js';
import { gpa } from './hw/address.js';
import { Attention } from './hw/cpu.js';
import { EptPerm, GuestMemory, type GuestMemoryHandles } from './hw/memory.js';
import { PIC_STATE_WORDS, Pic8259 } from './devices/pic.js';
import { UART_STATE_WORDS } from './devices/serial.js';
import { ByteRing, type ByteRingHandle } from './byte-ring.js';
import { LogRing, type LogRingHandle } from './log-ring.js';
import type { RegisterSnapshot, VcpuRunState } from './monitor-api.js';
import { DebugArea, type DebugAreaHandles } from './debug/area.js';
import { ExitStats, type ExitStatsHandles } from './exit-stats.js';

/** Control word slots. Per-vCPU words follow at CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS. */
export const Control = {
  VM_STATE: 0,
  /** StopKind of the first stop cause; 0 while running. */
  STOP_KIND: 1,
  LOG_LEVEL: 2,
  /** Bit per ISA IRQ line raised for the BSP's interrupt controller. */
  IRQ_LINES: 3,
  /** Lock for the write-protected range table. */
  PROTECT_LOCK: 4,
  /** Page number + 1 of the MAP_SHARED counter page (0: none). */
  SHARED_PAGE: 5,
  /** The shared page's `sequence`: bumped whenever the counters restart (STATS_RESET). */
  SHARED_SEQUENCE: 6,
  /**
   * 1 once the monitor asked for the exit trace: from then on each exit reads the clock twice for
   * its trace record's time and handling time (a clock read costs as much as a whole exit on some hosts).
   */
  EXIT_TIMING: 7,
  /** systemReset: vCPU threads that left guest mode for it, and resets done (parked threads wait for it to move). */
  RESET_PARKED: 8,
  RESET_GENERATION: 9,
} as const;
const CONTROL_PER_VCPU = 12;
const PER_VCPU_WORDS = 8;
/**
 * Per-vCPU words: attention bits, run state, startup state (Startup below), counter resets asked
 * and applied, NMIs pending.
 */
const VCPU_ATTENTION = 0;
const VCPU_RUN_STATE = 1;
const VCPU_STARTUP = 2;
const VCPU_RESETS_ASKED = 3;
const VCPU_RESETS_APPLIED = 4;
const VCPU_NMI = 5;

/**
 * Attention bits the VMM adds to the CPU's (hw/cpu.ts Attention): any set bit makes a running
 * vCPU exit at its next preemption point.
 */
export const VmmAttention = {
  /** A platform reset: leave guest mode and wait for the reset to be done. */
  RESET: 128,
} as const;

/** An AP's startup word: waiting for INIT, then for STARTUP, then started with a vector. */
export const Startup = { WAIT_FOR_INIT: 0, WAIT_FOR_SIPI: 1, SIPI: 0x100 } as const;
/** Words of pending fixed-IPI vector bits per vCPU (256 vectors). */
const IPI_WORDS = 8;

export const VmStateCode = { CREATED: 0, RUNNING: 1, PAUSED: 2, STOPPED: 3 } as const;
export const StopKind = { NONE: 0, DEBUG_EXIT: 1, TRIPLE_FAULT: 2, UNHANDLED_EXIT: 3, HOST_STOP: 4, INTERNAL_ERROR: 5 } as const;
export const RunStateCode = { NOT_STARTED: 0, RUNNING: 1, HALTED: 2, STOPPED: 3 } as const;
export const RUN_STATES: readonly VcpuRunState[] = ['not-started', 'running', 'halted', 'stopped'];

/**
 * Register snapshot slots (u64 each), written under the per-vCPU sequence lock. A slot shown as
 * [a, b] holds two u32 words, a in its low half. The part from SEGMENTS on is the full state the
 * monitor shows (vcpu/published-state.ts writes and reads it).
 */
export const Snap = {
  GPRS: 0, RIP: 16, RFLAGS: 17, CR0: 18, CR2: 19, CR3: 20, CR4: 21, EFER: 22, FS_BASE: 23,
  GS_BASE: 24, SELECTORS_LOW: 25, SELECTORS_HIGH: 26, CPL: 27, RUN_STATE: 28, LAST_EXIT: 29,
  SEQUENCE: 30,
  /** Per segment register in Seg order, SEGMENT_SLOTS slots: base, [limit, access rights], [selector, 0]. */
  SEGMENTS: 32,
  GDTR_BASE: 56, IDTR_BASE: 57,
  /** [GDTR limit, IDTR limit] */
  TABLE_LIMITS: 58,
  KERNEL_GS_BASE: 59,
  /** DR0..DR3, DR6, DR7. */
  DEBUG_REGISTERS: 60,
  TSC_OFFSET: 66,
  /** [pin-based, primary processor-based], [secondary processor-based, exception bitmap] controls. */
  CONTROLS: 67, CONTROLS2: 68,
  /** [CR0, CR4] guest/host masks, then read shadows. */
  CR_MASKS: 69, CR_SHADOWS: 70,
  EXIT_QUALIFICATION: 71, GUEST_LINEAR_ADDRESS: 72, GUEST_PHYSICAL_ADDRESS: 73,
  /** [length, information] of the exiting instruction. */
  EXIT_INSTRUCTION: 74,
  /** [information, error code] of the exit's event, the event being delivered, the event to inject. */
  EXIT_INTERRUPTION: 75, IDT_VECTORING: 76, ENTRY_INTERRUPTION: 77,
  /** [interruptibility state, activity state], [VM-entry instruction length, CR8]. */
  GUEST_STATE: 78, ENTRY_LENGTH_CR8: 79,
  /** [ID, TPR], [PPR, LVT timer], [initial count, current count], [divide configuration, 0], IRR (4 slots), ISR (4 slots). */
  LAPIC: 80,
  /** [CR0, CR4] as in force, with the bits the VMM owns (CR0/CR4 above are what the guest reads). */
  CR_IN_FORCE: 92,
} as const;
export const SEGMENT_SLOTS = 3;
export const SNAPSHOT_SLOTS = 96;

/** Write-protected ranges: [gpa, length, violations] u64 triples after a count. */
export const MAX_RANGES = 64;

export interface VmSharedHandles {
  readonly vcpus: number;
  readonly memory: GuestMemoryHandles;
  readonly control: SharedArrayBuffer;
  readonly counters: SharedArrayBuffer;
  readonly totals: SharedArrayBuffer;
  readonly snapshots: SharedArrayBuffer;
  readonly snapshotLocks: SharedArrayBuffer;
  readonly ranges: SharedArrayBuffer;
  readonly com1Tx: ByteRingHandle;
  readonly com1Rx: ByteRingHandle;
  readonly com2Tx: ByteRingHandle;
  readonly com2Rx: ByteRingHandle;
  readonly uartRegisters: SharedArrayBuffer;
  readonly pic: SharedArrayBuffer;
  readonly ipis: SharedArrayBuffer;
  readonly log: LogRingHandle;
  /** performance.timeOrigin + now() of VM start, shared so every thread agrees on uptime. */
  readonly epoch: SharedArrayBuffer;
  /** The debugger's requests, responses and watch pages (vmm/debug/area.ts). */
  readonly debug: DebugAreaHandles;
  /** The exit trace and the port and MSR breakdowns (exit-stats.ts). */
  readonly exitStats: ExitStatsHandles;
}

export const SERIAL_TX_CAPACITY = 1 << 16;
export const SERIAL_RX_CAPACITY = 1 << 12;
export const LOG_SLOTS = 512;

export class VmShared {
  readonly vcpus: number;
  readonly memory: GuestMemory;
  readonly control: Int32Array;
  /** Exit counters: per vCPU, per reason, a [low, high] u32 pair (Atomics on the low word). */
  readonly counters: Uint32Array;
  /** Per vCPU, the sum of its exit counters as a [low, high] u32 pair. */
  readonly totals: Uint32Array;
  readonly snapshots: BigUint64Array;
  readonly snapshotLocks: Int32Array;
  readonly ranges: BigUint64Array;
  readonly com1Tx: ByteRing;
  readonly com1Rx: ByteRing;
  readonly com2Tx: ByteRing;
  readonly com2Rx: ByteRing;
  readonly uartRegisters: Int32Array;
  readonly pic: Pic8259;
  private readonly ipis: Int32Array;
  readonly log: LogRing;
  readonly epoch: Float64Array;
  readonly debug: DebugArea;
  readonly exitStats: ExitStats;

  static create(vcpus: number, memoryBytes: number): VmShared {
    const sab = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes);
    return new VmShared({
      vcpus,
      memory: GuestMemory.create(memoryBytes).handles,
      control: sab((CONTROL_PER_VCPU + vcpus * PER_VCPU_WORDS) * 4),
      counters: sab(vcpus * EXIT_REASON_COUNT * 8),
      totals: sab(vcpus * 8),
      snapshots: sab(vcpus * SNAPSHOT_SLOTS * 8),
      snapshotLocks: sab(vcpus * 4),
      ranges: sab((1 + MAX_RANGES * 3) * 8),
      com1Tx: ByteRing.create(SERIAL_TX_CAPACITY).handle,
      com1Rx: ByteRing.create(SERIAL_RX_CAPACITY).handle,
      com2Tx: ByteRing.create(SERIAL_TX_CAPACITY).handle,
      com2Rx: ByteRing.create(SERIAL_RX_CAPACITY).handle,
      uartRegisters: sab(2 * UART_STATE_WORDS * 4),
      pic: Pic8259.resetState(sab(PIC_STATE_WORDS * 4)),
      ipis: sab(vcpus * IPI_WORDS * 4),
      log: LogRing.create(LOG_SLOTS).handle,
      epoch: sab(8),
      debug: DebugArea.create(vcpus, memoryBytes).handles,
      exitStats: ExitStats.create(vcpus).handles,
    });
  }

  constructor(readonly handles: VmSharedHandles) {
    this.vcpus = handles.vcpus;
    this.memory = new GuestMemory(handles.memory);
    this.control = new Int32Array(handles.control);
    this.counters = new Uint32Array(handles.counters);
    this.totals = new Uint32Array(handles.totals);
    this.snapshots = new BigUint64Array(handles.snapshots);
    this.snapshotLocks = new Int32Array(handles.snapshotLocks);
    this.ranges = new BigUint64Array(handles.ranges);
    this.com1Tx = new ByteRing(handles.com1Tx);
    this.com1Rx = new ByteRing(handles.com1Rx);
    this.com2Tx = new ByteRing(handles.com2Tx);
    this.com2Rx = new ByteRing(handles.com2Rx);
    this.uartRegisters = new Int32Array(handles.uartRegisters);
    this.pic = new Pic8259(new Int32Array(handles.pic));
    this.ipis = new Int32Array(handles.ipis);
    this.log = new LogRing(handles.log);
    this.epoch = new Float64Array(handles.epoch);
    this.debug = new DebugArea(handles.debug);
    this.exitStats = new ExitStats(handles.exitStats);
  }

  /** Run `body` holding the lock that orders every EPT change (PROTECT's table, the debugger's watched pages). */
  lockEpt<T>(body: () => T): T {
    while (Atomics.compareExchange(this.control, Control.PROTECT_LOCK, 0, 1) !== 0);
    try {
      return body();
    } finally {
      Atomics.store(this.control, Control.PROTECT_LOCK, 0);
    }
  }

  /**
   * Grant pages the VMM's EPT permissions (caller holds lockEpt). The bits a debugger's
   * watchpoints take away stay off until it removes them (vmm/debug/area.ts).
   */
  setEptPermissions(firstPage: number, pages: number, permissions: number): void {
    const { eptBase, eptDeny } = this.debug;
    eptBase.fill(permissions, firstPage, firstPage + pages);
    let denied = false;
    for (let page = firstPage; page < firstPage + pages && !denied; page++) denied = eptDeny[page] !== 0;
    if (!denied) return this.memory.setEptPermissions(firstPage, pages, permissions);
    for (let page = firstPage; page < firstPage + pages; page++) this.memory.setEptPermissions(page, 1, permissions & ~eptDeny[page]!);
  }

  /**
   * The platform back to its power-on state for a reset, while no vCPU is in guest mode: the
   * interrupt controllers and lines, pending IPIs and NMIs, the APs' startup words, EPT
   * permissions, PROTECT's ranges and the MAP_SHARED page. The exit counters, the exit trace,
   * the log and the serial rings go on.
   */
  resetPlatform(): void {
    Pic8259.resetState(this.handles.pic);
    Atomics.store(this.control, Control.IRQ_LINES, 0);
    this.ipis.fill(0);
    for (let v = 0; v < this.vcpus; v++) {
      Atomics.store(this.control, this.nmiIndex(v), 0);
      Atomics.store(this.control, this.startupIndex(v), Startup.WAIT_FOR_INIT);
    }
    this.lockEpt(() => {
      this.ranges.fill(0n);
      this.setEptPermissions(0, this.memory.size / PAGE_SIZE, EptPerm.ALL);
    });
    Atomics.store(this.control, Control.SHARED_PAGE, 0);
  }

  /** Milliseconds since VM start, on any thread. */
  uptimeMs(): number {
    return this.uptimeAt(performance.now());
  }

  /** Milliseconds since VM start at `now`, a performance.now() of this thread. */
  uptimeAt(now: number): number {
    const start = this.epoch[0]!;
    return start === 0 ? 0 : performance.timeOrigin + now - start;
  }

  attentionIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_ATTENTION;
  }
  runStateIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_RUN_STATE;
  }
  startupIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_STARTUP;
  }
  nmiIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_NMI;
  }
  /** The fixed-IPI vector bits pending for a vCPU (senders Atomics.or, the target takes them). */
  ipiWords(vcpu: number): Int32Array {
    return this.ipis.subarray(vcpu * IPI_WORDS, (vcpu + 1) * IPI_WORDS);
  }
  private resetsAskedIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_RESETS_ASKED;
  }
  private resetsAppliedIndex(vcpu: number): number {
    return CONTROL_PER_VCPU + vcpu * PER_VCPU_WORDS + VCPU_RESETS_APPLIED;
  }

  /** Set attention bits on a vCPU and wake it if it sleeps. */
  kick(vcpu: number, bits: number): void {
    const index = this.attentionIndex(vcpu);
    Atomics.or(this.control, index, bits);
    Atomics.notify(this.control, index);
  }

  /**
   * Count one exit, mirrored into the MAP_SHARED page. Only the vCPU's own thread writes its
   * counters, so it is also the one that zeroes them when a reset was asked (`resetExitCounts`).
   */
  countExit(vcpu: number, reason: number): void {
    // A reset asked by another vCPU is taken before this exit is counted (plain reads: the kick follows).
    if (this.control[this.resetsAskedIndex(vcpu)] !== this.control[this.resetsAppliedIndex(vcpu)]) this.applyExitCountReset(vcpu);
    const low = (vcpu * EXIT_REASON_COUNT + reason) * 2;
    const count = increment(this.counters, low);
    const total = increment(this.totals, vcpu * 2);
    const page = this.control[Control.SHARED_PAGE]!; // plain: MAP_SHARED need not be seen at once on other vCPUs
    if (page !== 0 && vcpu < SHARED_PAGE_MAX_VCPUS) {
      const base = (page - 1) * PAGE_SIZE;
      this.writeCounter(base + sharedCounterOffset(vcpu, reason), count, this.counters[low + 1]!);
      this.writeCounter(base + sharedTotalOffset(vcpu), total, this.totals[vcpu * 2 + 1]!);
    }
  }

  /** A u64 in the shared page as two u32 halves, low first (spec section 7). */
  private writeCounter(at: number, low: number, high: number): void {
    this.memory.write32(gpa(at), low);
    this.memory.write32(gpa(at + 4), high);
  }

  /** Rewrite the MAP_SHARED page from the counters (after mapping it or a reset). */
  refreshSharedPage(): void {
    const page = Atomics.load(this.control, Control.SHARED_PAGE);
    if (page === 0) return;
    const counts = Array.from({ length: Math.min(this.vcpus, SHARED_PAGE_MAX_VCPUS) }, (_, v) => this.exitCounts(v).map(BigInt));
    const sequence = BigInt(Atomics.load(this.control, Control.SHARED_SEQUENCE));
    this.memory.writeBytes(gpa((page - 1) * PAGE_SIZE), encodeSharedPage({ sequence, totalVcpus: this.vcpus, counts, totals: counts.map((row) => row.reduce((a, b) => a + b, 0n)) }));
  }

  /** One counter, read without locking (the high word is re-read to rule out a carry in between). */
  exitCount(vcpu: number, reason: number): number {
    if (this.resetPending(vcpu)) return 0;
    const low = (vcpu * EXIT_REASON_COUNT + reason) * 2;
    for (;;) {
      const high = Atomics.load(this.counters, low + 1);
      const value = Atomics.load(this.counters, low);
      if (Atomics.load(this.counters, low + 1) === high) return high * 2 ** 32 + value;
    }
  }

  exitCounts(vcpu: number): number[] {
    const counts = new Array<number>(EXIT_REASON_COUNT);
    for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) counts[reason] = this.exitCount(vcpu, reason);
    return counts;
  }

  /**
   * Zero a vCPU's counters, from any thread. The vCPU is their only writer, so it is kicked to
   * zero them itself (`applyExitCountReset`) before it counts again; until then readers see zeros.
   * Every exit after this call is counted and none before it (the kick's own exit neither).
   */
  resetExitCounts(vcpu: number): void {
    Atomics.add(this.control, this.resetsAskedIndex(vcpu), 1);
    const sequence = Atomics.add(this.control, Control.SHARED_SEQUENCE, 1) + 1;
    // Only the header here: each row belongs to its vCPU, which rewrites it as it takes the reset.
    const page = Atomics.load(this.control, Control.SHARED_PAGE);
    if (page !== 0) writeSharedPageHeader(this.memory.slice(gpa((page - 1) * PAGE_SIZE), SharedPageHeader.size), this.vcpus, BigInt(sequence));
    this.kick(vcpu, Attention.RESET_COUNTERS);
  }

  private resetPending(vcpu: number): boolean {
    return Atomics.load(this.control, this.resetsAskedIndex(vcpu)) !== Atomics.load(this.control, this.resetsAppliedIndex(vcpu));
  }

  /** On the vCPU's own thread: zero its counters, then say so (readers see zeros until then). */
  applyExitCountReset(vcpu: number): void {
    const asked = Atomics.load(this.control, this.resetsAskedIndex(vcpu));
    if (asked === this.control[this.resetsAppliedIndex(vcpu)]) return;
    this.counters.fill(0, vcpu * EXIT_REASON_COUNT * 2, (vcpu + 1) * EXIT_REASON_COUNT * 2);
    this.totals.fill(0, vcpu * 2, vcpu * 2 + 2);
    Atomics.store(this.control, this.resetsAppliedIndex(vcpu), asked);
    const page = this.control[Control.SHARED_PAGE]!;
    if (page !== 0 && vcpu < SHARED_PAGE_MAX_VCPUS) {
      const base = (page - 1) * PAGE_SIZE;
      for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) this.writeCounter(base + sharedCounterOffset(vcpu, reason), 0, 0);
      this.writeCounter(base + sharedTotalOffset(vcpu), 0, 0);
    }
  }

  /** The newest consistent register snapshot of a vCPU (retry while its writer is inside the lock). */
  readSnapshot(vcpu: number): RegisterSnapshot {
    return this.decodeSnapshot(vcpu, this.readSnapshotSlots(vcpu));
  }

  /** A consistent copy of a vCPU's snapshot slots (Snap), for readers of the full state. */
  readSnapshotSlots(vcpu: number): BigUint64Array {
    const base = vcpu * SNAPSHOT_SLOTS;
    for (;;) {
      const before = Atomics.load(this.snapshotLocks, vcpu);
      if ((before & 1) !== 0) continue;
      const copy = this.snapshots.slice(base, base + SNAPSHOT_SLOTS);
      if (Atomics.load(this.snapshotLocks, vcpu) === before) return copy;
    }
  }

  /** The register snapshot in a copy of a vCPU's slots. */
  decodeSnapshot(vcpu: number, copy: BigUint64Array): RegisterSnapshot {
    const low = copy[Snap.SELECTORS_LOW]!;
    const high = copy[Snap.SELECTORS_HIGH]!;
    const sel = (value: bigint, shift: bigint): number => Number((value >> shift) & 0xffffn);
    const now = Atomics.load(this.control, this.runStateIndex(vcpu));
    return {
      vcpu,
      sequence: copy[Snap.SEQUENCE]!,
      state: RUN_STATES[now === RunStateCode.STOPPED ? now : Number(copy[Snap.RUN_STATE]!)] ?? 'not-started',
      lastExitReason: Number(copy[Snap.LAST_EXIT]!),
      gprs: Array.from(copy.subarray(Snap.GPRS, Snap.GPRS + 16)),
      rip: copy[Snap.RIP]!, rflags: copy[Snap.RFLAGS]!, cr0: copy[Snap.CR0]!, cr2: copy[Snap.CR2]!,
      cr3: copy[Snap.CR3]!, cr4: copy[Snap.CR4]!, efer: copy[Snap.EFER]!,
      cs: sel(low, 0n), ds: sel(low, 16n), es: sel(low, 32n), fs: sel(low, 48n), gs: sel(high, 0n), ss: sel(high, 16n),
      fsBase: copy[Snap.FS_BASE]!, gsBase: copy[Snap.GS_BASE]!,
      cpl: copy[Snap.CPL] === 3n ? 3 : 0,
    };
  }
}

/**
 * Add one to a [low, high] u32 pair; returns the new low half. The vCPU's own thread is the only
 * writer, so plain stores do (as a real VMM's per-CPU counters): aligned u32 elements never tear,
 * and readers take Atomics.load and re-read the high half. A locked add would double an exit's cost.
 */
function increment(cells: Uint32Array, low: number): number {
  const value = (cells[low]! + 1) >>> 0;
  cells[low] = value;
  if (value === 0) cells[low + 1] = (cells[low + 1]! + 1) >>> 0;
  return value;
}
