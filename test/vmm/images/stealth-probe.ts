/** VMCALL under a stealthy VMM raises #UD; CPUID leaf 1 has no hypervisor bit. */
import { type GuestCpu, Reg, Vector } from '../../../vmm/hw/guest-cpu.js';
import { Fixup, exitWith, idle, print } from './common.js';

export function boot(cpu: GuestCpu): void {
  cpu.lidt(new Map([[Vector.UD, (frame) => { throw new Fixup(frame.vector, frame.errorCode); }]]));
  const hypervisor = (cpu.cpuid(1).ecx >>> 31) & 1;
  let undefinedOpcodes = 0;
  for (let i = 0; i < 3; i++) {
    cpu.set(Reg.RAX, BigInt(i));
    try {
      cpu.vmcall();
    } catch (error) {
      if (!(error instanceof Fixup)) throw error;
      undefinedOpcodes++;
    }
  }
  print(cpu, `hypervisor bit ${hypervisor}, #UD ${undefinedOpcodes}\n`);
  exitWith(cpu, 0);
}
export const startAp = idle;
