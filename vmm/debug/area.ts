/**
 * The debugger's shared memory: what the main thread (vmm/debug/debugger.ts) and each vCPU thread
 * (vmm/debug/agent.ts) exchange, as the attention word and the register snapshots are exchanged.
 *
 * - Words: whether a debugger is attached, which vCPU reported the current stop first, and per
 *   vCPU its debug state (running or parked), the command the main thread gives it, why it parked,
 *   and which registers the main thread wrote while it was parked.
 * - Registers: a full set per vCPU, written by the vCPU as it parks, read and written by the main
 *   thread while it is parked, taken back (the written ones) as it leaves.
 * - Breakpoints and watchpoints: the linear addresses of software breakpoints (a vCPU asks "is
 *   this INT3 the debugger's?") and the watch table (kind, start, length) it checks EPT
 *   violations against, and how many breakpoints wait for their address to be mapped. Written by
 *   the main thread only while every vCPU is parked.
 * - EPT: per page, the permissions the VMM grants (`eptBase`, from PROTECT) and the bits the
 *   debugger takes away for watchpoints (`eptDeny`); the page's EPT byte is base & ~deny.
 */
import { PAGE_SIZE } from '../hw/address.js';
import { EptPerm } from '../hw/memory.js';

/** Register slots of the per-vCPU register set (u64 each). */
export const Reg = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
  RIP: 16, RFLAGS: 17,
  ES: 18, CS: 19, SS: 20, DS: 21, FS: 22, GS: 23,
  FS_BASE: 24, GS_BASE: 25,
  CR0: 26, CR2: 27, CR3: 28, CR4: 29, EFER: 30,
  /** Read-only: the CPL and the code size (16, 32, 64) the vCPU parked with. */
  CPL: 31, MODE: 32,
} as const;
export type Reg = (typeof Reg)[keyof typeof Reg];
export const REG_SLOTS = 40;
/** The slots a debugger may write (a bit each in the dirty mask). */
export const WRITABLE_REGS = Reg.EFER + 1;

/** A vCPU's debug state. */
export const DebugState = { RUNNING: 0, PARKED: 1 } as const;
/** What the main thread asks a parked vCPU to do. */
export const Command = { NONE: 0, CONTINUE: 1, STEP: 2 } as const;
/** Why a vCPU parked. NONE: it was asked to (another vCPU's stop, an interrupt). */
export const Cause = {
  NONE: 0,
  BREAKPOINT: 1,
  HW_BREAKPOINT: 2,
  WATCH_WRITE: 3,
  WATCH_READ: 4,
  WATCH_ACCESS: 5,
  STEP: 6,
  /**
   * Paging changed (a CR0 or CR4 write) while breakpoints wait for their address to be mapped: the
   * debugger sets the ones it now can and lets the VM go on, telling no one.
   */
  MAPPING: 7,
} as const;
export type Cause = (typeof Cause)[keyof typeof Cause];

/** Kinds of the watch table, as the Z packet numbers them (Z1 execute, Z2 write, Z3 read, Z4 access). */
export const WatchKind = { EXECUTE: 1, WRITE: 2, READ: 3, ACCESS: 4 } as const;
export type WatchKind = (typeof WatchKind)[keyof typeof WatchKind];

/** The EPT bits a watch of each kind takes away from its pages. */
export const WATCH_DENY: Record<WatchKind, number> = {
  [WatchKind.EXECUTE]: EptPerm.EXECUTE,
  [WatchKind.WRITE]: EptPerm.WRITE,
  [WatchKind.READ]: EptPerm.READ,
  [WatchKind.ACCESS]: EptPerm.READ | EptPerm.WRITE,
};

export const MAX_BREAKPOINTS = 256;
export const MAX_WATCHES = 16;

// Global words.
const ATTACHED = 0;
const EVENT = 1;
const BREAKPOINT_COUNT = 2;
const WATCH_COUNT = 3;
/** Breakpoints set at addresses not mapped yet. */
const UNMAPPED_COUNT = 4;
const GLOBAL_WORDS = 8;
// Per-vCPU words.
const STATE = 0;
const COMMAND = 1;
const CAUSE = 2;
const DIRTY = 3;
/** Index + 1 of the watch that matched (0: none). */
const WATCH = 4;
const VCPU_WORDS = 8;
// Floats: per vCPU the time it parked, then breakpoint addresses, then watch entries.
const WATCH_FIELDS = 3;

export interface DebugAreaHandles {
  readonly vcpus: number;
  readonly words: SharedArrayBuffer;
  readonly floats: SharedArrayBuffer;
  readonly registers: SharedArrayBuffer;
  readonly eptBase: SharedArrayBuffer;
  readonly eptDeny: SharedArrayBuffer;
}

export interface Watch {
  readonly kind: WatchKind;
  /** Linear address (a number: canonical addresses are exact). */
  readonly start: number;
  readonly length: number;
}

export class DebugArea {
  readonly vcpus: number;
  readonly words: Int32Array;
  private readonly floats: Float64Array;
  readonly registers: BigUint64Array;
  readonly eptBase: Uint8Array;
  readonly eptDeny: Uint8Array;

  static create(vcpus: number, memoryBytes: number): DebugArea {
    const pages = Math.ceil(memoryBytes / PAGE_SIZE);
    const eptBase = new SharedArrayBuffer(pages);
    new Uint8Array(eptBase).fill(EptPerm.ALL);
    return new DebugArea({
      vcpus,
      words: new SharedArrayBuffer((GLOBAL_WORDS + vcpus * VCPU_WORDS) * 4),
      floats: new SharedArrayBuffer((vcpus + MAX_BREAKPOINTS + MAX_WATCHES * WATCH_FIELDS) * 8),
      registers: new SharedArrayBuffer(vcpus * REG_SLOTS * 8),
      eptBase,
      eptDeny: new SharedArrayBuffer(pages),
    });
  }

  constructor(readonly handles: DebugAreaHandles) {
    this.vcpus = handles.vcpus;
    this.words = new Int32Array(handles.words);
    this.floats = new Float64Array(handles.floats);
    this.registers = new BigUint64Array(handles.registers);
    this.eptBase = new Uint8Array(handles.eptBase);
    this.eptDeny = new Uint8Array(handles.eptDeny);
  }

  get attached(): boolean {
    return Atomics.load(this.words, ATTACHED) !== 0;
  }
  set attached(value: boolean) {
    Atomics.store(this.words, ATTACHED, value ? 1 : 0);
  }

  /** Claim the current stop for `vcpu`: true for the first vCPU to report since the last resume. */
  claimEvent(vcpu: number): boolean {
    const won = Atomics.compareExchange(this.words, EVENT, 0, vcpu + 1) === 0;
    if (won) Atomics.notify(this.words, EVENT);
    return won;
  }
  /** The vCPU that claimed the current stop, or -1. */
  get eventVcpu(): number {
    return Atomics.load(this.words, EVENT) - 1;
  }
  clearEvent(): void {
    Atomics.store(this.words, EVENT, 0);
  }
  /** The word the main thread waits on for a claimed stop. */
  get eventIndex(): number {
    return EVENT;
  }

  stateIndex(vcpu: number): number {
    return GLOBAL_WORDS + vcpu * VCPU_WORDS + STATE;
  }
  commandIndex(vcpu: number): number {
    return GLOBAL_WORDS + vcpu * VCPU_WORDS + COMMAND;
  }
  state(vcpu: number): number {
    return Atomics.load(this.words, this.stateIndex(vcpu));
  }
  setState(vcpu: number, state: number): void {
    Atomics.store(this.words, this.stateIndex(vcpu), state);
    Atomics.notify(this.words, this.stateIndex(vcpu));
  }
  /** Give a parked vCPU a command and wake it. */
  command(vcpu: number, command: number): void {
    Atomics.store(this.words, this.commandIndex(vcpu), command);
    Atomics.notify(this.words, this.commandIndex(vcpu));
  }
  /** On the vCPU: take the command given, if any. */
  takeCommand(vcpu: number): number {
    return Atomics.exchange(this.words, this.commandIndex(vcpu), Command.NONE);
  }

  cause(vcpu: number): Cause {
    return Atomics.load(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + CAUSE) as Cause;
  }
  /** The watch a WATCH_* cause matched (its index in the table), or -1. */
  causeWatch(vcpu: number): number {
    return Atomics.load(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + WATCH) - 1;
  }
  setCause(vcpu: number, cause: Cause, watch = -1): void {
    Atomics.store(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + WATCH, watch + 1);
    Atomics.store(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + CAUSE, cause);
  }

  /** Host time (performance.timeOrigin + now(), ms) at which the vCPU last parked. */
  parkedAt(vcpu: number): number {
    return this.floats[vcpu]!;
  }
  setParkedAt(vcpu: number, ms: number): void {
    this.floats[vcpu] = ms;
  }

  // --- registers --------------------------------------------------------------------------------
  register(vcpu: number, reg: Reg): bigint {
    return this.registers[vcpu * REG_SLOTS + reg]!;
  }
  /** On the vCPU: publish a register as it parks. */
  publishRegister(vcpu: number, reg: Reg, value: bigint): void {
    this.registers[vcpu * REG_SLOTS + reg] = BigInt.asUintN(64, value);
  }
  /** On the main thread: write a register of a parked vCPU; it takes it as it leaves. */
  writeRegister(vcpu: number, reg: Reg, value: bigint): void {
    if (reg >= WRITABLE_REGS) throw new RangeError(`register slot ${reg} is read-only`);
    this.registers[vcpu * REG_SLOTS + reg] = BigInt.asUintN(64, value);
    Atomics.or(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + DIRTY, 1 << reg);
  }
  /** On the vCPU: the registers written while it was parked (a bit per slot), cleared. */
  takeDirty(vcpu: number): number {
    return Atomics.exchange(this.words, GLOBAL_WORDS + vcpu * VCPU_WORDS + DIRTY, 0);
  }

  // --- breakpoints and watches ------------------------------------------------------------------
  get breakpointCount(): number {
    return this.words[BREAKPOINT_COUNT]!;
  }
  /** Whether a software breakpoint is set at linear `address`. */
  hasBreakpoint(address: number): boolean {
    const base = this.vcpus;
    const count = this.words[BREAKPOINT_COUNT]!;
    for (let k = 0; k < count; k++) if (this.floats[base + k] === address) return true;
    return false;
  }
  setBreakpoints(addresses: readonly number[]): void {
    if (addresses.length > MAX_BREAKPOINTS) throw new RangeError(`at most ${MAX_BREAKPOINTS} software breakpoints`);
    this.floats.set(addresses, this.vcpus);
    Atomics.store(this.words, BREAKPOINT_COUNT, addresses.length);
  }

  /** Breakpoints waiting for their address to be mapped: a vCPU reports paging changes while there are any. */
  get unmappedBreakpoints(): number {
    return Atomics.load(this.words, UNMAPPED_COUNT);
  }
  set unmappedBreakpoints(count: number) {
    Atomics.store(this.words, UNMAPPED_COUNT, count);
  }

  get watchCount(): number {
    return this.words[WATCH_COUNT]!;
  }
  watch(k: number): Watch {
    const at = this.vcpus + MAX_BREAKPOINTS + k * WATCH_FIELDS;
    return { kind: this.floats[at]! as WatchKind, start: this.floats[at + 1]!, length: this.floats[at + 2]! };
  }
  setWatches(watches: readonly Watch[]): void {
    if (watches.length > MAX_WATCHES) throw new RangeError(`at most ${MAX_WATCHES} hardware breakpoints and watchpoints`);
    watches.forEach((w, k) => this.floats.set([w.kind, w.start, w.length], this.vcpus + MAX_BREAKPOINTS + k * WATCH_FIELDS));
    Atomics.store(this.words, WATCH_COUNT, watches.length);
  }
}
