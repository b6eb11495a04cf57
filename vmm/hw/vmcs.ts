/**
 * The VMCS as this CPU models it (SDM Vol.3C chapter 25): the VMM's whole view of a vCPU at a VM
 * exit. Exit handlers read the exit-information fields, read and write the guest-state area and
 * the guest's general-purpose registers (which a real VMM's exit stub saves, as Ymir's
 * GuestRegisters), set execution controls, and request event injection for the next VM entry.
 * They never see the interpreter.
 *
 * A Vmcs is built over a CpuState and guest memory only, so a test can make one — set registers,
 * fill in an exit — and call an exit handler without executing a single instruction.
 */
import type { GuestMemory } from './memory.js';
import { type CpuState, SegAttr, TWO32 } from './state.js';
import { readRflags, setStatusFlags } from './flags.js';
import { STATUS_FLAGS } from './state.js';

/** Event types of interruption-information fields (SDM Vol.3C 25.8.3, Table 25-17). */
export const EventType = {
  EXTERNAL_INTERRUPT: 0,
  NMI: 2,
  HARDWARE_EXCEPTION: 3,
  SOFTWARE_INTERRUPT: 4,
  PRIVILEGED_SOFTWARE_EXCEPTION: 5,
  SOFTWARE_EXCEPTION: 6,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const INTERRUPTION_VALID = 2 ** 31;
export const INTERRUPTION_ERROR_CODE_VALID = 1 << 11;

/** Build an interruption-information word: vector, type, error-code-valid and valid bits. */
export function interruptionInfo(vector: number, type: EventType, hasErrorCode: boolean): number {
  return INTERRUPTION_VALID + ((vector & 0xff) | (type << 8) | (hasErrorCode ? INTERRUPTION_ERROR_CODE_VALID : 0));
}

export interface SegmentRegister {
  readonly selector: number;
  readonly base: bigint;
  readonly limit: number;
  /** Access rights in the VMCS format (type, S, DPL, P, AVL, L, D/B, G; bit 16 unusable). */
  readonly accessRights: number;
}

export class Vmcs {
  // --- VM-execution controls (SDM 25.6) ---------------------------------------------------------
  /** Bit n set: exception n causes an EXCEPTION_NMI exit instead of being delivered. */
  exceptionBitmap = 0;
  /** Primary processor-based controls this model implements, as booleans. */
  hltExiting = true;
  interruptWindowExiting = false;
  nmiWindowExiting = false;
  monitorTrapFlag = false;
  /** CR8 loads and stores exit (the VMM keeps the TPR in its local APIC). */
  cr8Exiting = true;
  /** The VMX-preemption timer, as an absolute deadline in performance.now() milliseconds. */
  preemptionDeadline = Number.POSITIVE_INFINITY;
  cr0GuestHostMask = 0;
  cr0ReadShadow = 0;
  cr4GuestHostMask = 0;
  cr4ReadShadow = 0;
  /**
   * MSR bitmap (SDM 25.6.9): a set bit makes RDMSR (reads) or WRMSR (writes) of that MSR exit.
   * 1024 bytes each for reads of 0..0x1FFF, reads of 0xC0000000..0xC0001FFF, then the same for writes.
   */
  readonly msrBitmap = new Uint8Array(4096).fill(0xff);

  // --- VM-exit information (SDM 25.9) ------------------------------------------------------------
  exitReason = 0;
  exitQualification = 0;
  exitInstructionLength = 0;
  exitInstructionInfo = 0;
  guestLinearAddress = 0;
  guestPhysicalAddress = 0;
  exitInterruptionInfo = 0;
  exitInterruptionErrorCode = 0;
  idtVectoringInfo = 0;
  idtVectoringErrorCode = 0;
  /** Set by the CPU where an exit is raised inside an instruction (an EPT violation), before it unwinds. */
  exitReasonPending = 0;
  exitQualificationPending = 0;

  // --- VM-entry controls for event injection (SDM 25.8.3) ----------------------------------------
  entryInterruptionInfo = 0;
  entryExceptionErrorCode = 0;
  entryInstructionLength = 0;

  /** Set when the VMM changed guest state the CPU derives things from (mode, paging). */
  guestStateChanged = false;

  constructor(readonly state: CpuState, readonly memory: GuestMemory) {}

  /** Whether an MSR access exits, per the bitmap (MSRs outside both ranges always exit). */
  msrExits(msr: number, write: boolean): boolean {
    let index: number;
    if (msr >= 0 && msr <= 0x1fff) index = msr;
    else if (msr >= 0xc0000000 && msr <= 0xc0001fff) index = 0x2000 + (msr - 0xc0000000);
    else return true;
    const byte = (write ? 2048 : 0) + (index >>> 3);
    return (this.msrBitmap[byte]! & (1 << (index & 7))) !== 0;
  }

  /** Clear (pass through) or set (intercept) an MSR's read and write bits. */
  interceptMsr(msr: number, intercept: boolean): void {
    const index = msr <= 0x1fff ? msr : 0x2000 + (msr - 0xc0000000);
    for (const base of [0, 2048]) {
      const byte = base + (index >>> 3);
      this.msrBitmap[byte] = intercept ? this.msrBitmap[byte]! | (1 << (index & 7)) : this.msrBitmap[byte]! & ~(1 << (index & 7));
    }
  }

  /** Ask for `vector` to be delivered at the next VM entry. */
  inject(vector: number, type: EventType, errorCode?: number): void {
    this.entryInterruptionInfo = interruptionInfo(vector, type, errorCode !== undefined);
    this.entryExceptionErrorCode = errorCode ?? 0;
  }

  get injectionPending(): boolean {
    return this.entryInterruptionInfo >= INTERRUPTION_VALID;
  }

  // --- guest registers (the VMM's saved copy of them) ---------------------------------------------
  gpr(n: number): bigint {
    return this.state.gpr(n);
  }
  setGpr(n: number, value: bigint): void {
    this.state.setGpr(n, value);
  }
  /** GPR n as a number: exact below 2^53 and for canonical addresses (negative as signed). */
  gprNumber(n: number): number {
    return this.state.gprNumber(n);
  }
  /** Unsigned bits 31:0 of GPR n. */
  gpr32(n: number): number {
    return this.state.r[n * 2]! >>> 0;
  }
  setGprNumber(n: number, value: number): void {
    this.state.setGprNumber(n, value);
  }
  /** Set GPR n to an unsigned 64-bit value given as a number below 2^53. */
  setGprUnsigned(n: number, value: number): void {
    this.state.r[n * 2] = value | 0;
    this.state.r[n * 2 + 1] = Math.floor(value / TWO32) | 0;
  }

  // --- guest-state area (SDM 25.4) ----------------------------------------------------------------
  get guestRip(): bigint {
    return BigInt.asUintN(64, BigInt(this.state.rip));
  }
  set guestRip(value: bigint) {
    this.state.rip = Number(BigInt.asIntN(64, value));
  }
  /** RIP as the CPU keeps it (a number; canonical addresses are exact). */
  get guestRipNumber(): number {
    return this.state.rip;
  }
  /** Step RIP past the instruction that exited (Ymir's stepNextInstruction). */
  advanceRip(): void {
    const s = this.state;
    s.rip = s.mode === 64 ? s.rip + this.exitInstructionLength : (s.rip + this.exitInstructionLength) % (s.mode === 32 ? TWO32 : 65536);
  }

  get guestRflags(): number {
    return readRflags(this.state);
  }
  set guestRflags(value: number) {
    setStatusFlags(this.state, value & STATUS_FLAGS);
    this.state.flags = (value & ~STATUS_FLAGS) | 2;
  }
  get guestCr0(): number {
    return this.state.cr0;
  }
  set guestCr0(value: number) {
    this.state.cr0 = value >>> 0;
    this.guestStateChanged = true;
  }
  get guestCr3(): number {
    return this.state.cr3;
  }
  set guestCr3(value: number) {
    this.state.cr3 = value;
    this.guestStateChanged = true;
  }
  get guestCr4(): number {
    return this.state.cr4;
  }
  set guestCr4(value: number) {
    this.state.cr4 = value >>> 0;
    this.guestStateChanged = true;
  }
  get guestCr2(): bigint {
    return this.state.cr2;
  }
  set guestCr2(value: bigint) {
    this.state.cr2 = value;
  }
  get guestEfer(): number {
    return this.state.efer;
  }
  set guestEfer(value: number) {
    this.state.efer = value;
    this.guestStateChanged = true;
  }
  get guestDr7(): bigint {
    return this.state.dr[5]!;
  }
  get guestCpl(): number {
    return this.state.cpl;
  }
  /** Bits of the guest's CR0 as the guest reads them (host-owned bits from the read shadow). */
  get guestVisibleCr0(): number {
    return ((this.state.cr0 & ~this.cr0GuestHostMask) | (this.cr0ReadShadow & this.cr0GuestHostMask)) >>> 0;
  }
  get guestVisibleCr4(): number {
    return ((this.state.cr4 & ~this.cr4GuestHostMask) | (this.cr4ReadShadow & this.cr4GuestHostMask)) >>> 0;
  }
  segment(seg: number): SegmentRegister {
    const s = this.state;
    return {
      selector: s.segSelector[seg]!,
      base: BigInt.asUintN(64, BigInt(s.segBase[seg]!)),
      limit: s.segLimit[seg]!,
      accessRights: s.segAttr[seg]!,
    };
  }
  get gdtr(): { readonly base: bigint; readonly limit: number } {
    return { base: BigInt.asUintN(64, BigInt(this.state.gdtrBase)), limit: this.state.gdtrLimit };
  }
  get idtr(): { readonly base: bigint; readonly limit: number } {
    return { base: BigInt.asUintN(64, BigInt(this.state.idtrBase)), limit: this.state.idtrLimit };
  }
  /** Whether an external interrupt could be delivered now (RFLAGS.IF and no STI/MOV SS blocking). */
  get interruptible(): boolean {
    return (this.state.flags & 0x200) !== 0 && !this.state.interruptShadow;
  }
  /** Long mode active (EFER.LMA: the "IA-32e mode guest" entry control). */
  get longMode(): boolean {
    return (this.state.efer & 0x400) !== 0;
  }
  get paging(): boolean {
    return (this.state.cr0 & 2 ** 31) !== 0;
  }
  /** The code segment is 64-bit (CS.L in long mode). */
  get codeIs64Bit(): boolean {
    return (this.state.segAttr[1]! & SegAttr.L) !== 0 && this.longMode;
  }
}
