/** No IDT at all: the #GP from an unknown MSR has no handler, nor does #DF — a triple fault. */
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';
import { idle } from './common.js';

export function boot(cpu: GuestCpu): void {
  cpu.rdmsr(0xdead);
}
export const startAp = idle;
