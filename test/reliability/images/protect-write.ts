/**
 * The kernel write-protects a page of its own with PROTECT, then writes into it: the VMM refuses
 * the write and the guest goes on; it reports what the page holds through the debug-exit status.
 */
import { gva } from '../../../vmm/hw/address.js';
import type { GuestCpu } from '../../../vmm/hw/guest-cpu.js';
import { vmcall } from '../../../guest/vmcall.js';
import { Op, Service, encodeRangeArgs, encodeRequest } from '../../../shell-protocol/index.js';
import { idle } from '../../vmm/images/common.js';

const PAGE = 0x200000;
const REQUEST = 0x100000;

export function boot(cpu: GuestCpu): void {
  cpu.write8(gva(PAGE), 0x11);
  const request = encodeRequest([{ op: Op.PROTECT, args: encodeRangeArgs({ gpa: BigInt(PAGE), length: 0x1000n }) }]);
  cpu.writeBytes(gva(REQUEST), request);
  vmcall(cpu, Service.CALL, { rbx: BigInt(REQUEST), rcx: BigInt(request.length), rdx: BigInt(REQUEST + 0x1000), rsi: 0x1000n });
  cpu.write8(gva(PAGE), 0x22); // refused: an EPT violation the VMM logs, counts and skips
  cpu.out8(0xf4, cpu.read8(gva(PAGE)));
}
export const startAp = idle;
