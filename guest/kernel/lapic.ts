/** The guest's side of the x2APIC: its MSRs, the vectors the kernel uses, and NO_HZ idle. */
import type { GuestCpu } from '../../vmm/hw/guest-cpu.js';

export const MSR_X2APIC_ID = 0x802;
export const MSR_X2APIC_EOI = 0x80b;
export const MSR_X2APIC_ICR = 0x830;
const MSR_X2APIC_LVT_TIMER = 0x832;
const LVT_MASKED = 1n << 16n;
const LVT_TIMER_PERIODIC = 1n << 17n;

export const TIMER_VECTOR = 0x20;
export const COM2_VECTOR = 0x23;
export const COM1_VECTOR = 0x24;

/** Mask or unmask the periodic timer (LVT timer bit 16). */
export function setTimerMasked(cpu: GuestCpu, masked: boolean): void {
  cpu.wrmsr(MSR_X2APIC_LVT_TIMER, BigInt(TIMER_VECTOR) | LVT_TIMER_PERIODIC | (masked ? LVT_MASKED : 0n));
}

/**
 * HLT with the tick off, as Linux's NO_HZ idle: when only an interrupt from a device can give the
 * CPU work, a halted vCPU then costs the host nothing until it arrives.
 */
export function haltTickless(cpu: GuestCpu): void {
  setTimerMasked(cpu, true);
  cpu.hlt();
  setTimerMasked(cpu, false);
}
