/**
 * What every `ymir` mode that runs a VM does around it: create it, serve its monitor socket,
 * drain COM2 (to a file or nowhere, so a guest that writes there never waits on a full ring), and
 * say in one line how it ended.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { StopReason } from '../vmm/monitor-api.js';
import { debuggerFor, existingDebugger } from '../vmm/debug/debugger.js';
import { type GdbServer, startGdbServer } from '../vmm/debug/gdb-server.js';
import { type Vm, VmConfigError, createVm } from '../vmm/vm.js';
import type { TuiDebug } from './debug-control.js';
import { kernelSymbols } from './symbols.js';
import { defaultMonitorPath } from './monitor/discovery.js';
import type { MonitorVmIdentity } from './monitor/protocol.js';
import { MonitorServer } from './monitor/server.js';
import { DEFAULT_GDB_ADDRESS, type VmOptions, vmConfig } from './options.js';
import type { TerminatingSignal } from './signals.js';

export function describeStop(reason: StopReason, signal?: TerminatingSignal): string {
  switch (reason.kind) {
    case 'debug-exit': return `the guest powered off with status ${reason.status}`;
    case 'host-stop': return signal ? `stopped by ${signal}` : 'stopped by the host';
    case 'triple-fault': return `vCPU ${reason.vcpu} triple-faulted at rip 0x${reason.rip.toString(16)}`;
    case 'unhandled-exit': return reason.message;
    case 'internal-error': return `internal error on vCPU ${reason.vcpu}: ${reason.message}`;
  }
}

/** A file opened for writing before the VM boots, so that a path that cannot be written is refused first. */
export class OutputFile {
  private constructor(private readonly fd: number) {}

  /** Opens (truncating) `path`, or returns the reason it cannot be. */
  static open(path: string): OutputFile | string {
    try {
      return new OutputFile(openSync(path, 'w'));
    } catch (error) {
      return `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    }
  }

  /** Written at once (no buffering): what is in the file survives a signal or a crash. */
  write(data: Uint8Array | string): void {
    if (typeof data === 'string') writeSync(this.fd, data);
    else writeSync(this.fd, data);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** HOST:PORT as a user types it (an IPv6 host in brackets). */
function hostPort(address: { readonly host: string; readonly port: number }): string {
  return `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

export interface HostedVm {
  readonly vm: Vm;
  readonly monitor: MonitorServer;
  readonly identity: MonitorVmIdentity;
  /** The VM's debugger as the TUI's keys drive it. */
  readonly debug: TuiDebug;
  /** Stops the VM (if it still runs) and the monitor; resolves with why the VM stopped. */
  shutdown(): Promise<StopReason>;
}

/** Creates the VM of `options` and its monitor socket; COM2 goes to `com2` (a file), or is discarded. */
export async function hostVm(options: VmOptions, mode: MonitorVmIdentity['mode'], com2?: OutputFile): Promise<HostedVm> {
  const vm = createVm(vmConfig(options));
  const identity: MonitorVmIdentity = { name: options.name ?? `vm${process.pid}`, pid: process.pid, mode };
  const monitor = await MonitorServer.listen(options.monitor ?? defaultMonitorPath(), vm, identity);
  if (mode !== 'run') vm.com2.onData((bytes) => com2?.write(bytes));
  const gdbAddress = options.gdb ?? (options.gdbWait === true ? DEFAULT_GDB_ADDRESS : undefined);
  let gdb: GdbServer | undefined;
  if (gdbAddress !== undefined) {
    const where = hostPort(gdbAddress);
    try {
      gdb = await startGdbServer(vm, { ...gdbAddress, waitForDebugger: options.gdbWait === true });
    } catch (error) {
      monitor.close();
      throw new VmConfigError(`--gdb ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    process.stderr.write(`ymir: gdb server on ${where}${options.gdbWait === true ? ', waiting for gdb' : ''}\n`);
  }
  const symbols = mode === 'tui' ? kernelSymbols(vm.config.kernel) : undefined;
  const debug: TuiDebug = {
    attach: () => debuggerFor(vm),
    current: () => existingDebugger(vm),
    ...(gdb === undefined ? {} : { gdbAddress: hostPort(gdb.address) }),
    ...(symbols === undefined ? {} : { symbols }),
  };
  return {
    vm, monitor, identity, debug,
    async shutdown() {
      const reason = await vm.stop();
      await gdb?.close();
      monitor.close();
      com2?.close();
      return reason;
    },
  };
}
