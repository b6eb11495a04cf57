/** A VmMonitor without a VM, for pane and app tests: scripted serial ports, counters, snapshots, log. */
import { EXIT_REASON_COUNT } from '../../shell-protocol/exit-reasons.js';
import type {
  LogReadResult, LogRecord, RegisterSnapshot, SerialPortHost, StopReason, VmConfig, VmMonitor, VmState,
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
  readonly config: Required<VmConfig> = { vcpus: 2, memoryBytes: 64 << 20, stealth: false, logLevel: 'info', kernel: '', initrd: '', commandLine: '' };
  state: VmState = 'running';
  readonly com1 = new FakePort();
  readonly com2 = new FakePort();
  counts: number[][] = [new Array<number>(EXIT_REASON_COUNT).fill(0), new Array<number>(EXIT_REASON_COUNT).fill(0)];
  snapshots: RegisterSnapshot[] = [snapshot(0, 1n, 0x401000n), snapshot(1, 1n, 0xffffffff81000000n)];
  log: LogRecord[] = [];
  paused = 0;
  resumed = 0;

  uptimeMs(): number { return 1234; }
  start(): void { this.state = 'running'; }
  pause(): void { this.paused++; this.state = 'paused'; }
  resume(): void { this.resumed++; this.state = 'running'; }
  async stop(): Promise<StopReason> { this.state = 'stopped'; return { kind: 'host-stop' }; }
  waitForStop(): Promise<StopReason> { return new Promise(() => undefined); }
  exitCounts(vcpu: number): readonly number[] { return this.counts[vcpu]!; }
  registers(vcpu: number): RegisterSnapshot { return this.snapshots[vcpu]!; }
  readLog(cursor: number, max = 256): LogReadResult {
    const records = this.log.filter((r) => r.sequence >= cursor).slice(0, max);
    return { records, lost: 0, nextCursor: records.length > 0 ? records[records.length - 1]!.sequence + 1 : cursor };
  }
}
