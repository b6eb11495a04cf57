/**
 * CPUID exits (SDM Vol.2A "CPUID"): the processor of vmm/platform.md section 1. Leaf 0 names the
 * vendor "YmirYmirYmir" as Ymir does; a stealthy VMM shows a plain Intel processor instead, with
 * the hypervisor bit (leaf 1 ECX[31]) and the leaves 0x40000000.. clear.
 */
import { ABI_VERSION } from '../../shell-protocol/constants.js';
import { Gpr } from '../hw/state.js';
import type { Vcpu } from '../vcpu/vcpu.js';

/** A CPUID leaf's four registers. */
type Leaf = readonly [eax: number, ebx: number, ecx: number, edx: number];

const chars = (text: string): number[] => {
  const out: number[] = [];
  for (let k = 0; k < text.length; k += 4) {
    out.push([...text.slice(k, k + 4).padEnd(4, '\0')].reduce((v, ch, n) => v | (ch.charCodeAt(0) << (8 * n)), 0) >>> 0);
  }
  return out;
};
const YMIR = chars('Ymir')[0]!;
const [GENU, INEI, NTEL] = chars('GenuineIntel') as [number, number, number];
const BRAND = chars('ymir-dbg virtual CPU'.padEnd(48, '\0'));

const MAX_BASIC_LEAF = 0x16;
/** Family 6 model 0x8c stepping 1 (a Tiger Lake, as good as any). */
const LEAF1_EAX = 0x000806c1;
const LEAF1_ECX_CX16 = 1 << 13;
const LEAF1_ECX_X2APIC = 1 << 21;
const LEAF1_ECX_POPCNT = 1 << 23;
const LEAF1_ECX_TSC_DEADLINE = 1 << 24;
const LEAF1_ECX_HYPERVISOR = 1 << 31;
/** TSC, MSR, PAE, CX8, APIC, PGE, CMOV, PAT, CLFSH (no FPU, SSE or SSE2 until they are modelled). */
const LEAF1_EDX = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 9) | (1 << 13) | (1 << 15) | (1 << 16) | (1 << 19);
/** LAHF/SAHF in 64-bit mode, LZCNT. */
const EXT1_ECX = (1 << 0) | (1 << 5);
/** SYSCALL, NX, 1 GiB pages, RDTSCP, long mode. */
const EXT1_EDX = (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29);

export function cpuidLeaf(vcpu: Vcpu, leaf: number, subleaf: number): Leaf {
  const stealth = vcpu.config.stealth;
  const vcpus = vcpu.shared.vcpus;
  switch (leaf) {
    case 0x0: return stealth ? [MAX_BASIC_LEAF, GENU, NTEL, INEI] : [MAX_BASIC_LEAF, YMIR, YMIR, YMIR];
    case 0x1: {
      const ebx = (vcpu.index << 24) | ((vcpus & 0xff) << 16) | (8 << 8);
      const ecx = LEAF1_ECX_CX16 | LEAF1_ECX_X2APIC | LEAF1_ECX_POPCNT | LEAF1_ECX_TSC_DEADLINE | (stealth ? 0 : LEAF1_ECX_HYPERVISOR);
      return [LEAF1_EAX, ebx, ecx >>> 0, LEAF1_EDX];
    }
    case 0xb: {
      // x2APIC topology: level 0 is the SMT level (one thread), level 1 the core level (the vCPUs).
      const shift = Math.max(0, 32 - Math.clz32(vcpus - 1));
      if (subleaf === 0) return [0, 1, 0x100, vcpu.index];
      if (subleaf === 1) return [shift, vcpus, 0x201, vcpu.index];
      return [0, 0, subleaf & 0xff, vcpu.index];
    }
    case 0x15: return [1, 1, 1_000_000_000, 0];
    case 0x16: return [1000, 1000, 1000, 0];
    case 0x40000000: return stealth ? [0, 0, 0, 0] : [0x40000001, YMIR, YMIR, YMIR];
    case 0x40000001: return stealth ? [0, 0, 0, 0] : [ABI_VERSION, 0, 0, 0];
    case 0x80000000: return [0x80000008, 0, 0, 0];
    case 0x80000001: return [0, 0, EXT1_ECX, EXT1_EDX];
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const at = (leaf - 0x80000002) * 4;
      return [BRAND[at]!, BRAND[at + 1]!, BRAND[at + 2]!, BRAND[at + 3]!];
    }
    case 0x80000007: return [0, 0, 0, 1 << 8];
    case 0x80000008: return [0x3027, 0, 0, 0];
    default: return [0, 0, 0, 0];
  }
}

export function handleCpuid(vcpu: Vcpu): void {
  const v = vcpu.vmcs;
  const [eax, ebx, ecx, edx] = cpuidLeaf(vcpu, v.gpr32(Gpr.RAX), v.gpr32(Gpr.RCX));
  v.setGprUnsigned(Gpr.RAX, eax >>> 0);
  v.setGprUnsigned(Gpr.RBX, ebx >>> 0);
  v.setGprUnsigned(Gpr.RCX, ecx >>> 0);
  v.setGprUnsigned(Gpr.RDX, edx >>> 0);
  v.advanceRip();
}
