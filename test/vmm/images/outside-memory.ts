/** A load from guest-physical memory that does not exist: an EPT violation the VMM cannot handle. */
import { gva } from '../../../vmm/hw/address.js';
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';
import { idle } from './common.js';

export function boot(cpu: GuestCpu): void {
  cpu.read32(gva(0x7fff0000n));
}
export const startAp = idle;
