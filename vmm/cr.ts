/**
 * Control-register access exits. As Ymir does, CR0 and CR4 are shadowed: the guest reads back
 * what it wrote, while the value in force keeps the bits VMX operation requires (CR0.NE; CR4.VMXE
 * is owned by the host and hidden from the guest).
 */
import { Reg } from './hw/guest-cpu.js';
import { CR0_NE, CR0_PG, CR4_VMXE, CrAccessType, EFER_LMA, EFER_LME, SysReg, decodeCrQualification } from './hw/registers.js';
import type { Vcpu } from './vcpu.js';

export const CR0_FIXED = CR0_NE;
export const CR4_FIXED = CR4_VMXE;

/** MOV to CR0/CR4 from the general-purpose register the qualification names (SDM Table 28-3). */
export function handleCrAccess(vcpu: Vcpu): void {
  const cpu = vcpu.cpu;
  const { cr, accessType, gpr } = decodeCrQualification(cpu.exit.qualification);
  if (accessType !== CrAccessType.MOV_TO_CR || (cr !== 0 && cr !== 4)) vcpu.abortUnhandled(`CR access cr=${cr} type=${accessType}`);
  const value = cpu.get(gpr as Reg);
  const regs = cpu.regs.values;
  if (cr === 0) {
    regs[SysReg.CR0] = value | CR0_FIXED;
    cpu.cr0Mask = CR0_FIXED;
    cpu.cr0Shadow = value;
    const efer = regs[SysReg.EFER]!;
    const longMode = (value & CR0_PG) !== 0n && (efer & EFER_LME) !== 0n;
    regs[SysReg.EFER] = longMode ? efer | EFER_LMA : efer & ~EFER_LMA;
  } else {
    regs[SysReg.CR4] = value | CR4_FIXED;
    cpu.cr4Mask = CR4_FIXED;
    cpu.cr4Shadow = value;
  }
  cpu.stepNextInstruction();
}


