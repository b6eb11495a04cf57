/**
 * The debugger core (main thread): all-stop control of a VM's vCPUs for the gdb server, the
 * monitor and the TUI. Every vCPU is stopped or every vCPU runs, except that one vCPU may execute a
 * single instruction (by the monitor trap flag) while the others stay stopped.
 *
 * Each vCPU thread parks itself (vmm/debug/agent.ts) — when asked, or when it hits a breakpoint,
 * a watchpoint or the end of a step — and while it is parked the main thread reads and writes its
 * registers in the debug area and reads and writes guest memory through its page tables. The
 * first vCPU to hit something stops the others.
 *
 * Breakpoints:
 * - software: an INT3 patched into guest memory (through GuestMemory, so decoded code is dropped),
 *   the original byte shown to memory reads, #BP intercepted by the exception bitmap;
 * - hardware breakpoints and watchpoints: by EPT permissions. The page loses execute, write or
 *   read permission and the vCPU checks each violation against the exact range. This costs
 *   nothing on other pages, so a VM with a debugger attached runs at full speed until it touches a
 *   watched page. (Debug registers would need the CPU to check every instruction: this CPU matches
 *   no DR0-3 address, and DR7 only makes it execute one instruction at a time.)
 *
 * Time: the VM's clock (TSC, APIC timer) is the host's time since VM start, shared by every
 * thread as `epoch`. On each resume the epoch moves forward by the time every vCPU spent
 * stopped, so the guest's clock does not see the stop; only the few microseconds between the
 * first and the last vCPU parking remain visible.
 */
import { DisSyntax, MAX_INSTRUCTION_BYTES } from '../../shell-protocol/constants.js';
import type { DisValue } from '../../shell-protocol/ops.js';
import { gpa } from '../hw/address.js';
import { type Bitness, disassembleBytes } from '../services/disassemble.js';
import { Attention } from '../hw/cpu.js';
import { Cr0 } from '../hw/state.js';
import type { StopReason } from '../monitor-api.js';
import { RunStateCode } from '../shared.js';
import type { Vm } from '../vm.js';
import { Cause, Command, DebugState, MAX_WATCHES, Reg, WATCH_DENY, type Watch, WatchKind } from './area.js';
import { type AddressSpace, physicalPieces, translateLinear } from './linear.js';

export type BreakpointKind = 'software' | 'hardware' | 'write' | 'read' | 'access';
export type WatchType = 'write' | 'read' | 'access';

export type DebugStop =
  | { readonly kind: 'breakpoint' | 'hw-breakpoint' | 'step' | 'interrupt'; readonly vcpu: number }
  | { readonly kind: 'watchpoint'; readonly vcpu: number; readonly watch: WatchType; readonly address: bigint }
  | { readonly kind: 'vm-stopped'; readonly reason: StopReason };

export type DebugStatus = 'running' | 'stopped' | 'exited';

/** A vCPU's registers while it is stopped. */
export interface DebugRegisters {
  /** RAX..R15 in SDM order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15). */
  readonly gprs: readonly bigint[];
  readonly rip: bigint;
  readonly rflags: bigint;
  readonly es: number;
  readonly cs: number;
  readonly ss: number;
  readonly ds: number;
  readonly fs: number;
  readonly gs: number;
  readonly fsBase: bigint;
  readonly gsBase: bigint;
  readonly cr0: bigint;
  readonly cr2: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly cpl: number;
  /** Code size: 16, 32 or 64. */
  readonly mode: Bitness;
}

/** Registers a debugger may write, by name. */
export const REGISTER_SLOTS = {
  rax: Reg.RAX, rcx: Reg.RCX, rdx: Reg.RDX, rbx: Reg.RBX, rsp: Reg.RSP, rbp: Reg.RBP, rsi: Reg.RSI, rdi: Reg.RDI,
  r8: Reg.R8, r9: Reg.R9, r10: Reg.R10, r11: Reg.R11, r12: Reg.R12, r13: Reg.R13, r14: Reg.R14, r15: Reg.R15,
  rip: Reg.RIP, rflags: Reg.RFLAGS, es: Reg.ES, cs: Reg.CS, ss: Reg.SS, ds: Reg.DS, fs: Reg.FS, gs: Reg.GS,
  fs_base: Reg.FS_BASE, gs_base: Reg.GS_BASE, cr0: Reg.CR0, cr2: Reg.CR2, cr3: Reg.CR3, cr4: Reg.CR4, efer: Reg.EFER,
} as const;
export type RegisterName = keyof typeof REGISTER_SLOTS;

export type DebugErrorCode = 'not-stopped' | 'exited' | 'no-vcpu' | 'unmapped' | 'full' | 'invalid';

export class DebugError extends Error {
  override readonly name = 'DebugError';
  constructor(readonly code: DebugErrorCode, message: string) {
    super(message);
  }
}

export function isDebugError(error: unknown): error is DebugError {
  return error instanceof Error && error.name === 'DebugError';
}

const WATCH_KINDS: Record<Exclude<BreakpointKind, 'software'>, WatchKind> = {
  hardware: WatchKind.EXECUTE, write: WatchKind.WRITE, read: WatchKind.READ, access: WatchKind.ACCESS,
};
const WATCH_TYPES: Partial<Record<Cause, WatchType>> = { [Cause.WATCH_WRITE]: 'write', [Cause.WATCH_READ]: 'read', [Cause.WATCH_ACCESS]: 'access' };
const INT3 = 0xcc;
const PAGE = 4096;
/** The longest watched range (x86 debug registers watch 8 bytes; a page-based watch can do more). */
export const MAX_WATCH_LENGTH = 4096;
/** How often waits look again at a VM that may have stopped under them. */
const WAIT_SLICE_MS = 50;

interface SoftwareBreakpoint {
  readonly address: bigint;
  readonly physical: number;
  original: number;
}

interface WatchEntry {
  readonly kind: WatchKind;
  readonly address: bigint;
  readonly length: number;
  /** Guest-physical pages the range lies on. */
  readonly pages: readonly number[];
}

const debuggers = new WeakMap<Vm, Debugger>();

/** The one debugger of a VM (made on first use, attached). */
export function debuggerFor(vm: Vm): Debugger {
  let d = debuggers.get(vm);
  if (!d) {
    d = new Debugger(vm);
    debuggers.set(vm, d);
  }
  d.attach();
  return d;
}

/** A VM's debugger if one was made, without attaching one (for the TUI's status line). */
export function existingDebugger(vm: Vm): Debugger | undefined {
  return debuggers.get(vm);
}

export class Debugger {
  private status: DebugStatus = 'running';
  private vmStop: StopReason | undefined;
  /** The stop being waited for while running (every caller gets the same one). */
  private pending: Promise<DebugStop> | undefined;
  private interruptRequested = false;
  private wakeInterrupt: () => void = () => undefined;
  private last: DebugStop | undefined;
  private readonly software = new Map<bigint, SoftwareBreakpoint>();
  /**
   * Breakpoints at addresses no page table maps yet (gdb's `break kernel_main` while the guest
   * still runs with paging off): set as soon as a stop or a paging change finds them mapped.
   */
  private readonly unmapped = new Map<bigint, 'software' | 'hardware'>();
  private watches: WatchEntry[] = [];
  /** Pages whose EPT permissions the watches took from, as last applied. */
  private denied = new Set<number>();
  private readonly listeners = new Set<(stop: DebugStop | undefined) => void>();
  /** The address of the gdb that holds this debugger while it is connected: the TUI leaves its stops to it. */
  client: string | undefined;

  constructor(readonly vm: Vm) {
    void vm.waitForStop().then((reason) => {
      this.vmStop = reason;
      this.status = 'exited';
      this.wakeInterrupt();
      this.notify({ kind: 'vm-stopped', reason });
    });
  }

  get vcpus(): number {
    return this.vm.config.vcpus;
  }

  get state(): DebugStatus {
    return this.status;
  }

  /** Whether the VM has stopped (a getter: it changes under an await). */
  private get exited(): boolean {
    return this.status === 'exited';
  }

  /** The last stop, while stopped. */
  get lastStop(): DebugStop | undefined {
    return this.status === 'stopped' ? this.last : undefined;
  }

  /** Told of every stop (a DebugStop) and every resume (undefined): for the TUI's status line. */
  onChange(listener: (stop: DebugStop | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(stop: DebugStop | undefined): void {
    for (const listener of this.listeners) listener(stop);
  }

  /** Intercept breakpoints from the next resume on (the vCPUs take it as they leave their stop). */
  attach(): void {
    this.vm.shared.debug.attached = true;
  }

  // --- run control ------------------------------------------------------------------------------

  /** Stop every vCPU; resolves with the stop once all are stopped (or at once if they are). */
  interrupt(): Promise<DebugStop> {
    if (this.status === 'exited') return Promise.resolve({ kind: 'vm-stopped', reason: this.vmStop! });
    if (this.status === 'stopped') return Promise.resolve(this.last!);
    if (this.pending === undefined) this.pending = this.waitForStop();
    this.interruptRequested = true;
    for (let v = 0; v < this.vcpus; v++) this.vm.shared.kick(v, Attention.DEBUG);
    this.wakeInterrupt();
    return this.pending;
  }

  /** Continue every vCPU (each first steps off a breakpoint at its RIP); resolves at the next stop. */
  async continue(): Promise<DebugStop> {
    this.assertStopped();
    const pending = this.takePendingStop();
    if (pending) return pending;
    for (let v = 0; v < this.vcpus; v++) {
      const lifted = this.liftBreakpointAt(v);
      if (lifted === undefined) continue;
      const stop = await this.stepVcpu(v).finally(lifted);
      if (stop.kind !== 'step') return stop;
    }
    return this.release(Array.from({ length: this.vcpus }, (_, v) => v), Command.CONTINUE);
  }

  /** Execute one instruction on `vcpu` while every other vCPU stays stopped. */
  async step(vcpu: number): Promise<DebugStop> {
    this.assertStopped();
    this.checkVcpu(vcpu);
    const pending = this.takePendingStop();
    if (pending) return pending;
    const lifted = this.liftBreakpointAt(vcpu);
    return lifted === undefined ? this.stepVcpu(vcpu) : this.stepVcpu(vcpu).finally(lifted);
  }

  /** The stop that follows (resolves at once when stopped). */
  nextStop(): Promise<DebugStop> {
    if (this.status === 'exited') return Promise.resolve({ kind: 'vm-stopped', reason: this.vmStop! });
    if (this.status === 'stopped') return Promise.resolve(this.last!);
    this.pending ??= this.waitForStop();
    return this.pending;
  }

  /** Remove every breakpoint and watchpoint and let the VM run without a debugger. */
  async detach(): Promise<void> {
    if (this.status === 'exited') return;
    if (this.status === 'running') await this.interrupt();
    if (this.state !== 'stopped') return;
    for (const address of [...this.software.keys()]) this.removeBreakpoint('software', address, 1);
    this.unmapped.clear();
    this.vm.shared.debug.unmappedBreakpoints = 0;
    this.watches = [];
    this.applyWatches();
    this.vm.shared.debug.attached = false;
    void this.release(Array.from({ length: this.vcpus }, (_, v) => v), Command.CONTINUE);
  }

  private stepVcpu(vcpu: number): Promise<DebugStop> {
    return this.release([vcpu], Command.STEP);
  }

  /** Resume `vcpus` with `command`; resolves at the next stop. */
  private release(vcpus: readonly number[], command: number): Promise<DebugStop> {
    this.resume(vcpus, command);
    this.interruptRequested = false;
    this.pending = this.waitForStop();
    this.notify(undefined);
    return this.pending;
  }

  /** Let `vcpus` go on with `command`, the guest's clock skipping the time they were stopped. */
  private resume(vcpus: readonly number[], command: number): void {
    const { shared } = this.vm;
    const area = shared.debug;
    // The guest's clock skips the time every vCPU was stopped.
    let parked = 0;
    for (let v = 0; v < this.vcpus; v++) parked = Math.max(parked, area.parkedAt(v));
    const now = performance.timeOrigin + performance.now();
    if (shared.epoch[0] !== 0 && parked > 0) shared.epoch[0] = shared.epoch[0]! + Math.max(0, now - parked);
    area.clearEvent();
    for (let v = 0; v < this.vcpus; v++) {
      area.setCause(v, Cause.NONE);
      Atomics.and(shared.control, shared.attentionIndex(v), ~Attention.DEBUG);
    }
    this.status = 'running';
    this.last = undefined;
    for (const v of vcpus) {
      area.setState(v, DebugState.RUNNING);
      area.command(v, command);
    }
  }

  /** A stop another vCPU reported after the first (a step or a watched access): reported before running again. */
  private takePendingStop(): DebugStop | undefined {
    const area = this.vm.shared.debug;
    for (let v = 0; v < this.vcpus; v++) {
      const cause = area.cause(v);
      if (cause === Cause.MAPPING) area.setCause(v, Cause.NONE); // this stop set what it could
      if (cause === Cause.NONE || cause === Cause.MAPPING) continue;
      const stop = this.describe(v);
      area.setCause(v, Cause.NONE);
      this.last = stop;
      this.notify(stop);
      return stop;
    }
    return undefined;
  }

  private async waitForStop(): Promise<DebugStop> {
    const area = this.vm.shared.debug;
    for (;;) {
      await this.untilParked();
      const first = area.eventVcpu;
      if (this.exited || first < 0 || area.cause(first) !== Cause.MAPPING || this.interruptRequested) break;
      // Paging changed under breakpoints waiting for a mapping: set those it maps, go on unseen.
      this.status = 'stopped';
      this.setMappedBreakpoints();
      area.setCause(first, Cause.NONE);
      this.resume(Array.from({ length: this.vcpus }, (_, v) => v), Command.CONTINUE);
    }
    this.pending = undefined;
    if (this.exited) return { kind: 'vm-stopped', reason: this.vmStop! };
    const first = area.eventVcpu;
    let stop: DebugStop;
    if (first >= 0) {
      stop = this.describe(first);
      area.setCause(first, Cause.NONE);
    } else stop = { kind: 'interrupt', vcpu: 0 };
    this.status = 'stopped';
    this.setMappedBreakpoints();
    this.last = stop;
    this.notify(stop);
    return stop;
  }

  /** Until a vCPU reported a stop (or one was asked for) and every vCPU is parked, or the VM stopped. */
  private async untilParked(): Promise<void> {
    const area = this.vm.shared.debug;
    const interrupted = new Promise<void>((resolve) => { this.wakeInterrupt = resolve; });
    while (area.eventVcpu < 0 && !this.interruptRequested && !this.exited) {
      const wait = Atomics.waitAsync(area.words, area.eventIndex, 0, WAIT_SLICE_MS);
      if (wait.async) await Promise.race([wait.value, interrupted]);
    }
    for (let v = 0; v < this.vcpus && !this.exited; v++) {
      while (area.state(v) !== DebugState.PARKED && !this.exited && this.vm.runState(v) !== 'stopped') {
        const wait = Atomics.waitAsync(area.words, area.stateIndex(v), DebugState.RUNNING, WAIT_SLICE_MS);
        if (wait.async) await wait.value;
      }
    }
  }

  /** Set the breakpoints waiting for a mapping that vCPU 0's page tables now map. */
  private setMappedBreakpoints(): void {
    for (const [address, kind] of this.unmapped) {
      if (this.translate(0, address) === undefined) continue;
      this.unmapped.delete(address);
      this.addBreakpoint(kind, address, 1);
    }
    this.vm.shared.debug.unmappedBreakpoints = this.unmapped.size;
  }

  private describe(vcpu: number): DebugStop {
    const area = this.vm.shared.debug;
    const cause = area.cause(vcpu);
    const watch = WATCH_TYPES[cause];
    if (watch !== undefined) {
      const entry = area.watch(area.causeWatch(vcpu));
      return { kind: 'watchpoint', vcpu, watch, address: BigInt.asUintN(64, BigInt(entry.start)) };
    }
    const kinds: Partial<Record<Cause, 'breakpoint' | 'hw-breakpoint' | 'step'>> = {
      [Cause.BREAKPOINT]: 'breakpoint', [Cause.HW_BREAKPOINT]: 'hw-breakpoint', [Cause.STEP]: 'step',
    };
    return { kind: kinds[cause] ?? 'interrupt', vcpu };
  }

  /**
   * If `vcpu` is stopped on a breakpoint (software or hardware), take that breakpoint out so it
   * can step off it; returns what puts it back, or undefined when there is none at its RIP.
   */
  private liftBreakpointAt(vcpu: number): (() => void) | undefined {
    const rip = this.registers(vcpu).rip;
    const sw = this.software.get(rip);
    if (sw !== undefined && this.vm.shared.memory.read8(gpa(sw.physical)) === INT3) {
      this.vm.shared.memory.write8(gpa(sw.physical), sw.original);
      return () => this.vm.shared.memory.write8(gpa(sw.physical), INT3);
    }
    const hw = this.watches.findIndex((w) => w.kind === WatchKind.EXECUTE && w.address === rip);
    if (hw < 0) return undefined;
    const entry = this.watches[hw]!;
    this.watches.splice(hw, 1);
    this.applyWatches();
    return () => {
      this.watches.splice(hw, 0, entry);
      this.applyWatches();
    };
  }

  // --- registers and memory ---------------------------------------------------------------------

  registers(vcpu: number): DebugRegisters {
    this.assertStopped();
    this.checkVcpu(vcpu);
    const area = this.vm.shared.debug;
    const r = (reg: Reg): bigint => area.register(vcpu, reg);
    return {
      gprs: Array.from({ length: 16 }, (_, n) => r(n as Reg)),
      rip: r(Reg.RIP), rflags: r(Reg.RFLAGS),
      es: Number(r(Reg.ES)), cs: Number(r(Reg.CS)), ss: Number(r(Reg.SS)), ds: Number(r(Reg.DS)), fs: Number(r(Reg.FS)), gs: Number(r(Reg.GS)),
      fsBase: r(Reg.FS_BASE), gsBase: r(Reg.GS_BASE),
      cr0: r(Reg.CR0), cr2: r(Reg.CR2), cr3: r(Reg.CR3), cr4: r(Reg.CR4), efer: r(Reg.EFER),
      cpl: Number(r(Reg.CPL)), mode: Number(r(Reg.MODE)) as Bitness,
    };
  }

  /** Write a register of a stopped vCPU (it takes the value as it resumes). */
  setRegister(vcpu: number, name: RegisterName, value: bigint): void {
    this.assertStopped();
    this.checkVcpu(vcpu);
    this.vm.shared.debug.writeRegister(vcpu, REGISTER_SLOTS[name], value);
  }

  private space(vcpu: number): AddressSpace {
    const r = this.registers(vcpu);
    return { memory: this.vm.shared.memory, cr3: (Number(r.cr0 & 0xffffffffn) & Cr0.PG) !== 0 ? Number(r.cr3 & 0xffffffffff000n) : undefined };
  }

  /** Guest-physical address of `address` through `vcpu`'s page tables, or undefined. */
  translate(vcpu: number, address: bigint): number | undefined {
    return translateLinear(this.space(vcpu), address);
  }

  /**
   * Read guest-virtual memory through `vcpu`'s page tables, up to the first unmapped byte (an empty
   * result when the first one is). Software breakpoints read as the bytes they replaced.
   */
  readMemory(vcpu: number, address: bigint, length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) throw new DebugError('invalid', `bad length ${length}`);
    const memory = this.vm.shared.memory;
    const pieces = physicalPieces(this.space(vcpu), address, length);
    const last = pieces.at(-1);
    const out = new Uint8Array(last === undefined ? 0 : last.offset + last.length);
    for (const piece of pieces) {
      const bytes = out.subarray(piece.offset, piece.offset + piece.length);
      memory.readBytes(gpa(piece.physical), bytes);
      this.hideBreakpoints(piece.physical, bytes);
    }
    return out;
  }

  /** `bytes`, read from guest-physical `physical`, with each software breakpoint's INT3 put back to the byte it replaced. */
  hideBreakpoints(physical: number, bytes: Uint8Array): void {
    for (const bp of this.software.values()) {
      if (bp.physical >= physical && bp.physical < physical + bytes.length) bytes[bp.physical - physical] = bp.original;
    }
  }

  /**
   * What to write at guest-physical `physical` for `bytes` to be the guest's: a byte under a
   * software breakpoint becomes the byte the breakpoint will restore, and the INT3 stays.
   */
  keepBreakpoints(physical: number, bytes: Uint8Array): Uint8Array {
    const out = bytes.slice();
    for (const bp of this.software.values()) {
      const at = bp.physical - physical;
      if (at >= 0 && at < out.length) {
        bp.original = out[at]!;
        out[at] = INT3;
      }
    }
    return out;
  }

  /**
   * Write guest-virtual memory through `vcpu`'s page tables: all of it, or nothing when a page is
   * unmapped. A byte under a software breakpoint becomes the byte the breakpoint will restore.
   */
  writeMemory(vcpu: number, address: bigint, data: Uint8Array): void {
    const memory = this.vm.shared.memory;
    const pieces = physicalPieces(this.space(vcpu), address, data.length);
    const written = pieces.reduce((n, p) => n + p.length, 0);
    if (written < data.length) throw new DebugError('unmapped', `0x${BigInt.asUintN(64, address + BigInt(written)).toString(16)} is not mapped`);
    for (const piece of pieces) memory.writeBytes(gpa(piece.physical), this.keepBreakpoints(piece.physical, data.subarray(piece.offset, piece.offset + piece.length)));
  }

  /**
   * Disassemble `count` instructions at `address` as the guest's code is (breakpoints not shown),
   * in the vCPU's code size.
   */
  disassemble(vcpu: number, address: bigint, count: number, syntax: DisSyntax = DisSyntax.ATT): DisValue | undefined {
    if (!Number.isInteger(count) || count < 1 || count > 256) throw new DebugError('invalid', `bad instruction count ${count}`);
    const bytes = this.readMemory(vcpu, address, count * MAX_INSTRUCTION_BYTES);
    return disassembleBytes(bytes, { address: BigInt.asUintN(64, address), count, syntax }, this.registers(vcpu).mode);
  }

  // --- breakpoints ------------------------------------------------------------------------------

  /** Set a breakpoint or watchpoint at guest-virtual `address` (translated by `vcpu`'s page tables). */
  addBreakpoint(kind: BreakpointKind, address: bigint, length: number, vcpu = 0): void {
    this.assertStopped();
    address = BigInt.asUintN(64, address);
    if (kind === 'software') {
      if (this.software.has(address)) return;
      const physical = this.translate(vcpu, address);
      if (physical === undefined) return this.addUnmapped('software', address);
      if (this.software.size >= 256) throw new DebugError('full', 'no room for another software breakpoint');
      const memory = this.vm.shared.memory;
      const original = memory.read8(gpa(physical));
      memory.write8(gpa(physical), INT3);
      this.software.set(address, { address, physical, original });
      this.publishBreakpoints();
      return;
    }
    const watchKind = WATCH_KINDS[kind];
    if (kind === 'hardware') length = 1;
    if (!Number.isInteger(length) || length < 1 || length > MAX_WATCH_LENGTH) throw new DebugError('invalid', `a watched range is 1 to ${MAX_WATCH_LENGTH} bytes, not ${length}`);
    if (this.watches.some((w) => w.kind === watchKind && w.address === address && w.length === length)) return;
    if (this.watches.length >= MAX_WATCHES) throw new DebugError('full', `at most ${MAX_WATCHES} hardware breakpoints and watchpoints`);
    const pages: number[] = [];
    const space = this.space(vcpu);
    for (let at = address & ~0xfffn; at < address + BigInt(length); at += BigInt(PAGE)) {
      const physical = translateLinear(space, at);
      if (physical === undefined && kind === 'hardware') return this.addUnmapped('hardware', address);
      if (physical === undefined) throw new DebugError('unmapped', `0x${BigInt.asUintN(64, at).toString(16)} is not mapped`);
      pages.push(Math.floor(physical / PAGE));
    }
    this.watches.push({ kind: watchKind, address, length, pages });
    this.applyWatches();
  }

  /**
   * A breakpoint at an address no page maps yet: kept until one does (QEMU's gdbstub matches a
   * breakpoint by the address of each instruction; this one needs the page to patch or to watch).
   * Data watchpoints are refused instead: a guest maps its data long after gdb could watch it.
   */
  private addUnmapped(kind: 'software' | 'hardware', address: bigint): void {
    if (this.unmapped.size >= MAX_WATCHES) throw new DebugError('full', `at most ${MAX_WATCHES} breakpoints waiting for their address to be mapped`);
    this.unmapped.set(address, kind);
    this.vm.shared.debug.unmappedBreakpoints = this.unmapped.size;
  }

  /** Remove a breakpoint; false when there was none like it. */
  removeBreakpoint(kind: BreakpointKind, address: bigint, length: number): boolean {
    this.assertStopped();
    address = BigInt.asUintN(64, address);
    if ((kind === 'software' || kind === 'hardware') && this.unmapped.get(address) === kind) {
      this.unmapped.delete(address);
      this.vm.shared.debug.unmappedBreakpoints = this.unmapped.size;
      return true;
    }
    if (kind === 'software') {
      const bp = this.software.get(address);
      if (!bp) return false;
      const memory = this.vm.shared.memory;
      // The guest may have rewritten the byte since: only our INT3 is put back.
      if (memory.read8(gpa(bp.physical)) === INT3) memory.write8(gpa(bp.physical), bp.original);
      this.software.delete(address);
      this.publishBreakpoints();
      return true;
    }
    const watchKind = WATCH_KINDS[kind];
    const index = this.watches.findIndex((w) => w.kind === watchKind && w.address === address && (kind === 'hardware' || w.length === length));
    if (index < 0) return false;
    this.watches.splice(index, 1);
    this.applyWatches();
    return true;
  }

  /** Breakpoints and watchpoints set, for the TUI's code pane and `info`. */
  breakpoints(): { readonly kind: BreakpointKind; readonly address: bigint; readonly length: number }[] {
    const kinds: Record<WatchKind, BreakpointKind> = { [WatchKind.EXECUTE]: 'hardware', [WatchKind.WRITE]: 'write', [WatchKind.READ]: 'read', [WatchKind.ACCESS]: 'access' };
    return [
      ...[...this.software.keys()].map((address) => ({ kind: 'software' as const, address, length: 1 })),
      ...[...this.unmapped].map(([address, kind]) => ({ kind, address, length: 1 })),
      ...this.watches.map((w) => ({ kind: kinds[w.kind], address: w.address, length: w.length })),
    ];
  }

  private publishBreakpoints(): void {
    this.vm.shared.debug.setBreakpoints([...this.software.keys()].map((a) => Number(BigInt.asIntN(64, a))));
  }

  /** Publish the watch table and take from each watched page the EPT permissions its watches need. */
  private applyWatches(): void {
    const shared = this.vm.shared;
    const area = shared.debug;
    const table: Watch[] = this.watches.map((w) => ({ kind: w.kind, start: Number(BigInt.asIntN(64, w.address)), length: w.length }));
    area.setWatches(table);
    const deny = new Map<number, number>([...this.denied].map((page) => [page, 0]));
    for (const w of this.watches) for (const page of w.pages) deny.set(page, (deny.get(page) ?? 0) | WATCH_DENY[w.kind]);
    this.denied = new Set([...deny].filter(([, bits]) => bits !== 0).map(([page]) => page));
    shared.lockEpt(() => {
      for (const [page, bits] of deny) {
        area.eptDeny[page] = bits;
        shared.memory.setEptPermissions(page, 1, area.eptBase[page]! & ~bits);
      }
    });
  }

  // --- checks -----------------------------------------------------------------------------------

  private assertStopped(): void {
    if (this.status === 'exited') throw new DebugError('exited', 'the VM has stopped');
    if (this.status !== 'stopped') throw new DebugError('not-stopped', 'the VM is running: stop it first');
  }

  private checkVcpu(vcpu: number): void {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpus) throw new DebugError('no-vcpu', `no vCPU ${vcpu}: the VM has ${this.vcpus}`);
  }

  /** Whether a vCPU sits in HLT (for thread names). */
  halted(vcpu: number): boolean {
    return Atomics.load(this.vm.shared.control, this.vm.shared.runStateIndex(vcpu)) === RunStateCode.HALTED;
  }
}
