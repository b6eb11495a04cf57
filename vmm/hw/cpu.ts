/**
 * The modelled CPU in VMX non-root operation: it implements the guest-facing instruction interface
 * (guest-cpu.ts) and, on every exiting instruction, fills the exit information and runs the VMM's
 * exit handler on the same thread, then performs VM entry (delivering any injected event).
 */
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { type Gpa, type Gva, checkedAdd, gva as toGva, hex } from './address.js';
import {
  type CpuidResult, type GuestCpu, type InterruptHandler, RFLAGS_IF, Reg, type SyscallEntry, Vector,
} from './guest-cpu.js';
import { EptPerm, type GuestMemory } from './memory.js';
import { type AccessKind, accessFault, pageFaultError, walk } from './mmu.js';
import {
  CR0_PG, CR0_WP, CrAccessType, EFER_NXE, EptQual, EventType, ExitInformation, KERNEL_CS, KERNEL_DS,
  IO_OPERAND_KEEP, IO_OPERAND_MASK, RegisterFile, Seg, SysReg, USER_CS, USER_DS, crQualification, ioQualification,
} from './registers.js';

/** What runs at each VM exit: the VMM's handler ("host RIP" in the VMCS). */
export interface ExitHandler {
  handleExit(cpu: Cpu): void;
}

/**
 * Thrown by the VMM out of an exit to end guest execution on this vCPU (VM stop). Guest code
 * never catches it: the guest's catch blocks only take the guest's own error classes.
 */
export class VcpuShutdown extends Error {
  override readonly name = 'VcpuShutdown';
  constructor() {
    super('the vCPU left guest mode: the VM is stopping');
  }
}

/** Bits of the per-vCPU attention word that the host sets (Atomics.or) to kick a running vCPU. */
export const Attention = {
  /** A host-side interrupt source (serial receive) raised an IRQ. */
  IRQ: 1,
  PAUSE: 2,
  STOP: 4,
  /** The monitor wants a fresh register snapshot. */
  SNAPSHOT: 8,
  /** STATS_RESET asked for this vCPU's exit counters to be zeroed (by it: it is their only writer). */
  RESET_COUNTERS: 16,
} as const;

/** Exceptions that push an error code (SDM Vol.3A 6.13). */
const PUSHES_ERROR_CODE = new Set<number>([Vector.DF, Vector.TS, Vector.NP, Vector.SS, Vector.GP, Vector.PF, Vector.AC]);
/** Instruction calls between two reads of the clock for the preemption timer. */
const TIMER_POLL_PERIOD = 256;
const NO_DEADLINE = Number.POSITIVE_INFINITY;
/** RAX..R15. */
const GPR_COUNT = 16;
/** 0..15 bytes (SDM: an instruction is at most 15 bytes) as bigints, made once: RIP moves at every instruction. */
const INSTRUCTION_LENGTHS = Array.from({ length: 16 }, (_, n) => BigInt(n));

export class Cpu implements GuestCpu {
  readonly regs = new RegisterFile();
  readonly exit = new ExitInformation();
  /** CR0/CR4 guest/host masks and read shadows (SDM Vol.3C 25.6.6). */
  cr0Mask = 0n;
  cr0Shadow = 0n;
  cr4Mask = 0n;
  cr4Shadow = 0n;
  /** VMX-preemption timer as an absolute performance.now() deadline. */
  timerDeadline = NO_DEADLINE;
  /** Interrupt-window exiting: exit as soon as the guest can take an interrupt (RFLAGS.IF set). */
  interruptWindowExiting = false;

  private idt: ReadonlyMap<number, InterruptHandler> = new Map();
  private syscallEntry: SyscallEntry | undefined;
  private timerPoll = TIMER_POLL_PERIOD;
  /** Small TLB: virtual page number -> physical frame and permission flags. */
  private readonly tlb = new Map<bigint, { frame: bigint; flags: number }>();

  constructor(
    readonly index: number,
    readonly memory: GuestMemory,
    /** The shared word the host sets to kick this vCPU, at `attentionIndex`. */
    private readonly attention: Int32Array,
    private readonly attentionIndex: number,
    private handler: ExitHandler,
  ) {}

  setExitHandler(handler: ExitHandler): void {
    this.handler = handler;
  }

  get(reg: Reg): bigint {
    return this.regs.values[reg]!;
  }
  set(reg: Reg, value: bigint): void {
    if (reg === Reg.RIP) throw new RangeError('RIP is written by control transfers, not MOV');
    this.regs.values[reg] = value; // a BigUint64Array element: the store wraps modulo 2^64
  }
  get cpl(): 0 | 3 {
    return this.regs.cpl;
  }
  get interruptsEnabled(): boolean {
    return (this.regs.values[Reg.RFLAGS]! & RFLAGS_IF) !== 0n;
  }

  // --- VM exit and entry ---------------------------------------------------------------------

  /** A VM exit with the given information, the handler, then VM entry. */
  private vmExit(reason: number, qualification: number, instructionLength: number): void {
    const e = this.exit;
    e.basicReason = reason;
    e.qualification = qualification;
    e.instructionLength = instructionLength;
    this.handler.handleExit(this);
    this.vmEntry();
  }

  /** VM entry: deliver the event the VMM injected, if any (SDM Vol.3C 27.6). */
  private vmEntry(): void {
    const e = this.exit;
    if (e.injectVector < 0) return;
    const vector = e.injectVector;
    const errorCode = e.injectErrorCode;
    e.injectVector = -1;
    e.injectErrorCode = undefined;
    this.raise(vector, e.injectType === EventType.EXTERNAL_INTERRUPT ? undefined : errorCode, undefined);
  }

  /** Advance RIP past the instruction that exited (the VMM calls this, as Ymir's stepNextInstruction). */
  stepNextInstruction(): void {
    this.advance(this.exit.instructionLength);
  }

  /** Preemption point at every instruction: host kicks and the preemption timer cause exits. */
  private poll(): void {
    if (Atomics.load(this.attention, this.attentionIndex) !== 0) {
      this.vmExit(ExitReason.EXTERNAL_INTERRUPT, 0, 0);
    } else if (--this.timerPoll <= 0) {
      this.timerPoll = TIMER_POLL_PERIOD;
      if (performance.now() >= this.timerDeadline) this.vmExit(ExitReason.PREEMPTION_TIMER, 0, 0);
    }
  }

  /** The store wraps RIP modulo 2^64 (a BigUint64Array element); the lengths are ready-made bigints. */
  private advance(length: number): void {
    this.regs.values[Reg.RIP] = this.regs.values[Reg.RIP]! + INSTRUCTION_LENGTHS[length]!;
  }

  // --- event delivery ------------------------------------------------------------------------

  /** Deliver a vector through the IDT; #DF when it has no handler, triple fault when #DF has none. */
  raise(vector: number, errorCode: number | undefined, faultAddress: bigint | undefined): void {
    if (vector === Vector.PF && faultAddress !== undefined) this.regs.values[SysReg.CR2] = faultAddress;
    if (this.idt.has(vector)) {
      this.callHandler(vector, PUSHES_ERROR_CODE.has(vector) ? (errorCode ?? 0) : undefined, faultAddress);
    } else if (vector !== Vector.DF && this.idt.has(Vector.DF)) {
      this.callHandler(Vector.DF, 0, undefined);
    } else {
      this.vmExit(ExitReason.TRIPLE_FAULT, 0, 0);
    }
  }

  /**
   * Enter an IDT handler at CPL 0 with interrupts off. Returning is IRET: the interrupted state
   * comes back. A throw unwinds into the interrupted code (how a kernel delivers a signal or kills a
   * process), so the interrupted context is restored then too: whoever catches it runs in it.
   * The general-purpose registers are saved and restored around the handler as a kernel's entry
   * code does (pt_regs): guest handlers are TypeScript whose instructions use RAX, RCX and RDX.
   */
  private callHandler(vector: number, errorCode: number | undefined, faultAddress: bigint | undefined): void {
    const handler = this.idt.get(vector)!;
    const values = this.regs.values;
    const selectors = this.regs.selectors;
    const savedCs = selectors[Seg.CS]!;
    const savedSs = selectors[Seg.SS]!;
    const savedFlags = values[Reg.RFLAGS]!;
    const rip = values[Reg.RIP]!;
    const cpl = this.regs.cpl;
    const savedGprs = values.slice(0, GPR_COUNT);
    selectors[Seg.CS] = KERNEL_CS;
    selectors[Seg.SS] = KERNEL_DS;
    values[Reg.RFLAGS] = savedFlags & ~RFLAGS_IF;
    try {
      handler({ vector, errorCode, faultAddress, rip, cpl });
    } finally {
      values.set(savedGprs);
      selectors[Seg.CS] = savedCs;
      selectors[Seg.SS] = savedSs;
      values[Reg.RFLAGS] = savedFlags;
      values[Reg.RIP] = rip;
    }
  }

  // --- exiting instructions ------------------------------------------------------------------

  cpuid(leaf: number, subleaf = 0): CpuidResult {
    this.poll();
    const v = this.regs.values;
    v[Reg.RAX] = BigInt(leaf >>> 0);
    v[Reg.RCX] = BigInt(subleaf >>> 0);
    this.vmExit(ExitReason.CPUID, 0, 2);
    return {
      eax: Number(v[Reg.RAX]! & 0xffffffffn),
      ebx: Number(v[Reg.RBX]! & 0xffffffffn),
      ecx: Number(v[Reg.RCX]! & 0xffffffffn),
      edx: Number(v[Reg.RDX]! & 0xffffffffn),
    };
  }

  private portIn(port: number, size: 1 | 2 | 4): number {
    this.poll();
    const immediate = port < 0x100;
    const v = this.regs.values;
    v[Reg.RDX] = (v[Reg.RDX]! & IO_OPERAND_KEEP[2]) | BigInt(port & 0xffff); // DX holds the port
    this.vmExit(ExitReason.IO_INSTRUCTION, ioQualification(port, size, true, immediate), immediate ? 2 : 1);
    return Number(v[Reg.RAX]! & IO_OPERAND_MASK[size]);
  }

  private portOut(port: number, size: 1 | 2 | 4, value: number): void {
    this.poll();
    const immediate = port < 0x100;
    const v = this.regs.values;
    v[Reg.RAX] = (v[Reg.RAX]! & IO_OPERAND_KEEP[size]) | (BigInt(value >>> 0) & IO_OPERAND_MASK[size]);
    v[Reg.RDX] = (v[Reg.RDX]! & IO_OPERAND_KEEP[2]) | BigInt(port & 0xffff); // DX holds the port
    this.vmExit(ExitReason.IO_INSTRUCTION, ioQualification(port, size, false, immediate), immediate ? 2 : 1);
  }

  in8(port: number): number { return this.portIn(port, 1); }
  in16(port: number): number { return this.portIn(port, 2); }
  in32(port: number): number { return this.portIn(port, 4); }
  out8(port: number, value: number): void { this.portOut(port, 1, value); }
  out16(port: number, value: number): void { this.portOut(port, 2, value); }
  out32(port: number, value: number): void { this.portOut(port, 4, value); }

  rdmsr(msr: number): bigint {
    this.poll();
    const v = this.regs.values;
    v[Reg.RCX] = BigInt(msr >>> 0);
    this.vmExit(ExitReason.MSR_READ, 0, 2);
    return ((v[Reg.RDX]! & 0xffffffffn) << 32n) | (v[Reg.RAX]! & 0xffffffffn);
  }

  wrmsr(msr: number, value: bigint): void {
    this.poll();
    const v = this.regs.values;
    v[Reg.RCX] = BigInt(msr >>> 0);
    v[Reg.RAX] = value & 0xffffffffn;
    v[Reg.RDX] = (value >> 32n) & 0xffffffffn;
    this.vmExit(ExitReason.MSR_WRITE, 0, 2);
  }

  writeCr(cr: 0 | 3 | 4, value: bigint): void {
    this.poll();
    if (cr === 3) {
      // CR3-load exiting is off (EPT): the load happens in the guest and flushes the TLB.
      this.regs.values[SysReg.CR3] = BigInt.asUintN(64, value);
      this.tlb.clear();
      this.advance(3);
      return;
    }
    this.regs.values[Reg.RAX] = BigInt.asUintN(64, value);
    this.vmExit(ExitReason.CR_ACCESS, crQualification(cr, CrAccessType.MOV_TO_CR, Reg.RAX), 3);
    this.tlb.clear();
  }

  readCr(cr: 0 | 2 | 3 | 4): bigint {
    this.poll();
    this.advance(3);
    const v = this.regs.values;
    switch (cr) {
      case 0: return (v[SysReg.CR0]! & ~this.cr0Mask) | (this.cr0Shadow & this.cr0Mask);
      case 4: return (v[SysReg.CR4]! & ~this.cr4Mask) | (this.cr4Shadow & this.cr4Mask);
      case 2: return v[SysReg.CR2]!;
      case 3: return v[SysReg.CR3]!;
    }
  }

  hlt(): void {
    this.poll();
    this.vmExit(ExitReason.HLT, 0, 1);
  }

  vmcall(): void {
    this.poll();
    this.vmExit(ExitReason.VMCALL, 0, 3);
  }

  // --- instructions that do not exit ---------------------------------------------------------

  sti(): void {
    this.poll();
    this.regs.values[Reg.RFLAGS] = this.regs.values[Reg.RFLAGS]! | RFLAGS_IF;
    this.advance(1);
    if (this.interruptWindowExiting) this.vmExit(ExitReason.INTERRUPT_WINDOW, 0, 0);
  }

  cli(): void {
    this.poll();
    this.regs.values[Reg.RFLAGS] = this.regs.values[Reg.RFLAGS]! & ~RFLAGS_IF;
    this.advance(1);
  }

  rdtsc(): bigint {
    this.poll();
    this.advance(2);
    // A 1 GHz invariant TSC: nanoseconds of the host's monotonic clock.
    return BigInt(Math.round(performance.now() * 1e6));
  }

  pause(): void {
    this.poll();
    this.advance(2);
  }

  lidt(table: ReadonlyMap<number, InterruptHandler>): void {
    this.poll();
    this.idt = new Map(table);
    this.advance(7);
  }

  setSyscallEntry(entry: SyscallEntry): void {
    this.syscallEntry = entry;
    this.advance(2);
  }

  syscall(): void {
    this.poll();
    const entry = this.syscallEntry;
    if (entry === undefined || this.cpl !== 3) {
      this.raise(Vector.UD, undefined, undefined);
      return;
    }
    const selectors = this.regs.selectors;
    const rip = this.regs.values[Reg.RIP]! + 2n;
    selectors[Seg.CS] = KERNEL_CS;
    selectors[Seg.SS] = KERNEL_DS;
    try {
      entry();
    } finally {
      // SYSRET, or the unwinding of a process the kernel ended: back in the user context either way.
      selectors[Seg.CS] = USER_CS;
      selectors[Seg.SS] = USER_DS;
      this.regs.values[Reg.RIP] = BigInt.asUintN(64, rip);
    }
  }

  enterUser<T>(entry: () => T): T {
    const selectors = this.regs.selectors;
    const values = this.regs.values;
    const savedFlags = values[Reg.RFLAGS]!;
    const savedRip = values[Reg.RIP]!;
    selectors[Seg.CS] = USER_CS;
    selectors[Seg.SS] = USER_DS;
    values[Reg.RFLAGS] = savedFlags | RFLAGS_IF;
    values[Reg.RIP] = USER_TEXT;
    try {
      return entry();
    } finally {
      selectors[Seg.CS] = KERNEL_CS;
      selectors[Seg.SS] = KERNEL_DS;
      values[Reg.RFLAGS] = savedFlags;
      values[Reg.RIP] = savedRip;
    }
  }

  // --- memory through the MMU ----------------------------------------------------------------

  private accessKind(write: boolean): AccessKind {
    const v = this.regs.values;
    return {
      write,
      fetch: false,
      cpl: this.regs.cpl,
      writeProtect: (v[SysReg.CR0]! & CR0_WP) !== 0n,
      noExecuteEnabled: (v[SysReg.EFER]! & EFER_NXE) !== 0n,
    };
  }

  private pagingEnabled(): boolean {
    return (this.regs.values[SysReg.CR0]! & CR0_PG) !== 0n;
  }

  /**
   * Translate one address for an access that stays inside one page, raising #PF/#GP in the guest
   * (and retrying after the handler returns) until it succeeds. EPT denial is a VM exit; returns
   * undefined when the VMM skipped the access.
   */
  private translate(address: Gva, write: boolean): Gpa | undefined {
    for (;;) {
      const vpn = address >> 12n;
      const cached = this.tlb.get(vpn);
      let frame: bigint;
      let flags: number;
      if (cached) {
        frame = cached.frame;
        flags = cached.flags;
      } else {
        const result = walk(this.memory, this.pagingEnabled() ? this.regs.values[SysReg.CR3]! : undefined, toGva(address & ~0xfffn));
        if (!result.ok) {
          if (result.fault === 'non-canonical') this.raise(Vector.GP, 0, undefined);
          else if (result.fault === 'not-present') this.raise(Vector.PF, pageFaultError(false, this.accessKind(write)), address);
          else if (!this.eptViolation(result.gpa, address, write)) return undefined;
          continue;
        }
        frame = result.gpa;
        flags = result.flags;
        this.tlb.set(vpn, { frame, flags });
      }
      const error = accessFault(flags, this.accessKind(write));
      if (error !== 0) {
        this.raise(Vector.PF, error, address);
        continue;
      }
      const physical = (frame | (address & 0xfffn)) as Gpa;
      const needed = write ? EptPerm.WRITE : EptPerm.READ;
      if (this.memory.contains(physical, 1) && (this.memory.eptPermissions(physical) & needed) !== 0) return physical;
      if (!this.eptViolation(physical, address, write)) return undefined;
    }
  }

  /** An EPT violation exit. True when the VMM wants the access retried, false when it skipped it. */
  private eptViolation(physical: Gpa, linear: bigint, write: boolean): boolean {
    const e = this.exit;
    const ripBefore = this.regs.values[Reg.RIP]!;
    const perms = this.memory.contains(physical, 1) ? this.memory.eptPermissions(physical) : 0;
    e.guestPhysicalAddress = physical;
    e.guestLinearAddress = linear;
    const qualification =
      (write ? EptQual.WRITE : EptQual.READ) |
      ((perms & EptPerm.READ) !== 0 ? EptQual.READABLE : 0) |
      ((perms & EptPerm.WRITE) !== 0 ? EptQual.WRITABLE : 0) |
      ((perms & EptPerm.EXECUTE) !== 0 ? EptQual.EXECUTABLE : 0) |
      EptQual.LINEAR_VALID;
    this.vmExit(ExitReason.EPT_VIOLATION, qualification, 4);
    return this.regs.values[Reg.RIP] === ripBefore;
  }

  /** Run `each` over the page-sized pieces of [address, address + length). */
  private pieces(address: Gva, length: number, write: boolean, each: (physical: Gpa, offset: number, size: number) => void): void {
    this.poll();
    this.advance(4);
    let offset = 0;
    while (offset < length) {
      const at = checkedAdd(address, offset);
      if (at === undefined) {
        this.raise(Vector.GP, 0, undefined);
        return;
      }
      const size = Math.min(length - offset, 4096 - Number(at & 0xfffn));
      const physical = this.translate(at, write);
      if (physical !== undefined) each(physical, offset, size);
      offset += size;
    }
  }

  // Each access gets its own bytes: a #PF handler may run in the middle and access memory too.
  private readScalar(address: Gva, size: 1 | 2 | 4 | 8): DataView {
    const bytes = new Uint8Array(8);
    this.readBytes(address, bytes.subarray(0, size));
    return new DataView(bytes.buffer);
  }

  private writeScalar(address: Gva, size: 1 | 2 | 4 | 8, fill: (view: DataView) => void): void {
    const bytes = new Uint8Array(8);
    fill(new DataView(bytes.buffer));
    this.writeBytes(address, bytes.subarray(0, size));
  }

  read8(address: Gva): number { return this.readScalar(address, 1).getUint8(0); }
  read16(address: Gva): number { return this.readScalar(address, 2).getUint16(0, true); }
  read32(address: Gva): number { return this.readScalar(address, 4).getUint32(0, true); }
  read64(address: Gva): bigint { return this.readScalar(address, 8).getBigUint64(0, true); }
  write8(address: Gva, value: number): void { this.writeScalar(address, 1, (v) => v.setUint8(0, value)); }
  write16(address: Gva, value: number): void { this.writeScalar(address, 2, (v) => v.setUint16(0, value, true)); }
  write32(address: Gva, value: number): void { this.writeScalar(address, 4, (v) => v.setUint32(0, value >>> 0, true)); }
  write64(address: Gva, value: bigint): void { this.writeScalar(address, 8, (v) => v.setBigUint64(0, BigInt.asUintN(64, value), true)); }

  // A load or store is an instruction like any other: a preemption point, so a guest spinning on
  // memory with interrupts off still reaches the VMM (preemption timer) and can be stopped.
  readBytes(address: Gva, out: Uint8Array): void {
    this.poll();
    this.pieces(address, out.length, false, (physical, offset, n) => this.memory.readBytes(physical, out.subarray(offset, offset + n)));
  }
  writeBytes(address: Gva, bytes: Uint8Array): void {
    this.poll();
    this.pieces(address, bytes.length, true, (physical, offset, n) => this.memory.writeBytes(physical, bytes.subarray(offset, offset + n)));
  }

  /** For messages: where the vCPU is. */
  describe(): string {
    return `vCPU ${this.index} rip=${hex(this.regs.values[Reg.RIP]!)} cpl=${this.cpl}`;
  }
}

/** Where user programs' text notionally starts (the model's RIP on entry to user mode). */
export const USER_TEXT = 0x401000n;
