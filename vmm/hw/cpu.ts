/**
 * One logical processor in VMX non-root operation: the run loop that fetches decoded blocks from
 * the code cache and executes them, the preemption points where the host and the VMX-preemption
 * timer can take the CPU back, and VM exit and entry. An exit runs the VMM's handler on this
 * thread, as VMX does on the same core; entry then delivers any event the VMM injected.
 *
 * Faults inside an instruction unwind to the run loop (a thrown sentinel), which raises the
 * exception with RIP at the faulting instruction; nothing the guest does throws anything else.
 */
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { EXIT, FAULT, Kind, TLB_ENTRIES, TLB_MASK, flushTlb, translate } from './access.js';
import { CodeCache, type Block } from './code-cache.js';
import { GuestCodeSource } from './decoder.js';
import { type Event, raise } from './events.js';
import { JIT_THRESHOLD, compileBlock } from './jit.js';
import type { GuestMemory } from './memory.js';
import { WalkResult } from './paging.js';
import { CpuState, Flag, Seg, TWO32 } from './state.js';
import { type Descriptor, updateMode } from './system.js';
import { EventType, INTERRUPTION_VALID, Vmcs } from './vmcs.js';

/** What runs at each VM exit: the VMM ("host RIP" in the VMCS). */
export interface ExitHandler {
  handleExit(vmcs: Vmcs): void;
}

/** Bits of the per-vCPU attention word the host sets (Atomics.or) to make a running vCPU exit. */
export const Attention = {
  /** A host-side interrupt source (serial receive) raised an IRQ. */
  IRQ: 1,
  PAUSE: 2,
  STOP: 4,
  /** The monitor wants a fresh register snapshot. */
  SNAPSHOT: 8,
  /** STATS_RESET asked for this vCPU's exit counters to be zeroed (by it: it is their only writer). */
  RESET_COUNTERS: 16,
  /** Another vCPU sent this one an IPI. */
  IPI: 32,
  /** The debugger wants this vCPU stopped. */
  DEBUG: 64,
} as const;

export interface CpuOptions {
  readonly memory: GuestMemory;
  /** The shared word the host sets to kick this vCPU (an external-interrupt exit), at `attentionIndex`. */
  readonly attention: Int32Array;
  readonly attentionIndex: number;
  readonly handler: ExitHandler;
  /** Nanoseconds since the VM started: the TSC (1 GHz). */
  readonly clock: () => number;
  /** Told once per RIP about an instruction or state the model does not implement. */
  readonly onUnsupported?: (message: string) => void;
  /** Compile hot blocks into JavaScript (hw/jit.ts); off, every instruction is interpreted. */
  readonly jit?: boolean;
}

/** Blocks between two preemption points (host kicks, shared invalidations). */
const BLOCKS_PER_POLL = 64;
/** Preemption points between two reads of the clock for the preemption timer. */
const TIMER_POLL_PERIOD = 16;

export class Cpu extends CpuState {
  readonly memory: GuestMemory;
  readonly vmcs: Vmcs;
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly atomic8: Uint8Array;
  readonly atomic16: Uint16Array;
  readonly atomic64: BigInt64Array;

  // The TLB (hw/access.ts): tags per access kind, two privilege sets.
  readonly tlbRead = new Float64Array(TLB_ENTRIES * 2).fill(NaN);
  readonly tlbWrite = new Float64Array(TLB_ENTRIES * 2).fill(NaN);
  readonly tlbFetch = new Float64Array(TLB_ENTRIES * 2).fill(NaN);
  readonly tlbAddend = new Float64Array(TLB_ENTRIES * 2);
  tlbSet = 0;
  private epochSeen = 0;
  /** Bumped whenever cached translations are dropped: block links made before it are stale. */
  translationEpoch = 0;
  /** The block that just ran to its end, for linking its successor (undefined after any event). */
  private previous: Block | undefined = undefined;

  // Scratch results of helpers that produce more than one number.
  memHi = 0;
  eaHi = 0;
  resHi = 0;
  mulHi = 0;
  shLo = 0;
  shHi = 0;
  readonly product = new Int32Array(4);
  readonly walkResult = new WalkResult();
  readonly scratchDescriptor: Descriptor = { lo: 0, hi: 0 };

  /** SS.B: the stack is 32-bit outside 64-bit mode. */
  stackSize32 = false;
  /** Set by a store into a page whose code this block was decoded from: stop after this instruction. */
  stopBlock = false;

  // The exception being raised (hw/access.ts fault()).
  faultVector = 0;
  faultErrorCode = -1;
  faultAddress = 0;
  /** Vector being delivered (32: an interrupt or software event), -1 when none: for #DF (events.ts). */
  delivering = -1;
  readonly deliveringEvent: Event = { vector: 0, type: EventType.HARDWARE_EXCEPTION, errorCode: -1, returnRip: 0 };

  /** Instructions retired since reset. */
  retired = 0;
  readonly decodeSource: GuestCodeSource = new GuestCodeSource(this);
  readonly codeCache: CodeCache;
  private handler: ExitHandler;
  private readonly attention: Int32Array;
  private readonly attentionIndex: number;
  readonly clock: () => number;
  private readonly onUnsupported: (message: string) => void;
  private readonly reported = new Set<number>();
  private timerPoll = TIMER_POLL_PERIOD;
  private readonly jit: boolean;

  constructor(options: CpuOptions) {
    super();
    this.memory = options.memory;
    this.bytes = options.memory.bytes;
    this.dv = options.memory.view;
    const buffer = options.memory.bytes.buffer;
    this.atomic8 = new Uint8Array(buffer);
    this.atomic16 = new Uint16Array(buffer, 0, Math.floor(buffer.byteLength / 2));
    this.atomic64 = new BigInt64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.vmcs = new Vmcs(this, options.memory);
    this.attention = options.attention;
    this.attentionIndex = options.attentionIndex;
    this.handler = options.handler;
    this.clock = options.clock;
    this.onUnsupported = options.onUnsupported ?? (() => undefined);
    this.jit = options.jit ?? true;
    this.codeCache = new CodeCache(this);
    updateMode(this);
  }

  setExitHandler(handler: ExitHandler): void {
    this.handler = handler;
  }

  /** The TSC: nanoseconds since the VM started plus the VMCS TSC offset. */
  tsc(): number {
    return this.clock() + this.tscOffset;
  }

  /** The linear address of RIP (CS's base outside 64-bit mode). */
  get linearRip(): number {
    return this.mode === 64 ? this.rip : (this.segBase[Seg.CS]! + this.rip) % TWO32;
  }

  // --- VM exit and entry -------------------------------------------------------------------------

  /** A VM exit: fill the exit information, run the VMM, then VM entry. */
  vmExit(reason: number, qualification: number, length: number, instructionInfo = 0): void {
    this.previous = undefined;
    const v = this.vmcs;
    v.exitReason = reason;
    v.exitQualification = qualification;
    v.exitInstructionLength = length;
    v.exitInstructionInfo = instructionInfo;
    this.handler.handleExit(v);
    this.vmEntry();
  }

  /** VMLAUNCH: enter the guest with the state the VMM set up, and run it. */
  launch(limit = Number.POSITIVE_INFINITY): void {
    this.vmcs.guestStateChanged = true;
    this.vmEntry();
    this.run(limit);
  }

  /** VM entry: take up guest state the VMM changed, then deliver the injected event (SDM 27.6). */
  private vmEntry(): void {
    const v = this.vmcs;
    v.idtVectoringInfo = 0;
    // The VMM may have changed EPT permissions in this exit (PROTECT): entry sees them at once.
    this.takeInvalidations();
    if (v.guestStateChanged) {
      v.guestStateChanged = false;
      flushTlb(this);
      updateMode(this);
    }
    this.refreshSingleStep();
    if (v.entryInterruptionInfo < INTERRUPTION_VALID) return;
    const info = v.entryInterruptionInfo;
    v.entryInterruptionInfo = 0;
    const vector = info & 0xff;
    const type = ((info >>> 8) & 7) as EventType;
    const hasError = (info & (1 << 11)) !== 0;
    const software = type === EventType.SOFTWARE_INTERRUPT || type === EventType.SOFTWARE_EXCEPTION || type === EventType.PRIVILEGED_SOFTWARE_EXCEPTION;
    const returnRip = software ? this.rip + v.entryInstructionLength : this.rip;
    if (type === EventType.EXTERNAL_INTERRUPT || type === EventType.NMI) this.interruptShadow = false;
    raise(this, vector, type, hasError ? v.entryExceptionErrorCode : -1, returnRip);
  }

  /** Drop cached translations if EPT permissions or code pages changed anywhere (an INVEPT). */
  private takeInvalidations(): void {
    const epoch = this.memory.epoch[0]!;
    if (epoch === this.epochSeen) return;
    this.epochSeen = epoch;
    flushTlb(this);
  }

  /** A preemption point: host kicks, the preemption timer, shared TLB invalidations. */
  private poll(): void {
    if (this.attention[this.attentionIndex] !== 0) this.vmExit(ExitReason.EXTERNAL_INTERRUPT, 0, 0);
    if (--this.timerPoll <= 0) {
      this.timerPoll = TIMER_POLL_PERIOD;
      if (performance.now() >= this.vmcs.preemptionDeadline) this.vmExit(ExitReason.PREEMPTION_TIMER, 0, 0);
    }
    this.takeInvalidations();
    if (this.vmcs.interruptWindowExiting && (this.flags & Flag.IF) !== 0 && !this.interruptShadow) this.vmExit(ExitReason.INTERRUPT_WINDOW, 0, 0);
  }

  /** Recompute `singleStep` from what it stands for. */
  private refreshSingleStep(): void {
    this.singleStep = this.vmcs.monitorTrapFlag || this.interruptShadow || this.breakpointsEnabled;
  }

  /**
   * Run guest code until `limit` more instructions have retired, or forever (the VMM leaves by
   * throwing out of an exit handler, as the vCPU thread's shutdown does).
   */
  run(limit = Number.POSITIVE_INFINITY): void {
    const end = this.retired + limit;
    const attention = this.attention;
    const epoch = this.memory.epoch;
    while (this.retired < end) {
      this.poll();
      for (let n = 0; n < BLOCKS_PER_POLL && this.retired < end; n++) {
        // What must be seen at once: a host kick, another vCPU's EPT change, an open interrupt window.
        if (attention[this.attentionIndex] !== 0 || epoch[0] !== this.epochSeen) break;
        if (this.vmcs.interruptWindowExiting && (this.flags & Flag.IF) !== 0 && !this.interruptShadow) break;
        if (this.singleStep || (this.flags & Flag.TF) !== 0) this.stepOne();
        else this.runBlock();
      }
    }
  }

  /** Execute one instruction (or deliver one pending event), then the exits that follow it. */
  stepOne(): void {
    const shadow = this.interruptShadow;
    const trap = (this.flags & Flag.TF) !== 0;
    const start = this.retired;
    try {
      const block = this.codeCache.lookup();
      const i = block.insns[0]!;
      this.rip = i.rip;
      this.stopBlock = false;
      i.exec(this, i);
      if (!block.transfersAt0) this.rip = i.next;
      this.retired++;
    } catch (error) {
      this.unwind(error);
    }
    if (shadow) this.interruptShadow = false;
    this.refreshSingleStep();
    if (trap && this.retired > start) {
      // TF: a single-step trap (#DB, DR6.BS) after the instruction (SDM 17.3.1.4).
      this.dr[4] = this.dr[4]! | (1n << 14n);
      raise(this, 1, EventType.HARDWARE_EXCEPTION, -1, this.rip);
    }
    if (this.vmcs.monitorTrapFlag) this.vmExit(ExitReason.MONITOR_TRAP_FLAG, 0, 0);
  }

  /** The block at RIP: a successor linked to the block that just ended, or a cache lookup. */
  private nextBlock(): Block {
    const previous = this.previous;
    const epoch = this.translationEpoch;
    if (previous !== undefined && previous.linkEpoch === epoch) {
      const rip = this.rip;
      const generations = this.memory.pageGenerations;
      const a = previous.next0;
      if (a !== undefined && a.linear === rip && a.mode === this.mode && a.cpl === this.cpl && a.generation === generations[a.page]) return a;
      const b = previous.next1;
      if (b !== undefined && b.linear === rip && b.mode === this.mode && b.cpl === this.cpl && b.generation === generations[b.page]) return b;
    }
    const block = this.codeCache.lookup();
    if (previous !== undefined && this.mode === 64 && !block.uncached) {
      if (previous.linkEpoch !== epoch) {
        previous.linkEpoch = epoch;
        previous.next0 = block;
        previous.next1 = undefined;
      } else if (previous.next0 === undefined || previous.next0.linear === block.linear) previous.next0 = block;
      else previous.next1 = block;
    }
    return block;
  }

  private runBlock(): void {
    let block: Block;
    try {
      block = this.nextBlock();
    } catch (error) {
      this.previous = undefined;
      this.unwind(error);
      return;
    }
    this.previous = undefined;
    const compiled = block.compiled;
    if (compiled !== undefined) {
      try {
        compiled(this);
        if (!block.uncached) this.previous = block;
      } catch (error) {
        this.unwind(error);
      }
      return;
    }
    if (++block.hits === JIT_THRESHOLD && this.jit && block.mode === 64 && !block.uncached) block.compiled = compileBlock(block);
    const insns = block.insns;
    const last = insns.length - 1;
    let k = 0;
    this.stopBlock = false;
    try {
      for (; k < last; k++) {
        const i = insns[k]!;
        i.exec(this, i);
        if (this.stopBlock) {
          this.rip = i.next;
          this.retired += k + 1;
          return;
        }
      }
      const i = insns[last]!;
      this.rip = i.rip;
      i.exec(this, i);
      if (!block.transfers) this.rip = i.next;
      this.retired += insns.length;
      if (!block.uncached) this.previous = block;
    } catch (error) {
      this.retired += k;
      this.rip = insns[k]!.rip;
      this.unwind(error);
    }
  }

  /** An instruction was abandoned: raise its exception, or take the exit it asked for. */
  private unwind(error: unknown): void {
    if (error === FAULT) {
      raise(this, this.faultVector, EventType.HARDWARE_EXCEPTION, this.faultErrorCode, this.rip, this.faultAddress);
    } else if (error === EXIT) {
      const v = this.vmcs;
      this.vmExit(v.exitReasonPending, v.exitQualificationPending, this.currentLength());
    } else {
      throw error;
    }
  }

  /** Length of the instruction at RIP (for exits raised inside it), 0 if it cannot be decoded. */
  private currentLength(): number {
    try {
      return this.codeCache.lookup().insns[0]!.length;
    } catch {
      return 0;
    }
  }

  /** Physical address of code at linear `linear` (a fetch: may fault). */
  fetchAddress(linear: number): number {
    const vpn = Math.floor(linear / 4096);
    const slot = (vpn & TLB_MASK) | this.tlbSet;
    if (this.tlbFetch[slot] === vpn) return linear + this.tlbAddend[slot]!;
    return translate(this, linear, Kind.FETCH, this.cpl === 3);
  }

  /** Log (once per RIP) that the guest used something the model does not implement. */
  reportUnsupported(what: string): void {
    const rip = this.linearRip;
    if (this.reported.has(rip)) return;
    if (this.reported.size < 4096) this.reported.add(rip);
    this.onUnsupported(`${what} at rip=0x${CpuState.linearBig(rip).toString(16)}`);
  }
}
