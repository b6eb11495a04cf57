/**
 * RDMSR/WRMSR exits: a small table of the MSRs a 64-bit kernel touches. An MSR outside it gets
 * #GP(0) injected, as the CPU does for an MSR it does not implement (SDM Vol.4).
 */
import { hex } from './hw/address.js';
import { Vector, Reg } from './hw/guest-cpu.js';
import { CR0_PG, EFER_LMA, EFER_LME, SysReg } from './hw/registers.js';
import { RunStateCode } from './shared.js';
import type { Vcpu } from './vcpu.js';

export const Msr = {
  IA32_TSC: 0x10,
  IA32_APIC_BASE: 0x1b,
  IA32_MISC_ENABLE: 0x1a0,
  IA32_PAT: 0x277,
  X2APIC_ID: 0x802,
  X2APIC_VERSION: 0x803,
  X2APIC_EOI: 0x80b,
  X2APIC_ICR: 0x830,
  X2APIC_LVT_TIMER: 0x832,
  IA32_EFER: 0xc0000080,
  IA32_STAR: 0xc0000081,
  IA32_LSTAR: 0xc0000082,
  IA32_CSTAR: 0xc0000083,
  IA32_FMASK: 0xc0000084,
  IA32_FS_BASE: 0xc0000100,
  IA32_GS_BASE: 0xc0000101,
  IA32_KERNEL_GS_BASE: 0xc0000102,
  IA32_TSC_AUX: 0xc0000103,
} as const;

const APIC_BASE_BSP = 1n << 8n;
const APIC_BASE_X2APIC = 1n << 10n;
const APIC_BASE_ENABLE = 1n << 11n;
/** ICR delivery mode field and the start-up value (SDM Vol.3A 11.6.1). */
const ICR_DELIVERY_MODE = 0x700n;
const ICR_STARTUP = 0x600n;

/** MSRs the model keeps as plain storage per vCPU. */
const STORED = new Set<number>([Msr.IA32_MISC_ENABLE, Msr.IA32_PAT, Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR, Msr.IA32_FMASK, Msr.IA32_KERNEL_GS_BASE, Msr.IA32_TSC_AUX]);

export class MsrFile {
  private readonly stored = new Map<number, bigint>();

  /** `afterEoi` re-samples level-triggered sources (the UARTs) once an interrupt is retired. */
  constructor(private readonly afterEoi: () => void) {}

  read(vcpu: Vcpu, msr: number): bigint | undefined {
    const regs = vcpu.cpu.regs.values;
    switch (msr) {
      case Msr.IA32_TSC: return BigInt(Math.round(performance.now() * 1e6));
      case Msr.IA32_APIC_BASE: return 0xfee00000n | APIC_BASE_ENABLE | APIC_BASE_X2APIC | (vcpu.index === 0 ? APIC_BASE_BSP : 0n);
      case Msr.X2APIC_ID: return BigInt(vcpu.index);
      case Msr.X2APIC_VERSION: return 0x50014n;
      case Msr.X2APIC_LVT_TIMER: return vcpu.lapic.lvtTimer;
      case Msr.IA32_EFER: return regs[SysReg.EFER]!;
      case Msr.IA32_FS_BASE: return regs[SysReg.FS_BASE]!;
      case Msr.IA32_GS_BASE: return regs[SysReg.GS_BASE]!;
      default: return STORED.has(msr) ? (this.stored.get(msr) ?? 0n) : undefined;
    }
  }

  /** False when the MSR does not exist. */
  write(vcpu: Vcpu, msr: number, value: bigint): boolean {
    const regs = vcpu.cpu.regs.values;
    switch (msr) {
      case Msr.IA32_EFER: {
        // LMA follows LME once paging is on (SDM Vol.3A 9.8.5).
        const active = (value & EFER_LME) !== 0n && (regs[SysReg.CR0]! & CR0_PG) !== 0n;
        regs[SysReg.EFER] = active ? value | EFER_LMA : value & ~EFER_LMA;
        return true;
      }
      case Msr.IA32_FS_BASE: regs[SysReg.FS_BASE] = value; return true;
      case Msr.IA32_GS_BASE: regs[SysReg.GS_BASE] = value; return true;
      case Msr.IA32_APIC_BASE: return true;
      case Msr.X2APIC_EOI: vcpu.lapic.endOfInterrupt(); this.afterEoi(); return true;
      case Msr.X2APIC_ICR: sendIpi(vcpu, value); return true;
      case Msr.X2APIC_LVT_TIMER: vcpu.lapic.writeLvtTimer(value, performance.now()); return true;
      default:
        if (!STORED.has(msr)) return false;
        this.stored.set(msr, value);
        return true;
    }
  }
}

/** INIT-SIPI from the BSP starts an AP (the only IPI the guest needs). */
function sendIpi(vcpu: Vcpu, icr: bigint): void {
  if ((icr & ICR_DELIVERY_MODE) !== ICR_STARTUP) return;
  const target = Number(icr >> 32n);
  const shared = vcpu.shared;
  if (target >= shared.vcpus || target === vcpu.index) return;
  if (Atomics.load(shared.control, shared.runStateIndex(target)) !== RunStateCode.NOT_STARTED) return;
  Atomics.store(shared.control, shared.sipiIndex(target), 1);
  Atomics.notify(shared.control, shared.sipiIndex(target));
}

export function handleRdmsr(vcpu: Vcpu, msrs: MsrFile): void {
  const cpu = vcpu.cpu;
  const msr = Number(cpu.get(Reg.RCX) & 0xffffffffn);
  const value = msrs.read(vcpu, msr);
  if (value === undefined) {
    vcpu.log.write('warn', 'msr', `RDMSR of unknown MSR ${hex(msr)}: #GP`);
    vcpu.injectException(Vector.GP, 0);
    return;
  }
  cpu.set(Reg.RAX, value & 0xffffffffn);
  cpu.set(Reg.RDX, value >> 32n);
  cpu.stepNextInstruction();
}

export function handleWrmsr(vcpu: Vcpu, msrs: MsrFile): void {
  const cpu = vcpu.cpu;
  const msr = Number(cpu.get(Reg.RCX) & 0xffffffffn);
  const value = ((cpu.get(Reg.RDX) & 0xffffffffn) << 32n) | (cpu.get(Reg.RAX) & 0xffffffffn);
  if (!msrs.write(vcpu, msr, value)) {
    vcpu.log.write('warn', 'msr', `WRMSR of unknown MSR ${hex(msr)}: #GP`);
    vcpu.injectException(Vector.GP, 0);
    return;
  }
  cpu.stepNextInstruction();
}
