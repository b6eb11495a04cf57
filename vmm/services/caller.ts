/**
 * What a VMCALL service needs to know about the vCPU that called it, and nothing more: its index,
 * privilege, address space and a way to log and publish its registers. Services take a Caller,
 * not a vCPU, so that they can be driven by a fake in tests and re-pointed at whatever object the
 * exit handler holds (the VMCS-like exit information) without touching them.
 */
import type { GuestMemory } from '../hw/memory.js';
import type { LogLevel } from '../monitor-api.js';
import type { Vcpu } from '../vcpu/vcpu.js';

/** An address space as the VMM walks it for a guest: memory, paging and whose privilege reads it. */
export interface AddressSpace {
  readonly memory: GuestMemory;
  /** CR3 while paging is on (CR0.PG set); undefined with paging off (linear = physical). */
  readonly cr3: bigint | undefined;
  /** The CPL the accesses are checked at: at 3 only user-accessible pages are reachable. */
  readonly cpl: number;
}

export interface Caller extends AddressSpace {
  /** The calling vCPU's index. */
  readonly index: number;
  log(level: LogLevel, scope: string, message: string): void;
  /** Publish the caller's registers as of this VMCALL, for VCPU_REGS and BT of itself. */
  publishSnapshot(): void;
}

const callers = new WeakMap<Vcpu, Caller>();

/** The Caller view of a vCPU (one per vCPU; its getters read the registers at each use). */
export function callerOf(vcpu: Vcpu): Caller {
  let caller = callers.get(vcpu);
  if (!caller) {
    caller = {
      index: vcpu.index,
      memory: vcpu.vmcs.memory,
      get cpl() {
        return vcpu.vmcs.guestCpl;
      },
      get cr3() {
        return vcpu.vmcs.paging ? BigInt(vcpu.vmcs.guestCr3) : undefined;
      },
      log: (level, scope, message) => vcpu.log.write(level, scope, message),
      publishSnapshot: () => vcpu.publishSnapshot(),
    };
    callers.set(vcpu, caller);
  }
  return caller;
}
