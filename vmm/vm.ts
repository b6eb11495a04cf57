/**
 * VM lifecycle and the monitor API (main thread). A VM is its shared state plus one worker thread
 * per vCPU; the host reads counters, snapshots, serial bytes and the log from shared memory
 * without stopping the guest.
 */
import { readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { EXIT_REASON_COUNT } from '../shell-protocol/exit-reasons.js';
import { gpa, gva, hex, PAGE_SIZE } from './hw/address.js';
import { Attention } from './hw/cpu.js';
import { walk } from './hw/mmu.js';
import { logLevelIndex } from './log.js';
import {
  type LogReadResult, MonitorUnavailableError, type RegisterSnapshot, type SerialPortHost, type StopReason, type VcpuRunState,
  type VmConfig, type VmDebug, type VmEvent, type VmMonitor, type VmState,
} from './monitor-api.js';
import { Control, RUN_STATES, RunStateCode, StopKind, VmShared, VmStateCode } from './shared.js';
import type { ByteRing } from './byte-ring.js';
import type { Uart16550 } from './devices/serial.js';
import { createUarts } from './devices/uarts.js';
import { type AddedFile, addedEntries } from './vm/added-files.js';
import { type BootInfo, loadMultiboot } from './vm/multiboot.js';
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
 * The monitor's debugger calls on this VM. Memory reads go straight to guest memory (and through
 * the guest's page tables for virtual addresses); everything whose state lives inside the CPU
 * model answers MonitorUnavailableError until the interpreter CPU publishes it.
 */
class VmDebugCalls implements VmDebug {
  constructor(private readonly vm: Vm) {}

  readPhysical(address: bigint, length: number): Uint8Array {
    const memory = this.vm.shared.memory;
    if (!Number.isInteger(length) || length < 0 || address < 0n || !memory.contains(address, length)) {
      throw new RangeError(`${hex(address)}+${length} is outside guest memory (${this.vm.config.memoryBytes} bytes)`);
    }
    return memory.slice(gpa(address), length);
  }

  readVirtual(vcpu: number, address: bigint, length: number): Uint8Array {
    const s = this.vm.registers(vcpu);
    const paging = (s.cr0 & CR0_PG) !== 0n;
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const at = (address + BigInt(done)) & 0xffff_ffff_ffff_ffffn;
      const result = walk(this.vm.shared.memory, paging ? s.cr3 : undefined, gva(at));
      if (!result.ok) throw new RangeError(`${hex(at)} is not mapped (${result.fault}) in vCPU ${vcpu}'s page tables`);
      const n = Math.min(length - done, PAGE_SIZE - Number(at & BigInt(PAGE_SIZE - 1)));
      out.set(this.readPhysical(result.gpa, n), done);
      done += n;
    }
    return out;
  }

  fullRegisters(): never { throw new MonitorUnavailableError('fullRegisters'); }
  vmcs(): never { throw new MonitorUnavailableError('vmcs'); }
  mappings(): never { throw new MonitorUnavailableError('mappings'); }
  lapic(): never { throw new MonitorUnavailableError('lapic'); }
  disassemble(): never { throw new MonitorUnavailableError('disassemble'); }
  writePhysical(): never { throw new MonitorUnavailableError('writePhysical'); }
  writeVirtual(): never { throw new MonitorUnavailableError('writeVirtual'); }
  systemReset(): never { throw new MonitorUnavailableError('systemReset'); }
  injectNmi(): never { throw new MonitorUnavailableError('injectNmi'); }
  exitTrace(): never { throw new MonitorUnavailableError('exitTrace'); }
  ioPortBreakdown(): never { throw new MonitorUnavailableError('ioPortBreakdown'); }
  msrBreakdown(): never { throw new MonitorUnavailableError('msrBreakdown'); }
}

/** CR0.PG: paging is on, so virtual addresses go through CR3. */
const CR0_PG = 1n << 31n;

export class Vm implements VmMonitor {
  readonly config: Required<VmConfig>;
  readonly shared: VmShared;
  readonly com1: SerialHost;
  readonly com2: SerialHost;
  readonly debug: VmDebug = new VmDebugCalls(this);
  private readonly listeners = new Set<(event: VmEvent) => void>();
  private workers: Worker[] = [];
  private readonly boot: BootInfo;
  private stopReason: StopReason | undefined;
  private readonly stopped: Promise<StopReason>;
  private resolveStopped!: (reason: StopReason) => void;
  private workersExited: Promise<void> = Promise.resolve();

  constructor(config: Partial<VmConfig> = {}) {
    this.config = resolveConfig(config);
    this.shared = VmShared.create(this.config.vcpus, this.config.memoryBytes);
    Atomics.store(this.shared.control, Control.LOG_LEVEL, logLevelIndex(this.config.logLevel));
    this.boot = loadMultiboot(this.shared.memory, {
      kernel: readImage(this.config.kernel, 'kernel'),
      modules: [
        ...(this.config.initrd === '' ? [] : [{ bytes: readImage(this.config.initrd, 'initrd'), name: 'initramfs' }]),
        ...(this.config.added.length === 0 ? [] : [{ bytes: addedArchive(this.config.added), name: 'added' }]),
      ],
      commandLine: `console=ttyS0${this.config.commandLine === '' ? '' : ` ${this.config.commandLine}`}`,
    });
    const uarts = createUarts(this.shared, () => this.state === 'stopped');
    uarts.com1.reset();
    uarts.com2.reset();
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
    this.checkVcpu(vcpu);
    // A running vCPU is asked for a fresh snapshot; a halted one published its last when it halted.
    if (this.state === 'running' && this.runState(vcpu) === 'running') this.shared.kick(vcpu, Attention.SNAPSHOT);
    return this.shared.readSnapshot(vcpu);
  }

  /** Run state of a vCPU right now. */
  runState(vcpu: number): VcpuRunState {
    this.checkVcpu(vcpu);
    return RUN_STATES[Atomics.load(this.shared.control, this.shared.runStateIndex(vcpu))] ?? 'not-started';
  }

  readLog(cursor: number, max?: number): LogReadResult {
    return this.shared.log.read(cursor, max);
  }

  private checkVcpu(vcpu: number): void {
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
