/**
 * EPT-violation exits (SDM Vol.3C 28.3.3, qualification Table 28-7). A guest write into a
 * write-protected range is refused: logged, counted, and the instruction skipped. Any other
 * violation — memory that does not exist — is unhandled and stops the VM, as Ymir's does.
 */
import { hex } from '../hw/address.js';
import type { ProtectedRanges } from '../ept.js';
import type { Vcpu } from '../vcpu/vcpu.js';

export const EptQualification = {
  READ: 1 << 0,
  WRITE: 1 << 1,
  FETCH: 1 << 2,
  READABLE: 1 << 3,
  WRITABLE: 1 << 4,
  EXECUTABLE: 1 << 5,
  LINEAR_VALID: 1 << 7,
  /** With LINEAR_VALID: the access was to the translated address, not to a paging structure. */
  TRANSLATED: 1 << 8,
} as const;

export function handleEptViolation(vcpu: Vcpu, ranges: ProtectedRanges): void {
  const v = vcpu.vmcs;
  const q = v.exitQualification;
  const gpa = v.guestPhysicalAddress;
  const gla = BigInt.asUintN(64, BigInt(v.guestLinearAddress));
  if ((q & EptQualification.WRITE) !== 0 && ranges.recordViolation(BigInt(gpa))) {
    vcpu.log.write('warn', 'ept', `Refused write to protected ${hex(gpa)} (gva ${hex(gla)}) rip=${hex(v.guestRip)} vcpu=${vcpu.index}`);
    v.advanceRip();
    return;
  }
  const what = (q & EptQualification.FETCH) !== 0 ? 'fetch' : (q & EptQualification.WRITE) !== 0 ? 'write' : 'read';
  const where = (q & EptQualification.TRANSLATED) !== 0 ? `gva ${hex(gla)}` : `a paging structure for gva ${hex(gla)}`;
  vcpu.abortUnhandled(`reason=EPT_VIOLATION (48) ${what} of gpa=${hex(gpa)} (${where}), outside guest memory`);
}
