/** Helpers for small test guests: print on COM1 and end the VM with a status. */
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';

export function print(cpu: GuestCpu, text: string): void {
  for (const byte of new TextEncoder().encode(text)) cpu.out8(0x3f8, byte);
}

export function exitWith(cpu: GuestCpu, status: number): never {
  cpu.out8(0xf4, status);
  throw new Error('the debug-exit port did not stop the VM');
}

/** The guest's own error for unwinding out of a faulting instruction (an exception fixup). */
export class Fixup extends Error {
  override readonly name = 'Fixup';
  constructor(readonly vector: number, readonly errorCode: number | undefined) {
    super(`vector ${vector}`);
  }
}

export function idle(cpu: GuestCpu): void {
  cpu.sti();
  for (;;) cpu.hlt();
}
