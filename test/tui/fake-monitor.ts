/** A VmMonitor without a VM, for pane and app tests: scripted serial ports, counters, snapshots, log. */
import { EXIT_REASON_COUNT } from '../../shell-protocol/exit-reasons.js';
import {
  type LogReadResult, type LogRecord, MonitorUnavailableError, type RegisterSnapshot, type SerialPortHost, type StopReason,
  type VmConfig, type VmDebug, type VmEvent, type VmMonitor, type VmState,
} from '../../vmm/monitor-api.js';

export class FakePort implements SerialPortHost {
  readonly written: string[] = [];
  private readonly listeners = new Set<(bytes: Uint8Array) => void>();
  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async write(bytes: Uint8Array | string): Promise<void> {
    this.written.push(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1'));
  }
  /** The guest prints. */
  emit(text: string | Uint8Array): void {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    for (const listener of this.listeners) listener(bytes);
  }
}

export function snapshot(vcpu: number, sequence: bigint, rip: bigint): RegisterSnapshot {
  return {
    vcpu, sequence, state: 'running', lastExitReason: 18, gprs: Array.from({ length: 16 }, (_, i) => BigInt(i)), rip,
    rflags: 0x202n, cr0: 0x80010033n, cr2: 0n, cr3: 0x10000n, cr4: 0x20a0n, efer: 0xd01n, cs: 0x23, ds: 0, es: 0, fs: 0, gs: 0, ss: 0x1b,
    fsBase: 0n, gsBase: 0n, cpl: 3,
  };
}

export class FakeMonitor implements VmMonitor {
  readonly config: Required<VmConfig> = { vcpus: 2, memoryBytes: 64 << 20, stealth: false, logLevel: 'info', kernel: '', initrd: '', commandLine: '', added: [] };
  state: VmState = 'running';
  readonly com1 = new FakePort();
  readonly com2 = new FakePort();
  counts: number[][] = [new Array<number>(EXIT_REASON_COUNT).fill(0), new Array<number>(EXIT_REASON_COUNT).fill(0)];
  snapshots: RegisterSnapshot[] = [snapshot(0, 1n, 0x401000n), snapshot(1, 1n, 0xffffffff81000000n)];
  log: LogRecord[] = [];
  paused = 0;
  resumed = 0;
  resets: (number | undefined)[] = [];
  /** Guest-physical memory the debugger reads: 64 KiB of a pattern (byte i is i & 0xff). */
  readonly memory = Uint8Array.from({ length: 65536 }, (_, i) => i & 0xff);
  private readonly listeners = new Set<(event: VmEvent) => void>();
  private stopReason: StopReason | undefined;
  private readonly stopWaiters: ((reason: StopReason) => void)[] = [];
  readonly debug: VmDebug = {
    readPhysical: (address, length) => {
      if (address < 0n || address + BigInt(length) > BigInt(this.memory.length)) throw new RangeError(`0x${address.toString(16)}+${length} is outside guest memory`);
      return this.memory.slice(Number(address), Number(address) + length);
    },
    readVirtual: (_vcpu, address, length) => this.debug.readPhysical(address & 0xffffn, length),
    fullRegisters: () => { throw new MonitorUnavailableError('fullRegisters'); },
    vmcs: () => { throw new MonitorUnavailableError('vmcs'); },
    mappings: () => { throw new MonitorUnavailableError('mappings'); },
    lapic: () => { throw new MonitorUnavailableError('lapic'); },
    disassemble: () => { throw new MonitorUnavailableError('disassemble'); },
    writePhysical: () => { throw new MonitorUnavailableError('writePhysical'); },
    writeVirtual: () => { throw new MonitorUnavailableError('writeVirtual'); },
    systemReset: () => { throw new MonitorUnavailableError('systemReset'); },
    injectNmi: () => { throw new MonitorUnavailableError('injectNmi'); },
    exitTrace: () => { throw new MonitorUnavailableError('exitTrace'); },
    ioPortBreakdown: () => { throw new MonitorUnavailableError('ioPortBreakdown'); },
    msrBreakdown: () => { throw new MonitorUnavailableError('msrBreakdown'); },
  };

  uptimeMs(): number { return 1234; }
  start(): void { this.state = 'running'; }
  pause(): void { this.paused++; this.state = 'paused'; this.emit({ kind: 'stop' }); }
  resume(): void { this.resumed++; this.state = 'running'; this.emit({ kind: 'resume' }); }
  async stop(): Promise<StopReason> { this.powerOff({ kind: 'host-stop' }); return this.stopReason!; }
  /** Set by a test: a debugger holds the VM. */
  heldByDebugger = false;
  debugStopped(): boolean { return this.heldByDebugger; }
  waitForStop(): Promise<StopReason> {
    return this.stopReason ? Promise.resolve(this.stopReason) : new Promise((resolve) => this.stopWaiters.push(resolve));
  }
  /** The VM stops by itself (the guest powered off, or a fault). */
  powerOff(reason: StopReason): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    this.state = 'stopped';
    for (const wake of this.stopWaiters.splice(0)) wake(reason);
    this.emit({ kind: 'shutdown', reason });
  }
  resetExitCounts(vcpu?: number): void {
    this.resets.push(vcpu);
    for (const [v, row] of this.counts.entries()) if (vcpu === undefined || v === vcpu) row.fill(0);
  }
  onEvent(listener: (event: VmEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private emit(event: VmEvent): void {
    for (const listener of this.listeners) listener(event);
  }
  exitCounts(vcpu: number): readonly number[] { return this.counts[vcpu]!; }
  registers(vcpu: number): RegisterSnapshot { return this.snapshots[vcpu]!; }
  readLog(cursor: number, max = 256): LogReadResult {
    const records = this.log.filter((r) => r.sequence >= cursor).slice(0, max);
    return { records, lost: 0, nextCursor: records.length > 0 ? records[records.length - 1]!.sequence + 1 : cursor };
  }
}
