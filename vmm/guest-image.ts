/**
 * What a vCPU boots: a guest image module, loaded by each vCPU worker as firmware loads a kernel.
 * `boot` runs on vCPU 0 (the BSP) at reset; `startAp` runs on another vCPU once the BSP has sent
 * it INIT-SIPI. Both get only the guest-facing CPU interface.
 *
 * Reset state: CR0.PG clear (linear = physical), CPL 0, RFLAGS.IF clear. Boot parameters (as
 * Linux's zero page) are at guest-physical BOOT_PARAMS_GPA.
 */
import type { GuestCpu } from './hw/guest-cpu.js';

export interface GuestImage {
  boot(cpu: GuestCpu): void;
  startAp(cpu: GuestCpu): void;
}

export const BOOT_PARAMS_GPA = 0x1000;
/** "YBP1". */
export const BOOT_PARAMS_MAGIC = 0x31504259;
/** Boot parameter layout: u32 magic, u32 vCPU count, u64 memory bytes, u32 timer vector, u32 reserved. */
export const BootParams = { MAGIC: 0, VCPUS: 4, MEMORY_BYTES: 8, TIMER_VECTOR: 16 } as const;

export function isGuestImage(module: unknown): module is GuestImage {
  const m = module as Partial<GuestImage> | undefined;
  return typeof m?.boot === 'function' && typeof m.startAp === 'function';
}
