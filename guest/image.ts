/** The guest image the VMM boots: ymir-guest with /bin. */
import type { GuestCpu } from '../vmm/hw/guest-cpu.js';
import { Kernel } from './kernel/kernel.js';
import { PROGRAMS } from './programs/index.js';

export function boot(cpu: GuestCpu): void {
  new Kernel(cpu, PROGRAMS).boot();
}

export function startAp(cpu: GuestCpu): void {
  new Kernel(cpu, PROGRAMS).startAp();
}
