/**
 * The VM-exit dispatcher, as Ymir's handleExit: one switch over basic exit reasons (SDM Vol.3C
 * Appendix C). Every arm decodes what it needs, calls the subsystem and steps past the instruction
 * when the instruction is done; then, before VM entry, the host's requests are serviced and the
 * interrupt the guest can take is injected.
 */
import { ExitReason, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { hex } from '../hw/address.js';
import type { ExitHandler } from '../hw/cpu.js';
import { Vector } from '../hw/state.js';
import type { ProtectedRanges } from '../ept.js';
import { Control } from '../shared.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import { handleCpuid } from './cpuid.js';
import { handleCrAccess } from './cr.js';
import { handleEptViolation } from './ept.js';
import { type PortBus, handleIo } from './io.js';
import { type MsrFile, handleRdmsr, handleWrmsr } from './msr.js';
import type { VmcallServices } from './vmcall.js';

export interface ExitSubsystems {
  readonly ports: PortBus;
  readonly msrs: MsrFile;
  readonly vmcalls: VmcallServices;
  readonly protectedRanges: ProtectedRanges;
}

export function handleExit(vcpu: Vcpu, sub: ExitSubsystems): void {
  const v = vcpu.vmcs;
  const reason = v.exitReason;
  // The debugger's own exits (its breakpoints, steps, watched pages, stop requests) are not the
  // guest's: handled there and not counted.
  if (vcpu.debug.engaged && vcpu.debug.handleExit(reason)) {
    vcpu.serviceAttention();
    vcpu.prepareEntry();
    return;
  }
  const shared = vcpu.shared;
  shared.countExit(vcpu.index, reason);
  // Plain read: timing switched on by the monitor may take effect an exit late.
  const timed = shared.control[Control.EXIT_TIMING] !== 0;
  const started = timed ? performance.now() : 0;
  const at = shared.exitStats.recordExit(vcpu.index, reason, v.exitQualification, v.guestRipNumber, timed ? shared.uptimeAt(started) : Number.NaN);
  // --log-level debug: each exit in the log ring, before what its handling logs.
  if (vcpu.log.tracing) vcpu.log.trace('exit', `vCPU ${vcpu.index}: ${exitReasonName(reason)} at rip=${hex(v.guestRip)} qual=${hex(BigInt(v.exitQualification))}`);
  dispatch(vcpu, sub, reason);
  vcpu.serviceAttention();
  vcpu.prepareEntry();
  if (timed) shared.exitStats.exitHandled(at, (performance.now() - started) * 1e6);
}

function dispatch(vcpu: Vcpu, sub: ExitSubsystems, reason: number): void {
  const v = vcpu.vmcs;
  switch (reason) {
    case ExitReason.CPUID: handleCpuid(vcpu); break;
    case ExitReason.IO_INSTRUCTION: handleIo(vcpu, sub.ports); break;
    case ExitReason.MSR_READ: handleRdmsr(vcpu, sub.msrs); break;
    case ExitReason.MSR_WRITE: handleWrmsr(vcpu, sub.msrs); break;
    case ExitReason.CR_ACCESS: handleCrAccess(vcpu); break;
    case ExitReason.VMCALL: sub.vmcalls.handle(vcpu); break;
    case ExitReason.HLT:
      v.advanceRip();
      // HLT has completed, so the shadow of an STI before it (`sti; hlt`) is over, as KVM clears
      // it when it skips an instruction: what wakes the vCPU is delivered after the HLT.
      v.state.interruptShadow = false;
      vcpu.halt();
      break;
    case ExitReason.EXTERNAL_INTERRUPT: break; // a host kick: serviced below
    case ExitReason.PREEMPTION_TIMER:
      vcpu.lapic.checkTimer();
      vcpu.publishSnapshot();
      break;
    case ExitReason.INTERRUPT_WINDOW: break; // the guest can take an interrupt: injected below
    case ExitReason.EPT_VIOLATION: handleEptViolation(vcpu, sub.protectedRanges); break;
    case ExitReason.VMCLEAR: case ExitReason.VMLAUNCH: case ExitReason.VMPTRLD: case ExitReason.VMPTRST:
    case ExitReason.VMREAD: case ExitReason.VMRESUME: case ExitReason.VMWRITE: case ExitReason.VMOFF: case ExitReason.VMON:
      // Nested VMX is not offered (CPUID.1:ECX.VMX is clear): the instruction is undefined here.
      vcpu.injectException(Vector.UD);
      break;
    case ExitReason.TRIPLE_FAULT:
      vcpu.log.write('error', 'vcpu', `Triple fault: rip=${hex(v.guestRip)} vcpu=${vcpu.index}`);
      vcpu.publishSnapshot();
      vcpu.stopVm({ kind: 'triple-fault', vcpu: vcpu.index, rip: v.guestRip });
    default:
      vcpu.abortUnhandled();
  }
}

/** The exit handler object the CPU calls ("host RIP"). */
export function exitHandler(vcpu: () => Vcpu, sub: ExitSubsystems): ExitHandler {
  return { handleExit: () => handleExit(vcpu(), sub) };
}
