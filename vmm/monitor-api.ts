/**
 * The monitor API: what the host (main thread: TUI, `ymir run`, `ymir stat`, tests) may see of a
 * running VM. Reads never stop the VM: counters are read without locking, register snapshots are
 * published by each vCPU at its exits under a sequence lock, serial bytes move through shared rings.
 */
import type { ExitReason } from '../shell-protocol/exit-reasons.js';
import type { AddedFile } from './vm/added-files.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface VmConfig {
  /** Number of vCPUs, one worker thread each (default 2). */
  readonly vcpus: number;
  /** Guest-physical memory in bytes (default 64 MiB). */
  readonly memoryBytes: number;
  /** Hide the hypervisor: VMCALL raises #UD, CPUID shows no hypervisor leaves. */
  readonly stealth: boolean;
  /** Lowest VMM log level written to COM1 and the log ring. */
  readonly logLevel: LogLevel;
  /** The Multiboot kernel to boot (a file path). Defaults to the committed `guest/build/kernel`. */
  readonly kernel?: string;
  /** The boot module, the kernel's initramfs (a file path; '' for none). Defaults to `guest/build/initramfs.cpio`. */
  readonly initrd?: string;
  /** Kernel command-line words after `console=ttyS0`. */
  readonly commandLine?: string;
  /** Host files put into the guest's initramfs, over the image's (`ymir --add`). */
  readonly added?: readonly AddedFile[];
}

export type VmState = 'created' | 'running' | 'paused' | 'stopped';

export type StopReason =
  /** The guest wrote to the debug-exit port (0xF4); `status` is the value written. */
  | { readonly kind: 'debug-exit'; readonly status: number }
  /** A vCPU triple-faulted. */
  | { readonly kind: 'triple-fault'; readonly vcpu: number; readonly rip: bigint }
  /** An exit the VMM does not handle (Ymir's "Unhandled VM-exit"). */
  | { readonly kind: 'unhandled-exit'; readonly vcpu: number; readonly reason: ExitReason | number; readonly rip: bigint; readonly message: string }
  /** The host asked (`stop()`). */
  | { readonly kind: 'host-stop' }
  /** A vCPU thread died from an error in the model itself (a bug, reported, never swallowed). */
  | { readonly kind: 'internal-error'; readonly vcpu: number; readonly message: string };

export type VcpuRunState = 'running' | 'halted' | 'stopped' | 'not-started';

/** Register state published by a vCPU at its last exit. Every field is from the same exit. */
export interface RegisterSnapshot {
  readonly vcpu: number;
  /** Increments with each publication; equal sequence numbers mean the same snapshot. */
  readonly sequence: bigint;
  readonly state: VcpuRunState;
  readonly lastExitReason: number;
  /** RAX..R15 in SDM order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15). */
  readonly gprs: readonly bigint[];
  readonly rip: bigint;
  readonly rflags: bigint;
  readonly cr0: bigint;
  readonly cr2: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly cs: number;
  readonly ds: number;
  readonly es: number;
  readonly fs: number;
  readonly gs: number;
  readonly ss: number;
  readonly fsBase: bigint;
  readonly gsBase: bigint;
  readonly cpl: 0 | 3;
}

export interface LogRecord {
  /** Position in the log; cursors are record sequence numbers. */
  readonly sequence: number;
  readonly level: LogLevel;
  /** Ymir's log scope, e.g. `vmc`, `exit`, `cpuid`. */
  readonly scope: string;
  readonly message: string;
  /** Milliseconds since VM start. */
  readonly timeMs: number;
}

export interface LogReadResult {
  readonly records: readonly LogRecord[];
  /** Records that were overwritten before this reader got to them. */
  readonly lost: number;
  /** Where the next read should start. */
  readonly nextCursor: number;
}

export interface SerialPortHost {
  /** Bytes the guest transmitted (THR), in order; every byte reaches every subscriber. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /**
   * Bytes to the guest's receiver (RBR). Writes are queued and reach the guest whole and in the
   * order they were made; the promise resolves once these bytes are in the receive ring (later
   * while the guest is slow to read: back-pressure) and rejects when the VM has stopped.
   */
  write(bytes: Uint8Array | string): Promise<void>;
}

/** Asynchronous events a monitor reports, as QMP's STOP, RESUME and SHUTDOWN. */
export type VmEvent =
  /** The VM was paused (`pause()`). */
  | { readonly kind: 'stop' }
  /** The VM runs again after a pause. */
  | { readonly kind: 'resume' }
  /** The VM stopped for good; every vCPU thread has ended. */
  | { readonly kind: 'shutdown'; readonly reason: StopReason };

/**
 * What a host tool may read of a VM: the same whether the VM runs in this process or is watched
 * through its monitor socket (`ymir stat --vm`), so views are written once against this.
 */
/** The configuration every view can know about a VM, also one it attached to. */
export type VmViewConfig = Pick<Required<VmConfig>, 'vcpus' | 'memoryBytes' | 'stealth' | 'logLevel'>;

export interface VmView {
  readonly config: VmViewConfig;
  readonly state: VmState;
  /** Milliseconds since start (0 before). */
  uptimeMs(): number;
  /** Exit counts of one vCPU, indexed by basic exit reason (length EXIT_REASON_COUNT). */
  exitCounts(vcpu: number): readonly number[];
  /** The newest consistent snapshot of a vCPU's registers (never torn). */
  registers(vcpu: number): RegisterSnapshot;
  /** Read VMM log records from `cursor` on (0 = oldest still kept). */
  readLog(cursor: number, max?: number): LogReadResult;
}

export interface VmMonitor extends VmView {
  readonly config: Required<VmConfig>;
  start(): void;
  pause(): void;
  resume(): void;
  /** Stop every vCPU and end the worker threads. Resolves once they are gone. */
  stop(): Promise<StopReason>;
  /** Resolves when the VM stops for any reason; all worker threads have ended by then. */
  waitForStop(): Promise<StopReason>;
  /** Zero the exit counters of one vCPU, or of every vCPU (kvm_stat's `r`, the STATS_RESET op). */
  resetExitCounts(vcpu?: number): void;
  /** Whether a debugger (gdb, the TUI's Ctrl-P) holds every vCPU stopped: QEMU's "paused (debug)". */
  debugStopped(): boolean;
  /** Subscribe to STOP, RESUME and SHUTDOWN; returns the unsubscribe function. */
  onEvent(listener: (event: VmEvent) => void): () => void;
  readonly com1: SerialPortHost;
  readonly com2: SerialPortHost;
  /** The debugger's calls (the monitor's `info`, `x`, ...); some wait for the interpreter CPU. */
  readonly debug: VmDebug;
}

// ---------------------------------------------------------------------------------------------
// The debugger's monitor calls. Each answers from shared memory, synchronously: register state
// is what the vCPU published with its last snapshot (the same lock-free path as RegisterSnapshot,
// at most a preemption slice old while it runs), memory is read and written in place, exits are
// recorded by the exit handlers as they happen. Nothing here stops or waits for a vCPU, so they
// answer while the guest runs, is paused or hangs. A bad vCPU, address or count is a RangeError;
// a call a VM cannot answer throws MonitorUnavailableError (systemReset with a debugger attached).

/** A segment register with its hidden part, as the VMCS guest-state area holds it (SDM Vol.3C 24.4.1). */
export interface SegmentRegister {
  readonly selector: number;
  readonly base: bigint;
  /** The limit in bytes - 1, already scaled by the granularity bit. */
  readonly limit: number;
  /** Access rights in the VMCS format: type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16. */
  readonly accessRights: number;
}

/** GDTR or IDTR: base and limit, as SGDT stores them. */
export interface DescriptorTableRegister {
  readonly base: bigint;
  readonly limit: number;
}

export type SegmentName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs' | 'ldtr' | 'tr';

/** Every register of a vCPU (QEMU's `info registers`), from one exit. */
export interface FullRegisterState extends RegisterSnapshot {
  readonly segments: Readonly<Record<SegmentName, SegmentRegister>>;
  readonly gdtr: DescriptorTableRegister;
  readonly idtr: DescriptorTableRegister;
  /** CR8, the task-priority register as the guest sees it. */
  readonly cr8: bigint;
  /** DR0..DR3, DR6, DR7. */
  readonly debugRegisters: readonly bigint[];
  readonly kernelGsBase: bigint;
}

/** One VMCS field by its SDM encoding (Vol.3C Appendix B) and name, e.g. 0x6820 GUEST_RFLAGS. */
export interface VmcsField {
  readonly encoding: number;
  readonly name: string;
  readonly value: bigint;
}

/** A run of guest-virtual pages mapped to contiguous guest-physical ones with the same rights (`info mem`, `info tlb`). */
export interface PageMapping {
  readonly virtual: bigint;
  readonly physical: bigint;
  readonly length: bigint;
  /** PageMappingFlags bits: the AND of R/W and U/S over every level, the OR of XD. */
  readonly flags: number;
}

export const PageMappingFlags = { PRESENT: 1, WRITABLE: 2, USER: 4, NO_EXECUTE: 8 } as const;

/** The local APIC of a vCPU (`info lapic`). */
export interface LapicState {
  readonly id: number;
  readonly tpr: number;
  readonly ppr: number;
  /** 256-bit registers as vector lists. */
  readonly irr: readonly number[];
  readonly isr: readonly number[];
  readonly lvtTimer: number;
  readonly timerInitialCount: number;
  readonly timerCurrentCount: number;
  readonly timerDivide: number;
}

/**
 * One VM exit as kvm's kvm_exit tracepoint records it, with the time the VMM took to handle it.
 * Every exit is recorded; exits are timed from the first `exitTrace` call on (reading the clock
 * twice per exit costs as much as an exit on some hosts), so older records have no times.
 */
export interface ExitTraceRecord {
  readonly vcpu: number;
  readonly reason: number;
  readonly qualification: bigint;
  /** RIP at the exit (before the VMM stepped past the instruction). */
  readonly rip: bigint;
  /** Nanoseconds from the exit to the next VM entry (for HLT, the time halted too); absent while it is handled. */
  readonly handlingNs?: number;
  /** Milliseconds since VM start, at the exit. */
  readonly timeMs?: number;
}

/** Exits of one I/O port or MSR (perf kvm stat's breakdowns). */
export interface AccessBreakdownRow {
  /** The port or MSR number. */
  readonly target: number;
  readonly reads: number;
  readonly writes: number;
}

export interface Instruction {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  /** AT&T or Intel text, as the disassembler prints it. */
  readonly text: string;
}

/** The debugger's view into a VM: what QEMU's monitor and gdbstub read and change. */
export interface VmDebug {
  /** Guest-physical memory; throws a RangeError outside RAM. */
  readPhysical(address: bigint, length: number): Uint8Array;
  /** Guest-virtual memory through the vCPU's page tables (CR3 of its last exit); a RangeError names the first unmapped page. */
  readVirtual(vcpu: number, address: bigint, length: number): Uint8Array;
  /** Every register, with segment caches, descriptor tables, CR8 and the debug registers. */
  fullRegisters(vcpu: number): FullRegisterState;
  /** The VMCS-like state of a vCPU: guest-state, control and exit-information fields, by encoding. */
  vmcs(vcpu: number): readonly VmcsField[];
  /**
   * The guest's mappings as its 4-level page tables give them (`info mem`), coalesced into runs
   * in ascending virtual order; bounded (vmm/page-mappings.ts). With paging off, RAM one to one.
   */
  mappings(vcpu: number): readonly PageMapping[];
  lapic(vcpu: number): LapicState;
  /** `count` (1-256) instructions in the vCPU's code size from `address` (guest-virtual through the vCPU's CR3), up to the first unmapped byte; AT&T syntax. */
  disassemble(vcpu: number, address: bigint, count: number): readonly Instruction[];
  /**
   * Writes are whole or not at all (a RangeError, nothing written); every vCPU decodes code again
   * from a page written. Memory calls see the guest's bytes as gdb does: a software breakpoint's
   * INT3 reads as the byte it replaced, and a write there changes that byte and keeps the breakpoint.
   */
  writePhysical(address: bigint, bytes: Uint8Array): void;
  writeVirtual(vcpu: number, address: bigint, bytes: Uint8Array): void;
  /**
   * A platform reset: every vCPU back to its reset state, RAM cleared and the guest image loaded
   * again, the serial consoles kept. It returns at once and completes when every vCPU has left
   * guest mode (vm.ts Vm.reset).
   */
  systemReset(): void;
  /** Deliver an NMI to a vCPU (through VM-entry injection, once NMIs are not blocked: vmm/platform.md). */
  injectNmi(vcpu: number): void;
  /** The newest `last` exits of a vCPU (at most 511), oldest first; the first call switches exit timing on. */
  exitTrace(vcpu: number, last: number): readonly ExitTraceRecord[];
  /** IO_INSTRUCTION exits by port, and MSR_READ/MSR_WRITE exits by MSR, over every vCPU since start, ascending. */
  ioPortBreakdown(): readonly AccessBreakdownRow[];
  msrBreakdown(): readonly AccessBreakdownRow[];
}

/** A monitor call this build cannot answer (a VM whose CPU model does not publish that state, a call not implemented). */
export class MonitorUnavailableError extends Error {
  override readonly name = 'MonitorUnavailableError';
  constructor(readonly call: keyof VmDebug | string, readonly reason = 'the CPU model does not publish that state yet') {
    super(`${call} is not available in this build: ${reason}`);
  }
}

/** By name, so that it also matches an error that crossed a worker or a socket. */
export function isMonitorUnavailableError(error: unknown): error is MonitorUnavailableError {
  return error instanceof Error && error.name === 'MonitorUnavailableError';
}
