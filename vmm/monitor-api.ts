/**
 * The monitor API: what the host (main thread: TUI, `ymir run`, `ymir stat`, tests) may see of a
 * running VM. Reads never stop the VM: counters are read without locking, register snapshots are
 * published by each vCPU at its exits under a sequence lock, serial bytes move through shared rings.
 */
import type { ExitReason } from '../shell-protocol/exit-reasons.js';

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
  /** Bytes to the guest's receiver (RBR). Waits (resolves later) when the receive ring is full. */
  write(bytes: Uint8Array | string): Promise<void>;
}

export interface VmMonitor {
  readonly config: Required<VmConfig>;
  readonly state: VmState;
  /** Milliseconds since start (0 before). */
  uptimeMs(): number;
  start(): void;
  pause(): void;
  resume(): void;
  /** Stop every vCPU and end the worker threads. Resolves once they are gone. */
  stop(): Promise<StopReason>;
  /** Resolves when the VM stops for any reason; all worker threads have ended by then. */
  waitForStop(): Promise<StopReason>;
  /** Exit counts of one vCPU, indexed by basic exit reason (length EXIT_REASON_COUNT). */
  exitCounts(vcpu: number): readonly number[];
  /** The newest consistent snapshot of a vCPU's registers (never torn). */
  registers(vcpu: number): RegisterSnapshot;
  readonly com1: SerialPortHost;
  readonly com2: SerialPortHost;
  /** Read VMM log records from `cursor` on (0 = oldest still kept). */
  readLog(cursor: number, max?: number): LogReadResult;
}
