/**
 * Control-register access exits (SDM Vol.3C 26.1.3, qualification Table 28-3). As Ymir does, the
 * VMM owns some CR0 and CR4 bits through the guest/host masks: the guest reads its own values from
 * the read shadows, while the values in force keep what VMX operation requires (CR0.NE, CR4.VMXE).
 * Owning CR0.PE and CR0.PG also brings every change of mode here, where the VMM keeps EFER.LMA and
 * the "IA-32e mode guest" entry control in step, as a VMM must. CR8 is the local APIC's TPR.
 */
import { Cr0, Cr4, Efer } from '../hw/state.js';
import type { Vcpu } from '../vcpu/vcpu.js';

export const CR0_OWNED = Cr0.PE | Cr0.PG | Cr0.NE;
export const CR0_FIXED = Cr0.NE;
export const CR4_OWNED = Cr4.VMXE | Cr4.PAE;
export const CR4_FIXED = Cr4.VMXE;
const CR4_SUPPORTED = Cr4.VME | Cr4.PVI | Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE | Cr4.OSFXSR | Cr4.OSXMMEXCPT;
const GP = 13;

const AccessType = { MOV_TO_CR: 0, MOV_FROM_CR: 1, CLTS: 2, LMSW: 3 } as const;

/** Owned bits as the VMM sets them up at reset. */
export function initControlRegisterMasks(vcpu: Vcpu): void {
  const v = vcpu.vmcs;
  v.cr0GuestHostMask = CR0_OWNED;
  v.cr0ReadShadow = v.guestCr0 & ~CR0_FIXED & CR0_OWNED;
  v.guestCr0 = (v.guestCr0 | CR0_FIXED) >>> 0;
  v.cr4GuestHostMask = CR4_OWNED;
  v.cr4ReadShadow = v.guestCr4 & ~CR4_FIXED & CR4_OWNED;
  v.guestCr4 = (v.guestCr4 | CR4_FIXED) >>> 0;
}

export function handleCrAccess(vcpu: Vcpu): void {
  const v = vcpu.vmcs;
  const q = v.exitQualification;
  const cr = q & 0xf;
  const type = (q >>> 4) & 3;
  const gpr = (q >>> 8) & 0xf;
  if (cr === 8) {
    if (type === AccessType.MOV_TO_CR) vcpu.lapic.cr8 = v.gpr32(gpr);
    else v.setGprUnsigned(gpr, vcpu.lapic.cr8);
    v.advanceRip();
    return;
  }
  if (type === AccessType.LMSW) {
    writeCr0(vcpu, (v.guestVisibleCr0 & ~0xe) | ((q >>> 16) & 0xf) | (v.guestVisibleCr0 & Cr0.PE));
    return;
  }
  if (type !== AccessType.MOV_TO_CR || (cr !== 0 && cr !== 4)) vcpu.abortUnhandled(`CR access cr=${cr} type=${type}`);
  if (cr === 0) writeCr0(vcpu, v.gpr32(gpr));
  else writeCr4(vcpu, v.gpr32(gpr));
}

/** MOV to CR0 with a change in a VMM-owned bit: the checks of SDM "MOV to CR0", then the write. */
function writeCr0(vcpu: Vcpu, value: number): void {
  const v = vcpu.vmcs;
  const paging = (value & Cr0.PG) !== 0;
  if ((paging && (value & Cr0.PE) === 0) || ((value & Cr0.NW) !== 0 && (value & Cr0.CD) === 0)) return vcpu.injectException(GP, 0);
  let efer = v.guestEfer;
  if (paging && (efer & Efer.LME) !== 0) {
    if ((v.guestCr4 & Cr4.PAE) === 0) return vcpu.injectException(GP, 0);
    efer |= Efer.LMA;
  } else if (!paging && (efer & Efer.LMA) !== 0) {
    if (v.codeIs64Bit) return vcpu.injectException(GP, 0);
    efer &= ~Efer.LMA;
  } else if (paging && !v.paging) {
    vcpu.log.write('error', 'cr', `Guest enables paging without long mode (32-bit or PAE paging is not modelled): cr0=0x${value.toString(16)}`);
    return vcpu.injectException(GP, 0);
  }
  const modeChange = ((value ^ v.guestVisibleCr0) & (Cr0.PE | Cr0.PG)) !== 0;
  v.cr0ReadShadow = value & CR0_OWNED;
  v.guestCr0 = (value | CR0_FIXED) >>> 0;
  v.guestEfer = efer;
  if (modeChange) {
    const mode = (efer & Efer.LMA) !== 0 ? 'IA-32e (long) mode' : paging ? 'paged protected mode' : (value & Cr0.PE) !== 0 ? 'protected mode' : 'real mode';
    vcpu.log.write('debug', 'cr', `vCPU ${vcpu.index}: guest entered ${mode} (cr0=0x${(value >>> 0).toString(16)})`);
  }
  v.advanceRip();
}

function writeCr4(vcpu: Vcpu, value: number): void {
  const v = vcpu.vmcs;
  if ((value & ~CR4_SUPPORTED) !== 0) return vcpu.injectException(GP, 0);
  if (v.longMode && (value & Cr4.PAE) === 0) return vcpu.injectException(GP, 0);
  v.cr4ReadShadow = value & CR4_OWNED;
  v.guestCr4 = (value | CR4_FIXED) >>> 0;
  v.advanceRip();
}

