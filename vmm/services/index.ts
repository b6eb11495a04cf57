/**
 * The VMCALL services of ABI v1 (shell-protocol/spec.md): PROBE, CALL and MAP_SHARED, added to
 * the VMM's VMCALL handler next to HELLO. The services work on a Caller (caller.ts); only the
 * adapters registered here read and write the vCPU's registers.
 */
import {
  ABI_VERSION, ALL_FEATURES, CALL_FLAGS_MASK, CallFlag, MAX_MESSAGE_SIZE, PAGE_SIZE, RequestFlag, Service, Status, VMC_MAGIC, opName,
} from '../../shell-protocol/constants.js';
import { RequestEntries, ResponseWriter, checkRequest } from '../../shell-protocol/codec.js';
import { RequestHeader, ResponseHeader } from '../../shell-protocol/structs.js';
import { hex } from '../hw/address.js';
import { Gpr } from '../hw/state.js';
import { Control } from '../shared.js';
import type { Vcpu } from '../vcpu/vcpu.js';
import type { VmcallServices } from '../exits/vmcall.js';
import { type Caller, callerOf } from './caller.js';
import type { ServiceContext } from './context.js';
import { copyIn, copyOut, overlapPhysically, overlaps, resolveBuffer } from './guest-buffer.js';
import { runOp } from './ops.js';

export function registerAbiServices(services: VmcallServices, ctx: ServiceContext): void {
  const call = new CallService(ctx);
  services.register(Service.PROBE, probe);
  services.register(Service.CALL, (vcpu) => {
    const v = vcpu.vmcs;
    const result = call.call(callerOf(vcpu), v.gpr(Gpr.RBX), v.gpr(Gpr.RCX), v.gpr(Gpr.RDX), v.gpr(Gpr.RSI), v.gpr(Gpr.RDI));
    setStatus(vcpu, result.status);
    v.setGprUnsigned(Gpr.RBX, result.bytes);
    v.setGprUnsigned(Gpr.RCX, result.completed);
  });
  services.register(Service.MAP_SHARED, (vcpu) => setStatus(vcpu, mapShared(callerOf(vcpu), ctx, vcpu.vmcs.gpr(Gpr.RBX))));
}

/** RAX: 0 or the negative errno, sign-extended to 64 bits. */
function setStatus(vcpu: Vcpu, status: number): void {
  vcpu.vmcs.setGprNumber(Gpr.RAX, status);
}

function probe(vcpu: Vcpu): void {
  const v = vcpu.vmcs;
  setStatus(vcpu, Status.OK);
  v.setGprUnsigned(Gpr.RBX, VMC_MAGIC);
  v.setGprUnsigned(Gpr.RCX, ABI_VERSION);
  v.setGprUnsigned(Gpr.RDX, ALL_FEATURES);
  v.setGprUnsigned(Gpr.RSI, MAX_MESSAGE_SIZE);
}

/** MAP_SHARED: `page` = a page-aligned guest-physical page for the exit counters, or 0 to stop. */
export function mapShared(caller: Caller, ctx: ServiceContext, page: bigint): number {
  const shared = ctx.shared;
  if (caller.cpl !== 0) return Status.EPERM;
  if (page === 0n) {
    ctx.protectedRanges.mapSharedPage(0n, () => Atomics.store(shared.control, Control.SHARED_PAGE, 0));
    return Status.OK;
  }
  if (page % BigInt(PAGE_SIZE) !== 0n) return Status.EINVAL;
  if (!shared.memory.contains(page, PAGE_SIZE) || page < BigInt(PAGE_SIZE)) return Status.EFAULT;
  const mapped = ctx.protectedRanges.mapSharedPage(page, () => {
    Atomics.store(shared.control, Control.SHARED_PAGE, Number(page / BigInt(PAGE_SIZE)) + 1);
    shared.refreshSharedPage();
  });
  if (mapped === 'protected') {
    caller.log('warn', 'vmc', `MAP_SHARED refused: ${hex(page)} is write-protected`);
    return Status.EFAULT;
  }
  caller.log('info', 'vmc', `Exit counters shared at ${hex(page)}`);
  return Status.OK;
}

export interface CallResult {
  /** RAX. */
  readonly status: number;
  /** RBX: response bytes written. */
  readonly bytes: number;
  /** RCX: entries completed. */
  readonly completed: number;
}

/**
 * CALL: read the request from guest memory, run its entries (every entry its own status; stop at
 * the first error when asked; stop when the response space runs out), write the response.
 */
export class CallService {
  private readonly request = new Uint8Array(MAX_MESSAGE_SIZE);
  private readonly response = new Uint8Array(MAX_MESSAGE_SIZE);
  private readonly writer = new ResponseWriter(this.response);

  constructor(private readonly ctx: ServiceContext) {}

  private refuse(caller: Caller, status: number, reason: string, completed = 0): CallResult {
    caller.log('warn', 'vmc', `CALL refused (${status}): ${reason}`);
    return { status, bytes: 0, completed };
  }

  call(caller: Caller, requestAddress: bigint, requestBytes: bigint, responseAddress: bigint, capacity: bigint, flags: bigint): CallResult {
    if ((flags & ~BigInt(CALL_FLAGS_MASK)) !== 0n) return this.refuse(caller, Status.EINVAL, `reserved flags ${hex(flags)}`);
    const physical = (flags & BigInt(CallFlag.PHYSICAL)) !== 0n;
    if (requestBytes < BigInt(RequestHeader.size)) return this.refuse(caller, Status.EINVAL, `request of ${requestBytes} bytes is shorter than a header`);
    if (requestBytes > BigInt(MAX_MESSAGE_SIZE)) return this.refuse(caller, Status.E2BIG, `request of ${requestBytes} bytes exceeds ${MAX_MESSAGE_SIZE}`);
    if (capacity < BigInt(ResponseHeader.size)) return this.refuse(caller, Status.ENOSPC, `response capacity ${capacity} cannot hold a header`);
    if (requestAddress % 8n !== 0n || responseAddress % 8n !== 0n) return this.refuse(caller, Status.EINVAL, 'request and response must be 8-byte aligned');
    const length = Number(requestBytes);
    const room = capacity > BigInt(MAX_MESSAGE_SIZE) ? MAX_MESSAGE_SIZE : Number(capacity);
    if (overlaps(requestAddress, length, responseAddress, room)) return this.refuse(caller, Status.EINVAL, 'request and response overlap');
    const source = resolveBuffer(caller, requestAddress, length, physical, false);
    if (!source.ok) return this.refuse(caller, source.status, `request: ${source.reason}`);
    const target = resolveBuffer(caller, responseAddress, room, physical, true);
    if (!target.ok) return this.refuse(caller, target.status, `response: ${target.reason}`);
    if (overlapPhysically(source.pieces, target.pieces)) return this.refuse(caller, Status.EINVAL, 'request and response overlap in guest-physical memory');
    const memory = caller.memory;
    const request = this.request.subarray(0, length);
    copyIn(memory, source.pieces, request);
    const checked = checkRequest(request);
    if (!checked.ok) return this.refuse(caller, checked.error.status, checked.error.reason);

    const writer = this.writer;
    writer.reset(room);
    const stopOnError = (checked.value.flags & RequestFlag.STOP_ON_ERROR) !== 0;
    let completed = 0;
    const entry = new RequestEntries(request, checked.value.count);
    while (entry.next()) {
      const answer = runOp(caller, this.ctx, entry.op, entry);
      const fits =
        typeof answer === 'number' ? writer.status(entry.op, answer)
        : answer instanceof Uint8Array ? writer.data(entry.op, answer)
        : 'fill' in answer ? writer.entry(entry.op, 0, answer.length, answer.fill)
        : writer.copy(entry.op, answer.bytes, answer.argStart, answer.argLength);
      if (!fits) break;
      completed++;
      const status = typeof answer === 'number' ? answer : 0;
      if (status !== 0) caller.log('debug', 'vmc', `CALL entry ${completed - 1} ${opName(entry.op)}: status ${status}`);
      if (status !== 0 && stopOnError) break;
    }
    const bytes = writer.finish();
    // A page of the response may have been protected while the entries ran (by one of them, or by
    // another vCPU): checked again, under the lock every protection takes, as the bytes go out.
    const denied = this.ctx.protectedRanges.writeUnprotected(target.pieces, () => copyOut(memory, target.pieces, this.response.subarray(0, bytes)));
    if (denied !== undefined) return this.refuse(caller, Status.EFAULT, `response: ${hex(denied)} became write-protected during the call`, completed);
    return { status: writer.exhausted ? Status.ENOSPC : Status.OK, bytes, completed };
  }
}
