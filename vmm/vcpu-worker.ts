/**
 * A vCPU thread: it plays one physical CPU under VMX. It builds the VMM's per-vCPU state on the
 * shared VM, loads the guest image and runs it in non-root mode until the VM stops.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Cpu, VcpuShutdown } from './hw/cpu.js';
import { createUarts, raiseIrqLine } from './uarts.js';
import { ProtectedRanges } from './ept.js';
import { exitHandler } from './exit.js';
import { isGuestImage } from './guest-image.js';
import { COM1_BASE, COM2_BASE, DEBUG_EXIT_PORT, PortBus, debugExitDevice, uartDevice } from './io.js';
import { VmmLog } from './log.js';
import type { StopReason } from './monitor-api.js';
import { MsrFile } from './msr.js';
import { registerAbiServices } from './services/index.js';
import { RunStateCode, VmShared, type VmSharedHandles } from './shared.js';
import { Vcpu } from './vcpu.js';
import { VmcallServices } from './vmc.js';

export interface VcpuWorkerData {
  readonly handles: VmSharedHandles;
  readonly index: number;
  readonly stealth: boolean;
  readonly timerIntervalMs: number;
  readonly guestImage: string;
}

export type VcpuWorkerMessage = { readonly type: 'stop'; readonly reason: StopReason };

async function run(data: VcpuWorkerData): Promise<void> {
  const shared = new VmShared(data.handles);
  const report = (reason: StopReason): void => parentPort?.postMessage({ type: 'stop', reason } satisfies VcpuWorkerMessage);
  let vcpu: Vcpu | undefined;
  const stopping = (): boolean => vcpu?.stopping ?? false;
  const log = new VmmLog(shared, stopping);
  const { com1, com2 } = createUarts(shared, stopping);
  const ports = new PortBus();
  ports.register(COM1_BASE, 8, uartDevice(com1));
  ports.register(COM2_BASE, 8, uartDevice(com2));
  const msrs = new MsrFile(() => {
    for (const uart of [com1, com2]) if (uart.interruptPending()) raiseIrqLine(shared, uart.irq);
  });
  const vmcalls = new VmcallServices();
  const protectedRanges = new ProtectedRanges(shared);
  const cpu = new Cpu(data.index, shared.memory, shared.control, shared.attentionIndex(data.index), exitHandler(() => vcpu!, { ports, msrs, vmcalls, protectedRanges }));
  vcpu = new Vcpu(data.index, cpu, shared, { stealth: data.stealth, timerIntervalMs: data.timerIntervalMs }, log, report);
  ports.register(DEBUG_EXIT_PORT, 1, debugExitDevice(vcpu));
  registerAbiServices(vmcalls, { shared, protectedRanges });

  try {
    const image: unknown = await import(data.guestImage);
    if (!isGuestImage(image)) throw new Error(`${data.guestImage} is not a guest image (it needs boot and startAp)`);
    if (data.index !== 0) waitForStartup(vcpu);
    log.write('info', 'vmx', data.index === 0 ? 'vCPU 0: VMLAUNCH at the guest kernel\'s entry point' : `vCPU ${data.index}: INIT-SIPI received, VMLAUNCH`);
    vcpu.setRunState(RunStateCode.RUNNING);
    vcpu.lapic.startTimer(performance.now());
    if (data.index === 0) image.boot(cpu);
    else image.startAp(cpu);
    // A guest that returns from its entry point is a CPU with nothing to run: cli; hlt forever.
    cpu.cli();
    for (;;) cpu.hlt();
  } catch (error) {
    if (!(error instanceof VcpuShutdown)) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      try {
        vcpu.stopVm({ kind: 'internal-error', vcpu: data.index, message });
      } catch {
        // stopVm always leaves guest mode by throwing; nothing further to unwind.
      }
    }
  } finally {
    vcpu.setRunState(RunStateCode.STOPPED);
    vcpu.publishSnapshot();
  }
}

/** An AP waits for INIT-SIPI from the BSP (or for the VM to stop). */
function waitForStartup(vcpu: Vcpu): void {
  const { control } = vcpu.shared;
  const sipi = vcpu.shared.sipiIndex(vcpu.index);
  while (Atomics.load(control, sipi) === 0) {
    vcpu.serviceAttention();
    Atomics.wait(control, sipi, 0, 50);
  }
}

await run(workerData as VcpuWorkerData);
