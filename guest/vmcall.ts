/**
 * VMCALL in the ABI's register convention (shell-protocol/spec.md section 2): RAX the service,
 * RBX, RCX, RDX, RSI its arguments, RDI its flags; afterwards RAX holds the status and RBX, RCX
 * the outputs. For guest code that runs on the bare vCPU (test and benchmark images).
 */
import { type GuestCpu, Reg } from '../vmm/hw/guest-cpu.js';

export interface VmcallArguments {
  readonly rbx?: bigint;
  readonly rcx?: bigint;
  readonly rdx?: bigint;
  readonly rsi?: bigint;
  readonly rdi?: bigint;
}

export interface VmcallOutputs {
  /** RAX: the status, as a signed value (0 or a negative errno). */
  readonly status: bigint;
  readonly rbx: bigint;
  readonly rcx: bigint;
}

export function vmcall(cpu: GuestCpu, service: number, args: VmcallArguments = {}): VmcallOutputs {
  cpu.set(Reg.RAX, BigInt(service));
  cpu.set(Reg.RBX, args.rbx ?? 0n);
  cpu.set(Reg.RCX, args.rcx ?? 0n);
  cpu.set(Reg.RDX, args.rdx ?? 0n);
  cpu.set(Reg.RSI, args.rsi ?? 0n);
  cpu.set(Reg.RDI, args.rdi ?? 0n);
  cpu.vmcall();
  return { status: BigInt.asIntN(64, cpu.get(Reg.RAX)), rbx: cpu.get(Reg.RBX), rcx: cpu.get(Reg.RCX) };
}
