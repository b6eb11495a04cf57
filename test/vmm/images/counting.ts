/**
 * A test guest: every vCPU executes CPUID a number of times, the BSP prints a line on COM1 and,
 * once the APs report done in guest memory, ends the VM through the debug-exit port.
 */
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';
import { gva } from '../../../vmm/hw/address.js';

export const CPUIDS_PER_VCPU = 1000;
const DONE_FLAGS = gva(0x2000);

function vcpuCount(cpu: GuestCpu): number {
  return (cpu.cpuid(1).ebx >>> 16) & 0xff;
}

function work(cpu: GuestCpu, index: number): void {
  for (let i = 0; i < CPUIDS_PER_VCPU - 1; i++) cpu.cpuid(0);
  cpu.write8(gva(0x2000 + index), 1);
}

export function boot(cpu: GuestCpu): void {
  const count = vcpuCount(cpu);
  for (let ap = 1; ap < count; ap++) cpu.wrmsr(0x830, (BigInt(ap) << 32n) | 0x4600n);
  for (const byte of new TextEncoder().encode('counting guest up\n')) cpu.out8(0x3f8, byte);
  work(cpu, 0);
  for (let ap = 1; ap < count; ap++) while (cpu.read8(gva(Number(DONE_FLAGS) + ap)) === 0) cpu.pause();
  cpu.out8(0xf4, 7);
}

export function startAp(cpu: GuestCpu): void {
  const index = cpu.cpuid(1).ebx >>> 24;
  work(cpu, index);
}
