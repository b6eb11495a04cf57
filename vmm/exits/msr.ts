/**
 * RDMSR/WRMSR exits for the MSRs the MSR bitmap sends to the VMM (vmm/platform.md section 1): the
 * local APIC's (IA32_APIC_BASE, IA32_TSC_DEADLINE, the x2APIC range, with IPIs to other vCPUs) and
 * a few kept as plain storage. Any other MSR gets #GP(0) injected, as an MSR the CPU does not
 * implement (SDM Vol.4). The CPU itself handles EFER, the SYSCALL MSRs, the segment bases, TSC_AUX.
 */
import { Attention } from '../hw/cpu.js';
import { Msr } from '../hw/exec/sys.js';
import { Gpr } from '../hw/state.js';
import type { Vmcs } from '../hw/vmcs.js';
import { Delivery } from '../devices/lapic.js';
import { RunStateCode, Startup } from '../shared.js';
import type { Vcpu } from '../vcpu/vcpu.js';

export const StoredMsr = { IA32_MISC_ENABLE: 0x1a0, IA32_PAT: 0x277 } as const;
const PAT_RESET = 0x0007040600070406n;
const GP = 13;

/** The MSRs the CPU handles without an exit (the bitmap passes them through). */
const PASSED_THROUGH = [
  Msr.IA32_TSC, Msr.IA32_EFER, Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR, Msr.IA32_FMASK,
  Msr.IA32_FS_BASE, Msr.IA32_GS_BASE, Msr.IA32_KERNEL_GS_BASE, Msr.IA32_TSC_AUX,
];

export function initMsrBitmap(v: Vmcs): void {
  for (const msr of PASSED_THROUGH) v.interceptMsr(msr, false);
}

export class MsrFile {
  private readonly stored = new Map<number, bigint>([[StoredMsr.IA32_PAT, PAT_RESET], [StoredMsr.IA32_MISC_ENABLE, 1n]]);

  read(vcpu: Vcpu, msr: number): bigint | undefined {
    if (this.stored.has(msr)) return this.stored.get(msr);
    return vcpu.lapic.readMsr(msr);
  }

  write(vcpu: Vcpu, msr: number, value: bigint): boolean {
    if (this.stored.has(msr)) {
      this.stored.set(msr, value);
      return true;
    }
    return vcpu.lapic.writeMsr(msr, value, (icr) => sendIpi(vcpu, icr));
  }
}

/** An ICR write (SDM 11.6.1, x2APIC 11.12.9): fixed interrupts, NMI, INIT and STARTUP. */
export function sendIpi(vcpu: Vcpu, icr: bigint): void {
  const shared = vcpu.shared;
  const vector = Number(icr & 0xffn);
  const mode = Number((icr >> 8n) & 7n);
  const shorthand = Number((icr >> 18n) & 3n);
  const destination = Number(icr >> 32n);
  const targets: number[] = [];
  for (let t = 0; t < shared.vcpus; t++) {
    const chosen = shorthand === 1 ? t === vcpu.index : shorthand === 2 ? true : shorthand === 3 ? t !== vcpu.index : destination === 0xffffffff || destination === t;
    if (chosen) targets.push(t);
  }
  for (const t of targets) {
    switch (mode) {
      case Delivery.FIXED:
        if (t === vcpu.index) vcpu.lapic.request(vector);
        else {
          Atomics.or(shared.ipiWords(t), vector >>> 5, 1 << (vector & 31));
          shared.kick(t, Attention.IPI);
        }
        break;
      case Delivery.NMI:
        Atomics.add(shared.control, shared.nmiIndex(t), 1);
        shared.kick(t, Attention.IPI);
        break;
      case Delivery.INIT:
        if (Atomics.load(shared.control, shared.runStateIndex(t)) === RunStateCode.NOT_STARTED) {
          Atomics.compareExchange(shared.control, shared.startupIndex(t), Startup.WAIT_FOR_INIT, Startup.WAIT_FOR_SIPI);
        } else if (t !== vcpu.index) vcpu.log.write('warn', 'lapic', `INIT to running vCPU ${t} ignored (a processor reset is not modelled)`);
        break;
      case Delivery.STARTUP:
        if (Atomics.compareExchange(shared.control, shared.startupIndex(t), Startup.WAIT_FOR_SIPI, Startup.SIPI | vector) === Startup.WAIT_FOR_SIPI) {
          Atomics.notify(shared.control, shared.startupIndex(t));
        }
        break;
      default:
        vcpu.log.write('warn', 'lapic', `IPI with delivery mode ${mode} ignored`);
    }
  }
}

export function handleRdmsr(vcpu: Vcpu, msrs: MsrFile): void {
  const v = vcpu.vmcs;
  const msr = v.gpr32(Gpr.RCX);
  vcpu.shared.exitStats.countMsr(msr, false);
  const value = msrs.read(vcpu, msr);
  if (value === undefined) {
    vcpu.log.write('warn', 'msr', `RDMSR of unknown MSR 0x${msr.toString(16)}: #GP`);
    return vcpu.injectException(GP, 0);
  }
  v.setGprUnsigned(Gpr.RAX, Number(value & 0xffffffffn));
  v.setGprUnsigned(Gpr.RDX, Number(value >> 32n));
  v.advanceRip();
}

export function handleWrmsr(vcpu: Vcpu, msrs: MsrFile): void {
  const v = vcpu.vmcs;
  const msr = v.gpr32(Gpr.RCX);
  vcpu.shared.exitStats.countMsr(msr, true);
  const value = (BigInt(v.gpr32(Gpr.RDX)) << 32n) | BigInt(v.gpr32(Gpr.RAX));
  if (!msrs.write(vcpu, msr, value)) {
    vcpu.log.write('warn', 'msr', `WRMSR of ${msr >= 0x800 && msr <= 0x8ff ? 'x2APIC register' : 'unknown MSR'} 0x${msr.toString(16)} (value 0x${value.toString(16)}): #GP`);
    return vcpu.injectException(GP, 0);
  }
  v.advanceRip();
}

