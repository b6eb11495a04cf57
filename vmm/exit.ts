/**
 * The VM-exit dispatcher, as Ymir's handleExit: one switch over basic exit reasons (SDM Vol.3C
 * Appendix C). Every arm decodes what it needs, calls the subsystem and steps past the
 * instruction; before VM entry the host's requests are serviced and pending interrupts injected.
 */
import { ExitReason } from '../shell-protocol/exit-reasons.js';
import { hex } from './hw/address.js';
import type { Cpu, ExitHandler } from './hw/cpu.js';
import { Reg } from './hw/guest-cpu.js';
import { EptQual } from './hw/registers.js';
import { handleCpuid } from './cpuid.js';
import { handleCrAccess } from './cr.js';
import type { ProtectedRanges } from './ept.js';
import { type PortBus, handleIo } from './io.js';
import { type MsrFile, handleRdmsr, handleWrmsr } from './msr.js';
import type { Vcpu } from './vcpu.js';
import type { VmcallServices } from './vmc.js';

export interface ExitSubsystems {
  readonly ports: PortBus;
  readonly msrs: MsrFile;
  readonly vmcalls: VmcallServices;
  readonly protectedRanges: ProtectedRanges;
}

export function handleExit(vcpu: Vcpu, sub: ExitSubsystems): void {
  const cpu = vcpu.cpu;
  const reason = cpu.exit.basicReason;
  vcpu.shared.countExit(vcpu.index, reason);
  switch (reason) {
    case ExitReason.CPUID: handleCpuid(vcpu); break;
    case ExitReason.IO_INSTRUCTION: handleIo(vcpu, sub.ports); break;
    case ExitReason.MSR_READ: handleRdmsr(vcpu, sub.msrs); break;
    case ExitReason.MSR_WRITE: handleWrmsr(vcpu, sub.msrs); break;
    case ExitReason.CR_ACCESS: handleCrAccess(vcpu); break;
    case ExitReason.VMCALL: sub.vmcalls.handle(vcpu); break;
    case ExitReason.HLT:
      cpu.stepNextInstruction();
      vcpu.halt();
      break;
    case ExitReason.EXTERNAL_INTERRUPT: break; // a host kick: serviced below
    case ExitReason.PREEMPTION_TIMER: vcpu.lapic.timerExpired(performance.now()); break;
    case ExitReason.INTERRUPT_WINDOW: break; // the guest set IF: injection below
    case ExitReason.EPT_VIOLATION: handleEptViolation(vcpu, sub.protectedRanges); break;
    case ExitReason.TRIPLE_FAULT:
      vcpu.log.write('error', 'vcpu', `Triple fault: rip=${hex(cpu.get(Reg.RIP))} vcpu=${vcpu.index}`);
      vcpu.publishSnapshot();
      vcpu.stopVm({ kind: 'triple-fault', vcpu: vcpu.index, rip: cpu.get(Reg.RIP) });
    default:
      vcpu.abortUnhandled();
  }
  vcpu.serviceAttention();
  vcpu.lapic.injectPending();
}

/**
 * A guest write into a write-protected range is refused: logged, counted, and the instruction is
 * skipped. Any other EPT violation (memory that does not exist) is unhandled.
 */
function handleEptViolation(vcpu: Vcpu, ranges: ProtectedRanges): void {
  const exit = vcpu.cpu.exit;
  const write = (exit.qualification & EptQual.WRITE) !== 0;
  if (write && ranges.recordViolation(exit.guestPhysicalAddress)) {
    vcpu.log.write('warn', 'ept', `Refused write to protected ${hex(exit.guestPhysicalAddress)} (gva ${hex(exit.guestLinearAddress)}) rip=${hex(vcpu.cpu.get(Reg.RIP))} vcpu=${vcpu.index}`);
    vcpu.cpu.stepNextInstruction();
    return;
  }
  vcpu.abortUnhandled(`reason=EPT_VIOLATION (48) gpa=${hex(exit.guestPhysicalAddress)}`);
}

/** The exit handler object the CPU calls ("host RIP"). */
export function exitHandler(vcpu: () => Vcpu, sub: ExitSubsystems): ExitHandler {
  return { handleExit: (_cpu: Cpu) => handleExit(vcpu(), sub) };
}
