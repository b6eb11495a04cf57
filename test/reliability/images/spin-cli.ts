/** A kernel that starts its AP, turns interrupts off and spins on a memory load forever on both. */
import { gva } from '../../../vmm/hw/address.js';
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';

function spin(cpu: GuestCpu): never {
  cpu.cli();
  for (;;) cpu.read32(gva(0x3000));
}

export function boot(cpu: GuestCpu): void {
  cpu.wrmsr(0x830, (1n << 32n) | 0x4600n); // INIT-SIPI to vCPU 1
  spin(cpu);
}

export const startAp = spin;
