/** RDMSR of an MSR the VMM does not know: #GP(0) arrives in the guest's handler. */
import { type GuestCpu, Vector } from '../../../vmm/hw/guest-cpu.js';
import { Fixup, exitWith, idle, print } from './common.js';

export function boot(cpu: GuestCpu): void {
  cpu.lidt(new Map([[Vector.GP, (frame) => { throw new Fixup(frame.vector, frame.errorCode); }]]));
  try {
    cpu.rdmsr(0xdead);
    print(cpu, 'no fault\n');
    exitWith(cpu, 1);
  } catch (error) {
    if (!(error instanceof Fixup)) throw error;
    print(cpu, `#GP error ${error.errorCode}\n`);
    exitWith(cpu, 42);
  }
}
export const startAp = idle;
