/**
 * A vCPU thread: it plays one physical CPU under VMX. It builds the VMM's per-vCPU state on the
 * shared VM — devices on the port bus, MSRs, VMCALL services, the exit handler — sets up the VMCS
 * (guest state, CR masks, MSR bitmap) and launches the guest: the BSP at the kernel's entry point,
 * an AP when the BSP has sent it INIT and STARTUP. It runs until the VM stops.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Cpu } from '../hw/cpu.js';
import { COM1_BASE, COM2_BASE, DEBUG_EXIT_PORT, PIC_MASTER, PIC_SLAVE, debugExitDevice, picDevice, uartDevice } from '../devices/ports.js';
import { createUarts } from '../devices/uarts.js';
import { ProtectedRanges } from '../ept.js';
import { initControlRegisterMasks } from '../exits/cr.js';
import { exitHandler } from '../exits/dispatch.js';
import { PortBus } from '../exits/io.js';
import { MsrFile, initMsrBitmap } from '../exits/msr.js';
import { VmcallServices } from '../exits/vmcall.js';
import { VmmLog } from '../log.js';
import type { StopReason } from '../monitor-api.js';
import { registerAbiServices } from '../services/index.js';
import { Control, RunStateCode, Startup, StopKind, VmShared, type VmSharedHandles } from '../shared.js';
import type { BootInfo } from '../vm/multiboot.js';
import { launchMultiboot, launchStartup } from './launch.js';
import { Vcpu, VcpuReset, VcpuShutdown } from './vcpu.js';

export interface VcpuWorkerData {
  readonly handles: VmSharedHandles;
  readonly index: number;
  readonly stealth: boolean;
  /** Where the BSP starts (the Multiboot loader's answer). */
  readonly boot: BootInfo;
}

export type VcpuWorkerMessage = { readonly type: 'stop'; readonly reason: StopReason };

function run(data: VcpuWorkerData): void {
  const shared = new VmShared(data.handles);
  const report = (reason: StopReason): void => parentPort?.postMessage({ type: 'stop', reason } satisfies VcpuWorkerMessage);
  // Each platform reset builds the vCPU afresh, as a processor comes out of RESET.
  while (boot(shared, data, report) === 'reset' && waitForReset(shared));
}

/** Build this vCPU's VMM state and run the guest until the VM stops or the platform resets. */
function boot(shared: VmShared, data: VcpuWorkerData, report: (reason: StopReason) => void): 'stopped' | 'reset' {
  let vcpu: Vcpu | undefined;
  const stopping = (): boolean => vcpu?.stopping ?? false;
  const { com1, com2 } = createUarts(shared, stopping);
  const log = new VmmLog(shared, stopping, () => com1.takeOpenLine());
  const ports = new PortBus();
  ports.register(COM1_BASE, 8, uartDevice(com1));
  ports.register(COM2_BASE, 8, uartDevice(com2));
  ports.register(PIC_MASTER, 2, picDevice(shared.pic, PIC_MASTER));
  ports.register(PIC_SLAVE, 2, picDevice(shared.pic, PIC_SLAVE));
  const vmcalls = new VmcallServices();
  const protectedRanges = new ProtectedRanges(shared);
  const sub = { ports, msrs: new MsrFile(), vmcalls, protectedRanges };
  const cpu = new Cpu({
    memory: shared.memory,
    attention: shared.control,
    attentionIndex: shared.attentionIndex(data.index),
    handler: exitHandler(() => vcpu!, sub),
    clock: () => shared.uptimeMs() * 1e6,
    onUnsupported: (message) => log.write('warn', 'cpu', `vCPU ${data.index}: ${message}: #UD`),
  });
  vcpu = new Vcpu(data.index, cpu, shared, { stealth: data.stealth }, log, report);
  ports.register(DEBUG_EXIT_PORT, 1, debugExitDevice(vcpu));
  registerAbiServices(vmcalls, { shared, protectedRanges });

  let outcome: 'stopped' | 'reset' = 'stopped';
  try {
    if (data.index === 0) {
      launchMultiboot(cpu, data.boot);
      log.write('info', 'vmx', `vCPU 0: VMLAUNCH at the kernel's entry point 0x${data.boot.entry.toString(16)}`);
    } else {
      const vector = waitForStartup(vcpu);
      launchStartup(cpu, vector);
      log.write('info', 'vmx', `vCPU ${data.index}: INIT-SIPI received (vector 0x${vector.toString(16)}), VMLAUNCH in real mode`);
    }
    initControlRegisterMasks(vcpu);
    initMsrBitmap(vcpu.vmcs);
    vcpu.setRunState(RunStateCode.RUNNING);
    vcpu.prepareEntry();
    cpu.launch();
  } catch (error) {
    if (error instanceof VcpuReset) outcome = 'reset';
    else if (!(error instanceof VcpuShutdown)) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      try {
        vcpu.stopVm({ kind: 'internal-error', vcpu: data.index, message });
      } catch {
        // stopVm always leaves guest mode by throwing; nothing further to unwind.
      }
    }
  } finally {
    vcpu.setRunState(outcome === 'reset' ? RunStateCode.NOT_STARTED : RunStateCode.STOPPED);
    vcpu.publishSnapshot();
  }
  return outcome;
}

/**
 * Out of guest mode for a platform reset: say so, then wait until the main thread has reset the
 * platform (vm.ts systemReset); false when the VM stops meanwhile.
 */
function waitForReset(shared: VmShared): boolean {
  const { control } = shared;
  const generation = Atomics.load(control, Control.RESET_GENERATION);
  Atomics.add(control, Control.RESET_PARKED, 1);
  Atomics.notify(control, Control.RESET_PARKED);
  while (Atomics.load(control, Control.RESET_GENERATION) === generation) {
    if (Atomics.load(control, Control.STOP_KIND) !== StopKind.NONE) return false;
    Atomics.wait(control, Control.RESET_GENERATION, generation, 50);
  }
  return true;
}

/** An AP waits for INIT and STARTUP from the BSP (or for the VM to stop); returns the vector. */
function waitForStartup(vcpu: Vcpu): number {
  const { control } = vcpu.shared;
  const at = vcpu.shared.startupIndex(vcpu.index);
  for (;;) {
    const state = Atomics.load(control, at);
    if ((state & Startup.SIPI) !== 0) return state & 0xff;
    vcpu.serviceAttention();
    Atomics.wait(control, at, state, 50);
  }
}

run(workerData as VcpuWorkerData);
