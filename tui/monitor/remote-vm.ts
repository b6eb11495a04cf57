/**
 * A VM in another process, seen through its monitor socket as a VmView, so that `ymir stat --vm`
 * and `ymir top --vm` run the same code on it as on a VM of their own. Reads answer from the
 * state of the last `refresh()`; the uptime keeps counting between refreshes while the VM runs.
 */
import type { LogReadResult, LogRecord, RegisterSnapshot, StopReason, VmState, VmView, VmViewConfig } from '../../vmm/monitor-api.js';
import { MonitorClient } from './client.js';
import { type MonitorVmIdentity, decodeSnapshot } from './protocol.js';

/** Log records kept for readers between refreshes. */
const LOG_KEEP = 1024;
/** query-status's statuses as VM states; 'debug' (a debugger holds it) is a pause to a viewer. */
const STATES: Readonly<Record<string, VmState>> = { prelaunch: 'created', running: 'running', paused: 'paused', debug: 'paused', shutdown: 'stopped' };

export class RemoteVm implements VmView {
  private status: { state: VmState; uptimeMs: number; at: number } = { state: 'created', uptimeMs: 0, at: 0 };
  private counts: number[][] = [];
  private snapshots: RegisterSnapshot[] = [];
  private log: LogRecord[] = [];
  private remoteCursor = 0;
  /** Resolves once the VM stopped (SHUTDOWN) or its process went away (undefined). */
  readonly stopped: Promise<StopReason | undefined>;

  private constructor(private readonly client: MonitorClient, readonly config: VmViewConfig, readonly identity: MonitorVmIdentity) {
    this.stopped = new Promise((resolve) => {
      client.onEvent((event) => {
        if (event.event === 'SHUTDOWN') {
          this.status = { ...this.status, state: 'stopped' };
          resolve(event.data.reason as StopReason);
        }
      });
      void client.closed.then(() => {
        this.status = { ...this.status, state: 'stopped' };
        resolve(undefined);
      });
    });
  }

  static async attach(path: string): Promise<RemoteVm> {
    const client = await MonitorClient.connect(path);
    const vm = await client.execute<{ vcpus: number; 'memory-bytes': number; stealth: boolean; 'log-level': VmViewConfig['logLevel'] }>('query-vm');
    const remote = new RemoteVm(client, { vcpus: vm.vcpus, memoryBytes: vm['memory-bytes'], stealth: vm.stealth, logLevel: vm['log-level'] }, client.greeting.QMP.vm);
    await remote.refresh();
    return remote;
  }

  /** Fetches state, counters, every vCPU's registers and new log records. Rejects once the connection is gone. */
  async refresh(): Promise<void> {
    const [status, exits, registers, log] = await Promise.all([
      this.client.execute<{ status: string; 'uptime-ms': number }>('query-status'),
      this.client.execute<{ cpus: { counts: number[] }[] }>('query-exits'),
      this.client.execute<unknown[]>('query-registers'),
      this.client.execute<{ records: LogRecord[]; 'next-cursor': number }>('query-log', { cursor: this.remoteCursor, max: 512 }),
    ]);
    this.status = { state: STATES[status.status] ?? 'running', uptimeMs: status['uptime-ms'], at: performance.now() };
    this.counts = exits.cpus.map((c) => c.counts);
    this.snapshots = registers.map(decodeSnapshot);
    this.log = [...this.log, ...log.records].slice(-LOG_KEEP);
    this.remoteCursor = log['next-cursor'];
  }

  /** Runs any monitor command (for keys such as stat's `r`). */
  execute<T = unknown>(command: string, args?: Readonly<Record<string, unknown>>): Promise<T> {
    return this.client.execute<T>(command, args);
  }

  async resetExitCounts(): Promise<void> {
    await this.client.execute('reset-exits');
  }

  get state(): VmState {
    return this.status.state;
  }

  uptimeMs(): number {
    return this.status.uptimeMs + (this.status.state === 'running' ? performance.now() - this.status.at : 0);
  }

  exitCounts(vcpu: number): readonly number[] {
    const counts = this.counts[vcpu];
    if (!counts) throw new RangeError(`no vCPU ${vcpu}: the VM has ${this.config.vcpus}`);
    return counts;
  }

  registers(vcpu: number): RegisterSnapshot {
    const snapshot = this.snapshots[vcpu];
    if (!snapshot) throw new RangeError(`no vCPU ${vcpu}: the VM has ${this.config.vcpus}`);
    return snapshot;
  }

  readLog(cursor: number, max = 256): LogReadResult {
    const first = this.log[0]?.sequence ?? this.remoteCursor;
    const records = this.log.filter((r) => r.sequence >= cursor).slice(0, max);
    const nextCursor = records.length > 0 ? records[records.length - 1]!.sequence + 1 : Math.max(cursor, first);
    return { records, lost: Math.max(0, first - cursor), nextCursor };
  }

  close(): void {
    this.client.close();
  }
}
