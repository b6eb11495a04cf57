/**
 * The guest-facing side of a modelled x86-64 CPU in VMX non-root operation.
 *
 * This is everything guest code (the guest kernel in `guest/`, programs such as ymirsh) may touch:
 * the register file, the instructions, and memory through the MMU. It is the boundary the design
 * keeps sacred: guest code never imports the hypervisor, and the hypervisor only sees what an
 * exiting instruction leaves in registers, guest memory and the VMCS-like exit information.
 *
 * Instructions that cause a VM exit (CPUID, IN/OUT, RDMSR/WRMSR, MOV to CR, HLT, VMCALL, an
 * EPT-violating access) run the VMM's exit handler synchronously on the same thread, then VM entry
 * delivers any pending event (interrupt or exception) to the guest's IDT handler before the call
 * returns. RIP advances past an exiting instruction only when the VMM says so.
 */
import type { Gva } from './address.js';

/** Register numbers of the register file (GPRs in the SDM's encoding order, then the rest). */
export const Reg = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
  RIP: 16, RFLAGS: 17,
} as const;
export type Reg = (typeof Reg)[keyof typeof Reg];

/** RFLAGS bits the model acts on (SDM Vol.1 3.4.3). */
export const RFLAGS_IF = 1n << 9n;

/** Exception vectors (SDM Vol.3A 6.3.1). */
export const Vector = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13,
  PF: 14, MF: 16, AC: 17, MC: 18, XM: 19,
} as const;

/** What the CPU pushes for a handler: the interrupted context, as an interrupt frame would hold it. */
export interface InterruptFrame {
  readonly vector: number;
  /** Present for exceptions that push one (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
  readonly errorCode: number | undefined;
  /** CR2 for #PF. */
  readonly faultAddress: bigint | undefined;
  readonly rip: bigint;
  /** CPL of the interrupted code (the RPL of its CS). */
  readonly cpl: 0 | 3;
}

/**
 * A handler in the guest's IDT. It runs at CPL 0 on the same address space. Returning is IRET:
 * the interrupted code resumes (a faulting access is retried). Throwing unwinds the interrupted
 * guest code, which is how the guest kernel kills or signals a user process.
 */
export type InterruptHandler = (frame: InterruptFrame) => void;

/** The system-call entry (what IA32_LSTAR points at). Runs at CPL 0; its return value goes to RAX. */
export type SyscallEntry = () => void;

export interface CpuidResult {
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

export interface GuestCpu {
  /** Read a register. GPRs, RIP and RFLAGS are 64-bit. */
  get(reg: Reg): bigint;
  /** Write a register (a MOV; no exit). Writes to RIP are not allowed here: use the instructions. */
  set(reg: Reg, value: bigint): void;

  /** CPL of the code now running: 0 for the kernel, 3 for user processes. */
  readonly cpl: 0 | 3;

  // --- instructions that exit ---------------------------------------------------------------
  /** CPUID with EAX = leaf, ECX = subleaf; results land in RAX/RBX/RCX/RDX and are returned too. */
  cpuid(leaf: number, subleaf?: number): CpuidResult;
  in8(port: number): number;
  in16(port: number): number;
  in32(port: number): number;
  out8(port: number, value: number): void;
  out16(port: number, value: number): void;
  out32(port: number, value: number): void;
  /** RDMSR ECX = msr; an unknown MSR raises #GP in the guest. */
  rdmsr(msr: number): bigint;
  wrmsr(msr: number, value: bigint): void;
  /** MOV to CR0/CR3/CR4 (CR_ACCESS exit for CR0/CR4, and for CR3 when CR3-load exiting is on). */
  writeCr(cr: 0 | 3 | 4, value: bigint): void;
  /** MOV from CR; CR0/CR4 read the read shadow for host-owned bits, as on VMX. */
  readCr(cr: 0 | 2 | 3 | 4): bigint;
  /** HLT: with RFLAGS.IF set, returns once an interrupt has been delivered. */
  hlt(): void;
  /** VMCALL: the ABI is in registers (see shell-protocol/spec.md). #UD when the VMM says so. */
  vmcall(): void;

  // --- instructions that do not exit --------------------------------------------------------
  sti(): void;
  cli(): void;
  rdtsc(): bigint;
  /** PAUSE: a spin-loop hint; also a point where pending events and host requests are looked at. */
  pause(): void;
  /** LIDT: install the interrupt descriptor table (vector -> handler). */
  lidt(table: ReadonlyMap<number, InterruptHandler>): void;
  /** WRMSR IA32_LSTAR without an exit (the MSR is pass-through): the SYSCALL entry. */
  setSyscallEntry(entry: SyscallEntry): void;
  /** SYSCALL from CPL 3: runs the entry at CPL 0; RAX carries the number in and the result out. */
  syscall(): void;
  /**
   * Enter user mode (IRETQ to CPL 3) at `entry` with the given CR3 already loaded by the kernel;
   * returns when user code returns or is unwound by a handler's throw (rethrown here).
   */
  enterUser<T>(entry: () => T): T;

  // --- memory through the MMU (current CR3, CPL, CR0.WP, EFER.NXE) --------------------------
  read8(gva: Gva): number;
  read16(gva: Gva): number;
  read32(gva: Gva): number;
  read64(gva: Gva): bigint;
  write8(gva: Gva, value: number): void;
  write16(gva: Gva, value: number): void;
  write32(gva: Gva, value: number): void;
  write64(gva: Gva, value: bigint): void;
  /** A string instruction over [gva, gva + out.length): faults page by page as the CPU would. */
  readBytes(gva: Gva, out: Uint8Array): void;
  writeBytes(gva: Gva, bytes: Uint8Array): void;
}
