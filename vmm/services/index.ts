/**
 * The VMCALL services of ABI v1 (shell-protocol/spec.md): PROBE, CALL and MAP_SHARED, added to
 * the VMM's VMCALL handler next to HELLO.
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
import type { ServiceContext } from './context.js';
import { copyIn, copyOut, overlaps, resolveBuffer } from './guest-buffer.js';
import { runOp } from './ops.js';

export function registerAbiServices(services: VmcallServices, ctx: ServiceContext): void {
  services.register(Service.PROBE, probe);
  services.register(Service.CALL, new CallService(ctx).handle);
  services.register(Service.MAP_SHARED, (vcpu) => mapShared(vcpu, ctx));
}

function setStatus(vcpu: Vcpu, status: number): void {
  vcpu.vmcs.setGprNumber(Gpr.RAX, status);
}

/** PROBE's answer never changes: converted to register values once, not at every call. */
function probe(vcpu: Vcpu): void {
  const v = vcpu.vmcs;
  setStatus(vcpu, Status.OK);
  v.setGprUnsigned(Gpr.RBX, VMC_MAGIC);
  v.setGprUnsigned(Gpr.RCX, ABI_VERSION);
  v.setGprUnsigned(Gpr.RDX, ALL_FEATURES);
  v.setGprUnsigned(Gpr.RSI, MAX_MESSAGE_SIZE);
}

/** MAP_SHARED: RBX = a page-aligned guest-physical page for the exit counters, or 0 to stop. */
function mapShared(vcpu: Vcpu, ctx: ServiceContext): void {
  const shared = ctx.shared;
  if (vcpu.vmcs.guestCpl !== 0) return setStatus(vcpu, Status.EPERM);
  const page = vcpu.vmcs.gpr(Gpr.RBX);
  if (page === 0n) {
    Atomics.store(shared.control, Control.SHARED_PAGE, 0);
    return setStatus(vcpu, Status.OK);
  }
  if (page % BigInt(PAGE_SIZE) !== 0n) return setStatus(vcpu, Status.EINVAL);
  if (!shared.memory.contains(page, PAGE_SIZE) || page < BigInt(PAGE_SIZE)) return setStatus(vcpu, Status.EFAULT);
  Atomics.store(shared.control, Control.SHARED_PAGE, Number(page / BigInt(PAGE_SIZE)) + 1);
  shared.refreshSharedPage();
  vcpu.log.write('info', 'vmc', `Exit counters shared at ${hex(page)}`);
  setStatus(vcpu, Status.OK);
}

/**
 * CALL: read the request from guest memory, run its entries (every entry its own status; stop at
 * the first error when asked; stop when the response space runs out), write the response.
 * Outputs: RAX status, RBX response bytes, RCX entries completed.
 */
class CallService {
  private readonly request = new Uint8Array(MAX_MESSAGE_SIZE);
  private readonly response = new Uint8Array(MAX_MESSAGE_SIZE);
  private readonly writer = new ResponseWriter(this.response);

  constructor(private readonly ctx: ServiceContext) {}

  readonly handle = (vcpu: Vcpu): void => {
    const v = vcpu.vmcs;
    const result = this.call(vcpu, v.gpr(Gpr.RBX), v.gpr(Gpr.RCX), v.gpr(Gpr.RDX), v.gpr(Gpr.RSI), v.gpr(Gpr.RDI));
    setStatus(vcpu, result.status);
    v.setGprUnsigned(Gpr.RBX, result.bytes);
    v.setGprUnsigned(Gpr.RCX, result.completed);
  };

  private refuse(vcpu: Vcpu, status: number, reason: string): { status: number; bytes: number; completed: number } {
    vcpu.log.write('warn', 'vmc', `CALL refused (${status}): ${reason}`);
    return { status, bytes: 0, completed: 0 };
  }

  private call(vcpu: Vcpu, requestAddress: bigint, requestBytes: bigint, responseAddress: bigint, capacity: bigint, flags: bigint): { status: number; bytes: number; completed: number } {
    if ((flags & ~BigInt(CALL_FLAGS_MASK)) !== 0n) return this.refuse(vcpu, Status.EINVAL, `reserved flags ${hex(flags)}`);
    const physical = (flags & BigInt(CallFlag.PHYSICAL)) !== 0n;
    if (requestBytes < BigInt(RequestHeader.size)) return this.refuse(vcpu, Status.EINVAL, `request of ${requestBytes} bytes is shorter than a header`);
    if (requestBytes > BigInt(MAX_MESSAGE_SIZE)) return this.refuse(vcpu, Status.E2BIG, `request of ${requestBytes} bytes exceeds ${MAX_MESSAGE_SIZE}`);
    if (capacity < BigInt(ResponseHeader.size)) return this.refuse(vcpu, Status.ENOSPC, `response capacity ${capacity} cannot hold a header`);
    if (requestAddress % 8n !== 0n || responseAddress % 8n !== 0n) return this.refuse(vcpu, Status.EINVAL, 'request and response must be 8-byte aligned');
    const length = Number(requestBytes);
    const room = capacity > BigInt(MAX_MESSAGE_SIZE) ? MAX_MESSAGE_SIZE : Number(capacity);
    if (overlaps(requestAddress, length, responseAddress, room)) return this.refuse(vcpu, Status.EINVAL, `request ${hex(requestAddress)}+${length} and response ${hex(responseAddress)}+${room} overlap`);
    const source = resolveBuffer(vcpu.vmcs, requestAddress, length, physical, false);
    if (!source.ok) return this.refuse(vcpu, source.status, `request: ${source.reason}`);
    const target = resolveBuffer(vcpu.vmcs, responseAddress, room, physical, true);
    if (!target.ok) return this.refuse(vcpu, target.status, `response: ${target.reason}`);
    const request = this.request.subarray(0, length);
    copyIn(vcpu.vmcs.memory, source.pieces, request);
    const checked = checkRequest(request);
    if (!checked.ok) return this.refuse(vcpu, checked.error.status, checked.error.reason);

    const writer = this.writer;
    writer.reset(room);
    const stopOnError = (checked.value.flags & RequestFlag.STOP_ON_ERROR) !== 0;
    let completed = 0;
    const entry = new RequestEntries(request, checked.value.count);
    while (entry.next()) {
      const answer = runOp(vcpu, this.ctx, entry.op, entry);
      const fits =
        typeof answer === 'number' ? writer.status(entry.op, answer)
        : answer instanceof Uint8Array ? writer.data(entry.op, answer)
        : 'fill' in answer ? writer.entry(entry.op, 0, answer.length, answer.fill)
        : writer.copy(entry.op, answer.bytes, answer.argStart, answer.argLength);
      if (!fits) break;
      completed++;
      const status = typeof answer === 'number' ? answer : 0;
      if (status !== 0) vcpu.log.write('debug', 'vmc', `CALL entry ${completed - 1} ${opName(entry.op)}: status ${status}`);
      if (status !== 0 && stopOnError) break;
    }
    const bytes = writer.finish();
    copyOut(vcpu.vmcs.memory, target.pieces, this.response.subarray(0, bytes));
    return { status: writer.exhausted ? Status.ENOSPC : Status.OK, bytes, completed };
  }
}
