/**
 * CPUID exits (SDM Vol.2A CPUID). Leaf 0 names the vendor "YmirYmirYmir" as Ymir does; the
 * hypervisor leaves 0x40000000.. exist unless the VM is stealthy, which also clears the
 * hypervisor-present bit (leaf 1 ECX[31]).
 */
import { Reg } from './hw/guest-cpu.js';
import type { Vcpu } from './vcpu.js';

/** "Ymir" as the little-endian register value CPUID returns it in. */
const YMIR = 0x72696d59;
const LEAF1_ECX_X2APIC = 1 << 21;
const LEAF1_ECX_HYPERVISOR = 1 << 31;
/** FPU, TSC, MSR, PAE, APIC, SEP, PGE, CMOV, FXSR, SSE, SSE2. */
const LEAF1_EDX = (1 << 0) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 9) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 24) | (1 << 25) | (1 << 26);
/** SYSCALL, NX, 1 GiB pages, long mode. */
const EXT1_EDX = (1 << 11) | (1 << 20) | (1 << 26) | (1 << 29);
/** Family 6 model 0x8c stepping 1 (a Tiger Lake, as good as any). */
const LEAF1_EAX = 0x000806c1;

export function handleCpuid(vcpu: Vcpu): void {
  const cpu = vcpu.cpu;
  const leaf = Number(cpu.get(Reg.RAX) & 0xffffffffn);
  let result: readonly [number, number, number, number];
  switch (leaf) {
    case 0x0:
      result = [0x1, YMIR, YMIR, YMIR];
      break;
    case 0x1: {
      const ebx = (vcpu.index << 24) | ((vcpu.shared.vcpus & 0xff) << 16) | (8 << 8);
      const ecx = LEAF1_ECX_X2APIC | (vcpu.config.stealth ? 0 : LEAF1_ECX_HYPERVISOR);
      result = [LEAF1_EAX, ebx, ecx, LEAF1_EDX];
      break;
    }
    case 0x40000000:
      result = vcpu.config.stealth ? [0, 0, 0, 0] : [0x40000001, YMIR, YMIR, YMIR];
      break;
    case 0x40000001:
      // EAX: the VMCALL ABI this hypervisor speaks (major << 16 | minor).
      result = vcpu.config.stealth ? [0, 0, 0, 0] : [0x00010000, 0, 0, 0];
      break;
    case 0x80000000:
      result = [0x80000001, 0, 0, 0];
      break;
    case 0x80000001:
      result = [0, 0, 0, EXT1_EDX];
      break;
    default:
      result = [0, 0, 0, 0];
  }
  cpu.set(Reg.RAX, BigInt(result[0] >>> 0));
  cpu.set(Reg.RBX, BigInt(result[1] >>> 0));
  cpu.set(Reg.RCX, BigInt(result[2] >>> 0));
  cpu.set(Reg.RDX, BigInt(result[3] >>> 0));
  cpu.stepNextInstruction();
}
