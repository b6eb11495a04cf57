/**
 * Every vCPU issues MIXED_CALLS_PER_VCPU VMCALLs of several kinds — PROBE, a multi-call of ECHO,
 * VCPU_REGS of a neighbour and EXIT_STATS, an unknown service — with RBP and R8..R15 all set to the
 * call's number first, so a snapshot taken at the exit holds nine equal registers or is torn.
 */
import { gva } from '../../../vmm/hw/address.js';
import { type GuestCpu, Reg } from '../../../vmm/hw/guest-cpu.js';
import { ALL_VCPUS, Op, Service, encodeRequest, encodeVcpuArgs } from '../../../shell-protocol/index.js';
import { vmcall } from '../../../guest/vmcall.js';

export const MIXED_CALLS_PER_VCPU = 4000;
export const WATCHED = [Reg.RBP, Reg.R8, Reg.R9, Reg.R10, Reg.R11, Reg.R12, Reg.R13, Reg.R14, Reg.R15];
const DONE = 0x3000;
const UNKNOWN_SERVICE = 0x77;

function work(cpu: GuestCpu, index: number, vcpus: number): void {
  const request = encodeRequest([
    { op: Op.ECHO, args: new Uint8Array(8).fill(index) },
    { op: Op.VCPU_REGS, args: encodeVcpuArgs((index + 1) % vcpus) },
    { op: Op.EXIT_STATS, args: encodeVcpuArgs(ALL_VCPUS) },
  ]);
  const requestAt = 0x100000 + index * 0x10000;
  cpu.writeBytes(gva(requestAt), request);
  for (let i = 0; i < MIXED_CALLS_PER_VCPU; i++) {
    const tag = BigInt(i * 16 + index);
    for (const reg of WATCHED) cpu.set(reg, tag);
    const kind = i % 3;
    const service = kind === 0 ? Service.PROBE : kind === 1 ? Service.CALL : UNKNOWN_SERVICE;
    const { status } = vmcall(cpu, service, { rbx: BigInt(requestAt), rcx: BigInt(request.length), rdx: BigInt(requestAt + 0x1000), rsi: 0x4000n });
    if (kind < 2 && status !== 0n) throw new Error(`vCPU ${index}: VMCALL failed with ${status}`);
  }
  cpu.write8(gva(DONE + index), 1);
}

export function boot(cpu: GuestCpu): void {
  const count = (cpu.cpuid(1).ebx >>> 16) & 0xff;
  for (let ap = 1; ap < count; ap++) cpu.wrmsr(0x830, (BigInt(ap) << 32n) | 0x4600n);
  work(cpu, 0, count);
  for (let ap = 1; ap < count; ap++) while (cpu.read8(gva(DONE + ap)) === 0) cpu.pause();
  cpu.out8(0xf4, 0);
}

export function startAp(cpu: GuestCpu): void {
  work(cpu, cpu.cpuid(1).ebx >>> 24, (cpu.cpuid(1).ebx >>> 16) & 0xff);
  cpu.cli();
  for (;;) cpu.hlt();
}
