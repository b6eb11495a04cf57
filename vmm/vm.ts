/**
 * VM lifecycle and the monitor API (main thread). A VM is its shared state plus one worker thread
 * per vCPU; the host reads counters, snapshots, serial bytes and the log from shared memory
 * without stopping the guest.
 */
import { readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { EXIT_REASON_COUNT } from '../shell-protocol/exit-reasons.js';
import { DisSyntax, MAX_INSTRUCTION_BYTES } from '../shell-protocol/constants.js';
import { gpa, hex } from './hw/address.js';
import { Attention } from './hw/cpu.js';
import { type AddressSpace, type PhysicalPiece, physicalPieces } from './debug/linear.js';
import { logLevelIndex } from './log.js';
import {
  type AccessBreakdownRow, type ExitTraceRecord, type FullRegisterState, type Instruction, type LapicState, type LogReadResult,
  MonitorUnavailableError, type PageMapping, PageMappingFlags, type RegisterSnapshot, type SerialPortHost, type StopReason,
  type VcpuRunState, type VmcsField, type VmConfig, type VmDebug, type VmEvent, type VmMonitor, type VmState,
} from './monitor-api.js';
import { pageMappings } from './page-mappings.js';
import { type Bitness, disassembleBytes } from './services/disassemble.js';
import { existingDebugger } from './debug/debugger.js';
import { Control, RUN_STATES, RunStateCode, StopKind, VmShared, VmStateCode, VmmAttention } from './shared.js';
import { decodeFullState, decodeLapic, vmcsFields } from './vcpu/published-state.js';
import type { ByteRing } from './byte-ring.js';
import type { Uart16550 } from './devices/serial.js';
import { createUarts } from './devices/uarts.js';
import { type AddedFile, addedEntries } from './vm/added-files.js';
import { type BootImage, type BootInfo, loadMultiboot } from './vm/multiboot.js';
import { writeNewc } from './vm/newc.js';
import { DEFAULT_INITRD, DEFAULT_KERNEL } from './vm/images.js';
import type { VcpuWorkerData, VcpuWorkerMessage } from './vcpu/worker.js';
import { siblingModule, startWorker } from './worker-url.js';

export const DEFAULT_CONFIG: Required<VmConfig> = {
  vcpus: 2,
  memoryBytes: 64 * 1024 * 1024,
  stealth: false,
  logLevel: 'info',
  kernel: DEFAULT_KERNEL,
  initrd: DEFAULT_INITRD,
  commandLine: '',
  added: [],
};

/**
 * Guest memory sizes a VM takes: 2 MiB steps (the platform's granularity, vmm/platform.md) up to
 * 4 GiB, and at least what the guest boots in (its kernel reserves the first 4 MiB).
 */
export const MEMORY_LIMITS = { min: 8 * 2 ** 20, max: 4 * 2 ** 30, step: 2 * 2 ** 20 } as const;

export class VmConfigError extends RangeError {
  override readonly name = 'VmConfigError';
}

export function resolveConfig(config: Partial<VmConfig>): Required<VmConfig> {
  const resolved = { ...DEFAULT_CONFIG, ...config };
  if (!Number.isInteger(resolved.vcpus) || resolved.vcpus < 1 || resolved.vcpus > 64) throw new VmConfigError(`vcpus must be 1..64, not ${resolved.vcpus}`);
  const memory = resolved.memoryBytes;
  if (!Number.isInteger(memory) || memory < MEMORY_LIMITS.min || memory > MEMORY_LIMITS.max || memory % MEMORY_LIMITS.step !== 0) {
    throw new VmConfigError(`memory must be a multiple of 2 MiB from ${MEMORY_LIMITS.min / 2 ** 20} MiB to 4 GiB, not ${memory} bytes`);
  }
  return resolved;
}

const STATES: readonly VmState[] = ['created', 'running', 'paused', 'stopped'];
/** How long stop() lets vCPU threads leave guest mode before terminating them. */
const STOP_GRACE_MS = 2000;

/** Millisecond polls of a quiet transmit ring before the consumer blocks on it. */
const ACTIVE_POLLS = 20;

/** The host end of a UART: a pump from the transmit ring to listeners, and writes into receive. */
class SerialHost implements SerialPortHost {
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  readonly drained: Promise<void>;

  constructor(
    private readonly tx: ByteRing,
    private readonly rx: ByteRing,
    private readonly uart: Uart16550,
    private readonly raiseIrq: () => void,
    private readonly stopped: () => boolean,
  ) {
    this.drained = this.pump();
  }

  /** Moves transmitted bytes to listeners; with none subscribed the ring fills and the guest waits. */
  private async pump(): Promise<void> {
    let quietPolls = 0;
    for (;;) {
      const done = this.stopped();
      if (this.listeners.size > 0 && this.tx.length > 0) {
        const bytes = this.tx.pop();
        for (const listener of this.listeners) listener(bytes);
        quietPolls = 0;
        continue;
      }
      if (done) return;
      if (this.listeners.size === 0) await this.untilSubscribed(50);
      // While output flows, look again in a millisecond instead of asking to be woken: a wake-up
      // per byte would cost the guest a futex call on every THR write. Idle, block until woken.
      else if (quietPolls++ < ACTIVE_POLLS) await new Promise((resolve) => setTimeout(resolve, 1));
      else await this.tx.waitForData(50);
    }
  }

  private wakeOnSubscribe: () => void = () => undefined;

  /** Bytes wait in the ring for a listener: sleep rather than spin on them, so timers still run. */
  private untilSubscribed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeOnSubscribe = resolve;
      setTimeout(resolve, timeoutMs);
    });
  }

  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    this.wakeOnSubscribe();
    return () => this.listeners.delete(listener);
  }

  /** The end of the queue of writes: each waits for the one before it, so writes never interleave. */
  private queue: Promise<void> = Promise.resolve();

  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const written = this.queue.then(() => this.push(bytes));
    this.queue = written.catch(() => undefined);
    return written;
  }

  private async push(bytes: Uint8Array): Promise<void> {
    let from = 0;
    while (from < bytes.length) {
      if (this.stopped()) throw new Error('the VM has stopped: its serial port takes no more input');
      from += this.rx.tryPush(bytes, from);
      if (this.uart.interruptPending()) this.raiseIrq();
      if (from < bytes.length) await this.rx.waitForRoomAsync(50);
    }
  }
}

/**
 * The monitor's debugger calls on this VM, answered on the main thread from shared memory: guest
 * memory (through the guest's page tables for virtual addresses, vmm/debug/linear.ts), the full
 * state each vCPU publishes with its register snapshot (vcpu/published-state.ts), the exit trace
 * and breakdowns the exit handlers record (exit-stats.ts). None stops or waits for a vCPU, so
 * they answer while the guest runs, is paused or hangs.
 */
class VmDebugCalls implements VmDebug {
  constructor(private readonly vm: Vm) {}

  readPhysical(address: bigint, length: number): Uint8Array {
    return this.read(Number(this.checkPhysical(address, length)), length);
  }

  writePhysical(address: bigint, bytes: Uint8Array): void {
    this.write(Number(this.checkPhysical(address, bytes.length)), bytes);
  }

  /** Guest RAM as the guest wrote it: a debugger's INT3s read as the bytes they replaced. */
  private read(physical: number, length: number): Uint8Array {
    const bytes = this.vm.shared.memory.slice(gpa(physical), length).slice(); // a copy: slice is a live view
    existingDebugger(this.vm)?.hideBreakpoints(physical, bytes);
    return bytes;
  }

  /**
   * Through GuestMemory, so a write to a page holding decoded code makes every vCPU decode it
   * again; a byte under a debugger's breakpoint becomes the byte it restores.
   */
  private write(physical: number, bytes: Uint8Array): void {
    const dbg = existingDebugger(this.vm);
    this.vm.shared.memory.writeBytes(gpa(physical), dbg === undefined ? bytes : dbg.keepBreakpoints(physical, bytes));
  }

  private checkPhysical(address: bigint, length: number): bigint {
    const memory = this.vm.shared.memory;
    if (!Number.isInteger(length) || length < 0 || address < 0n || !memory.contains(address, length)) {
      throw new RangeError(`${hex(address)}+${length} is outside guest memory (${this.vm.config.memoryBytes} bytes)`);
    }
    return address;
  }

  readVirtual(vcpu: number, address: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (const piece of this.mapped(vcpu, address, length)) out.set(this.read(piece.physical, piece.length), piece.offset);
    return out;
  }

  /** All of it or nothing: every page is checked to be mapped before the first byte is written. */
  writeVirtual(vcpu: number, address: bigint, bytes: Uint8Array): void {
    for (const piece of this.mapped(vcpu, address, bytes.length)) this.write(piece.physical, bytes.subarray(piece.offset, piece.offset + piece.length));
  }

  /** The RAM pieces of a whole guest-virtual range, or a RangeError naming its first unmapped byte. */
  private mapped(vcpu: number, address: bigint, length: number): PhysicalPiece[] {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad length ${length}`);
    const pieces = physicalPieces(this.space(vcpu), address, length);
    const covered = pieces.reduce((n, p) => n + p.length, 0);
    if (covered < length) throw new RangeError(`${hex(BigInt.asUintN(64, address + BigInt(covered)))} is not mapped in vCPU ${vcpu}'s page tables (or not in RAM)`);
    return pieces;
  }

  /** The vCPU's address space at its last snapshot: its CR3 (PCID bits dropped), none with paging off. */
  private space(vcpu: number): AddressSpace {
    const s = this.vm.registers(vcpu);
    return { memory: this.vm.shared.memory, cr3: (s.cr0 & CR0_PG) !== 0n ? Number(s.cr3 & CR3_TABLE) : undefined };
  }

  fullRegisters(vcpu: number): FullRegisterState {
    const slots = this.vm.snapshotSlots(vcpu);
    return decodeFullState(this.vm.shared.decodeSnapshot(vcpu, slots), slots);
  }

  vmcs(vcpu: number): readonly VmcsField[] {
    const slots = this.vm.snapshotSlots(vcpu);
    return vmcsFields(decodeFullState(this.vm.shared.decodeSnapshot(vcpu, slots), slots), slots);
  }

  lapic(vcpu: number): LapicState {
    return decodeLapic(this.vm.snapshotSlots(vcpu));
  }

  mappings(vcpu: number): readonly PageMapping[] {
    const { memory, cr3 } = this.space(vcpu);
    if (cr3 === undefined) return [{ virtual: 0n, physical: 0n, length: BigInt(memory.size), flags: PageMappingFlags.PRESENT | PageMappingFlags.WRITABLE | PageMappingFlags.USER }];
    return pageMappings(memory, cr3);
  }

  /** Code in the vCPU's code size, as far as it can be read: the instructions up to the first unmapped byte. */
  disassemble(vcpu: number, address: bigint, count: number): readonly Instruction[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_DISASSEMBLY) throw new RangeError(`give 1 to ${MAX_DISASSEMBLY} instructions, not ${count}`);
    const start = BigInt.asUintN(64, address);
    const pieces = physicalPieces(this.space(vcpu), start, Math.min(count * MAX_INSTRUCTION_BYTES, Number((1n << 64n) - start)));
    const code = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    for (const piece of pieces) code.set(this.read(piece.physical, piece.length), piece.offset);
    const result = disassembleBytes(code, { address: start, count, syntax: DisSyntax.ATT }, this.codeSize(vcpu));
    if (result === undefined) throw new RangeError(`${hex(start)}: no whole instruction is mapped there in vCPU ${vcpu}'s page tables`);
    return result.instructions.map(({ address: at, bytes, text }) => ({ address: at, bytes, text }));
  }

  /** 64 in a long-mode code segment (CS.L), else 32 or 16 by CS.D in protected mode, 16 in real mode. */
  private codeSize(vcpu: number): Bitness {
    const full = this.fullRegisters(vcpu);
    const rights = full.segments.cs.accessRights;
    if ((full.efer & EFER_LMA) !== 0n && (rights & CS_L) !== 0) return 64;
    return (full.cr0 & CR0_PE) !== 0n && (rights & CS_D) !== 0 ? 32 : 16;
  }

  systemReset(): void {
    this.vm.reset();
  }

  /** The NMI goes as an NMI IPI does: latched by the vCPU, injected at its first VM entry where NMIs are not blocked. */
  injectNmi(vcpu: number): void {
    this.vm.checkVcpu(vcpu);
    const shared = this.vm.shared;
    Atomics.add(shared.control, shared.nmiIndex(vcpu), 1);
    shared.kick(vcpu, Attention.IPI);
  }

  exitTrace(vcpu: number, last: number): readonly ExitTraceRecord[] {
    this.vm.checkVcpu(vcpu);
    if (!Number.isInteger(last) || last < 1) throw new RangeError(`give a positive number of exits, not ${last}`);
    Atomics.store(this.vm.shared.control, Control.EXIT_TIMING, 1);
    return this.vm.shared.exitStats.exitTrace(vcpu, last);
  }

  ioPortBreakdown(): readonly AccessBreakdownRow[] {
    return this.vm.shared.exitStats.portBreakdown();
  }

  msrBreakdown(): readonly AccessBreakdownRow[] {
    return this.vm.shared.exitStats.msrBreakdown();
  }
}

/** CR0.PG: paging is on, so virtual addresses go through CR3. */
const CR0_PG = 1n << 31n;
const CR0_PE = 1n;
const EFER_LMA = 1n << 10n;
/** CS access rights in the VMCS format: L (64-bit code) and D/B (32-bit default size). */
const CS_L = 1 << 13;
const CS_D = 1 << 14;
/** CR3 bits 51:12, the PML4's address (the low bits are PCID or PWT/PCD). */
const CR3_TABLE = 0xf_ffff_ffff_f000n;
/** Instructions one disassemble call decodes at most. */
const MAX_DISASSEMBLY = 256;

export class Vm implements VmMonitor {
  readonly config: Required<VmConfig>;
  readonly shared: VmShared;
  readonly com1: SerialHost;
  readonly com2: SerialHost;
  readonly debug: VmDebug = new VmDebugCalls(this);
  private readonly listeners = new Set<(event: VmEvent) => void>();
  private workers: Worker[] = [];
  private readonly boot: BootInfo;
  /** What was loaded into RAM, kept to load it again at a platform reset. */
  private readonly image: BootImage;
  private readonly uarts: { readonly com1: Uart16550; readonly com2: Uart16550 };
  private resetting = false;
  private stopReason: StopReason | undefined;
  private readonly stopped: Promise<StopReason>;
  private resolveStopped!: (reason: StopReason) => void;
  private workersExited: Promise<void> = Promise.resolve();

  constructor(config: Partial<VmConfig> = {}) {
    this.config = resolveConfig(config);
    this.shared = VmShared.create(this.config.vcpus, this.config.memoryBytes);
    Atomics.store(this.shared.control, Control.LOG_LEVEL, logLevelIndex(this.config.logLevel));
    this.image = {
      kernel: readImage(this.config.kernel, 'kernel'),
      modules: [
        ...(this.config.initrd === '' ? [] : [{ bytes: readImage(this.config.initrd, 'initrd'), name: 'initramfs' }]),
        ...(this.config.added.length === 0 ? [] : [{ bytes: addedArchive(this.config.added), name: 'added' }]),
      ],
      commandLine: `console=ttyS0${this.config.commandLine === '' ? '' : ` ${this.config.commandLine}`}`,
    };
    this.boot = loadMultiboot(this.shared.memory, this.image);
    const uarts = createUarts(this.shared, () => this.state === 'stopped');
    uarts.com1.reset();
    uarts.com2.reset();
    this.uarts = uarts;
    const isStopped = (): boolean => this.state === 'stopped';
    this.com1 = new SerialHost(this.shared.com1Tx, this.shared.com1Rx, uarts.com1, () => this.raise(4), isStopped);
    this.com2 = new SerialHost(this.shared.com2Tx, this.shared.com2Rx, uarts.com2, () => this.raise(3), isStopped);
    this.stopped = new Promise((resolve) => { this.resolveStopped = resolve; });
  }

  onEvent(listener: (event: VmEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: VmEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private raise(irq: number): void {
    Atomics.or(this.shared.control, Control.IRQ_LINES, 1 << irq);
    this.shared.kick(0, Attention.IRQ);
  }

  get state(): VmState {
    return STATES[Atomics.load(this.shared.control, Control.VM_STATE)]!;
  }

  uptimeMs(): number {
    return this.shared.uptimeMs();
  }

  start(): void {
    if (this.state !== 'created') throw new Error(`cannot start a VM that is ${this.state}`);
    this.shared.epoch[0] = performance.timeOrigin + performance.now();
    Atomics.store(this.shared.control, Control.VM_STATE, VmStateCode.RUNNING);
    const url = siblingModule(import.meta.url, 'vcpu/worker');
    this.workers = Array.from({ length: this.config.vcpus }, (_, index) => {
      const data: VcpuWorkerData = { handles: this.shared.handles, index, stealth: this.config.stealth, boot: this.boot };
      const worker = startWorker(url, { workerData: data, name: `vcpu${index}`, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      worker.on('message', (message: VcpuWorkerMessage) => this.onStop(message.reason));
      worker.on('error', (error) => this.onStop({ kind: 'internal-error', vcpu: index, message: error.stack ?? error.message }));
      return worker;
    });
    this.workersExited = Promise.all(this.workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())))).then(() => undefined);
    void this.workersExited.then(() => this.finish());
  }

  private onStop(reason: StopReason): void {
    this.stopReason ??= reason;
    Atomics.compareExchange(this.shared.control, Control.STOP_KIND, StopKind.NONE, StopKind.INTERNAL_ERROR);
    for (let v = 0; v < this.config.vcpus; v++) this.shared.kick(v, Attention.STOP);
  }

  private async finish(): Promise<void> {
    Atomics.store(this.shared.control, Control.VM_STATE, VmStateCode.STOPPED);
    // A vCPU thread ended before it ran (stopped at once, or terminated) is stopped all the same.
    for (let v = 0; v < this.config.vcpus; v++) Atomics.store(this.shared.control, this.shared.runStateIndex(v), RunStateCode.STOPPED);
    await Promise.all([this.com1.drained, this.com2.drained]);
    const reason = this.stopReason ?? { kind: 'host-stop' };
    this.resolveStopped(reason);
    this.emit({ kind: 'shutdown', reason });
  }

  pause(): void {
    if (this.state !== 'running') return;
    Atomics.store(this.shared.control, Control.VM_STATE, VmStateCode.PAUSED);
    for (let v = 0; v < this.config.vcpus; v++) this.shared.kick(v, Attention.PAUSE);
    this.emit({ kind: 'stop' });
  }

  resume(): void {
    if (this.state !== 'paused') return;
    Atomics.store(this.shared.control, Control.VM_STATE, VmStateCode.RUNNING);
    for (let v = 0; v < this.config.vcpus; v++) {
      Atomics.and(this.shared.control, this.shared.attentionIndex(v), ~Attention.PAUSE);
      Atomics.notify(this.shared.control, this.shared.attentionIndex(v));
    }
    this.emit({ kind: 'resume' });
  }

  /**
   * A platform reset (the monitor's system_reset): every vCPU thread leaves guest mode at its next
   * exit, RAM is cleared and the images loaded again, the platform's devices go back to power-on,
   * then each vCPU is built afresh — the BSP at the kernel's entry point, the APs waiting for
   * INIT and STARTUP. The serial consoles, the exit counters and the log go on. It returns at
   * once; the reset completes as soon as every vCPU has left guest mode. A VM that is not running
   * or paused has nothing to reset; a paused one is reset and stays paused.
   */
  reset(): void {
    if ((this.state !== 'running' && this.state !== 'paused') || this.resetting) return;
    // The debugger's breakpoints and parked vCPUs would not survive RAM and the vCPUs being rebuilt.
    if (this.shared.debug.attached) throw new MonitorUnavailableError('systemReset', 'a debugger is attached: detach it first');
    this.resetting = true;
    Atomics.store(this.shared.control, Control.RESET_PARKED, 0);
    for (let v = 0; v < this.config.vcpus; v++) this.shared.kick(v, VmmAttention.RESET);
    void this.completeReset();
  }

  private async completeReset(): Promise<void> {
    const { control } = this.shared;
    for (;;) {
      const parked = Atomics.load(control, Control.RESET_PARKED);
      if (parked === this.config.vcpus) break;
      if (Atomics.load(control, Control.STOP_KIND) !== StopKind.NONE) {
        this.resetting = false;
        return;
      }
      const wait = Atomics.waitAsync(control, Control.RESET_PARKED, parked, 50);
      if (wait.async) await wait.value;
    }
    const memory = this.shared.memory;
    const zeros = new Uint8Array(2 ** 20);
    for (let at = 0; at < memory.size; at += zeros.length) memory.writeBytes(gpa(at), zeros.subarray(0, Math.min(zeros.length, memory.size - at)));
    loadMultiboot(memory, this.image);
    this.shared.resetPlatform();
    this.uarts.com1.reset();
    this.uarts.com2.reset();
    this.resetting = false;
    Atomics.add(control, Control.RESET_GENERATION, 1);
    Atomics.notify(control, Control.RESET_GENERATION);
  }

  async stop(): Promise<StopReason> {
    if (this.state === 'created') {
      this.stopReason = { kind: 'host-stop' };
      await this.finish();
      return this.stopped;
    }
    if (Atomics.compareExchange(this.shared.control, Control.STOP_KIND, StopKind.NONE, StopKind.HOST_STOP) === StopKind.NONE) {
      this.stopReason ??= { kind: 'host-stop' };
    }
    for (let v = 0; v < this.config.vcpus; v++) this.shared.kick(v, Attention.STOP);
    const grace = setTimeout(() => { for (const w of this.workers) void w.terminate(); }, STOP_GRACE_MS);
    await this.workersExited;
    clearTimeout(grace);
    return this.stopped;
  }

  waitForStop(): Promise<StopReason> {
    return this.stopped;
  }

  debugStopped(): boolean {
    return existingDebugger(this)?.state === 'stopped';
  }

  exitCounts(vcpu: number): readonly number[] {
    this.checkVcpu(vcpu);
    return this.shared.exitCounts(vcpu);
  }

  resetExitCounts(vcpu?: number): void {
    if (vcpu !== undefined) this.checkVcpu(vcpu);
    for (let v = 0; v < this.config.vcpus; v++) if (vcpu === undefined || v === vcpu) this.shared.resetExitCounts(v);
  }

  /** Exit counts summed over every vCPU. */
  totalExitCounts(): number[] {
    const total = new Array<number>(EXIT_REASON_COUNT).fill(0);
    for (let v = 0; v < this.config.vcpus; v++) this.shared.exitCounts(v).forEach((n, reason) => { total[reason]! += n; });
    return total;
  }

  registers(vcpu: number): RegisterSnapshot {
    return this.shared.decodeSnapshot(vcpu, this.snapshotSlots(vcpu));
  }

  /** The newest consistent snapshot slots of a vCPU (vmm/shared.ts Snap), for the full state. */
  snapshotSlots(vcpu: number): BigUint64Array {
    this.checkVcpu(vcpu);
    // A running vCPU is asked for a fresh snapshot; a halted one published its last when it halted.
    if (this.state === 'running' && this.runState(vcpu) === 'running') this.shared.kick(vcpu, Attention.SNAPSHOT);
    return this.shared.readSnapshotSlots(vcpu);
  }

  /** Run state of a vCPU right now. */
  runState(vcpu: number): VcpuRunState {
    this.checkVcpu(vcpu);
    return RUN_STATES[Atomics.load(this.shared.control, this.shared.runStateIndex(vcpu))] ?? 'not-started';
  }

  readLog(cursor: number, max?: number): LogReadResult {
    return this.shared.log.read(cursor, max);
  }

  checkVcpu(vcpu: number): void {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.config.vcpus) throw new RangeError(`no vCPU ${vcpu}: the VM has ${this.config.vcpus}`);
  }
}

/** The archive of the user's added files, or a VmConfigError that says which could not be added. */
function addedArchive(added: readonly AddedFile[]): Uint8Array {
  const entries = addedEntries(added);
  if (typeof entries === 'string') throw new VmConfigError(entries);
  return writeNewc(entries, 0);
}

/** A boot file's bytes, or a VmConfigError that says which file could not be read. */
function readImage(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new VmConfigError(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export function createVm(config: Partial<VmConfig> = {}): Vm {
  return new Vm(config);
}
