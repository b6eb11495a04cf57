/** Every vCPU issues CALLS_PER_VCPU VMCALLs (PROBE and CALL ECHO) at once; the BSP ends the VM when all are done. */
import { gva } from '../../../vmm/hw/address.js';
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';
import { vmcall } from '../../../guest/vmcall.js';
import { Op, Service, encodeRequest } from '../../../shell-protocol/index.js';

export const CALLS_PER_VCPU = 5000;
const DONE = 0x3000;

function work(cpu: GuestCpu, index: number): void {
  const request = encodeRequest([{ op: Op.ECHO, args: new Uint8Array(8).fill(index) }]);
  const requestAt = 0x100000 + index * 0x10000;
  cpu.writeBytes(gva(requestAt), request);
  for (let i = 0; i < CALLS_PER_VCPU; i++) {
    const probe = i % 2 === 0;
    const { status } = vmcall(cpu, probe ? Service.PROBE : Service.CALL, { rbx: BigInt(requestAt), rcx: BigInt(request.length), rdx: BigInt(requestAt + 0x1000), rsi: 0x1000n });
    if (status !== 0n) throw new Error(`vCPU ${index}: VMCALL failed with ${status}`);
  }
  cpu.write8(gva(DONE + index), 1);
}

export function boot(cpu: GuestCpu): void {
  const count = (cpu.cpuid(1).ebx >>> 16) & 0xff;
  for (let ap = 1; ap < count; ap++) cpu.wrmsr(0x830, (BigInt(ap) << 32n) | 0x4600n);
  work(cpu, 0);
  for (let ap = 1; ap < count; ap++) while (cpu.read8(gva(DONE + ap)) === 0) cpu.pause();
  cpu.out8(0xf4, 0);
}

export function startAp(cpu: GuestCpu): void {
  work(cpu, cpu.cpuid(1).ebx >>> 24);
  cpu.cli();
  for (;;) cpu.hlt();
}
