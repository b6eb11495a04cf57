/**
 * ymirsh's VMCALL transport: requests are encoded into ymirsh's own memory, the VMCALL names them
 * by guest-virtual address, and the response is decoded from its own memory. Several queries go
 * in one multi-call. Privileged ops go through the kernel's VMCALL system call (CPL 0, root only).
 */
import {
  PRIVILEGED_OPS, Service, Status, VMC_MAGIC, type Op, statusName,
} from '../shell-protocol/constants.js';
import { type RequestEntryInput, decodeResponse, encodeRequest, requestSize } from '../shell-protocol/codec.js';
import { type Gva } from '../vmm/hw/address.js';
import type { UserRuntime, VmcallRegisters } from '../guest/user/runtime.js';

const REQUEST_CAPACITY = 64 * 1024;
const RESPONSE_CAPACITY = 96 * 1024;

export interface ProbeResult {
  readonly major: number;
  readonly minor: number;
  readonly features: number;
  readonly maxMessage: number;
}

export interface EntryResult {
  readonly op: number;
  readonly status: number;
  /** A copy of the entry's data. */
  readonly data: Uint8Array;
  readonly neededLength: number;
}

/** A VMCALL-level failure (the CALL as a whole), with the status the VMM returned. */
export class CallError extends Error {
  override readonly name = 'CallError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function regs(rax: bigint, rbx = 0n, rcx = 0n, rdx = 0n, rsi = 0n, rdi = 0n): VmcallRegisters {
  return { rax, rbx, rcx, rdx, rsi, rdi };
}

export class Transport {
  private readonly requestBuffer: Gva;
  private readonly responseBuffer: Gva;
  private readonly encoded = new Uint8Array(REQUEST_CAPACITY);
  private readonly received = new Uint8Array(RESPONSE_CAPACITY);
  /** Calls made, for `ping` and tests. */
  calls = 0;

  constructor(private readonly rt: UserRuntime) {
    this.requestBuffer = rt.malloc(REQUEST_CAPACITY);
    this.responseBuffer = rt.malloc(RESPONSE_CAPACITY);
  }

  private vmcall(registers: VmcallRegisters, privileged: boolean): VmcallRegisters {
    this.calls++;
    return privileged ? this.rt.vmcallPrivileged(registers) : this.rt.vmcall(registers);
  }

  /** PROBE: throws VmcallUnavailable (from the runtime) when VMCALL raises #UD. */
  probe(): ProbeResult {
    const out = this.vmcall(regs(BigInt(Service.PROBE)), false);
    if (out.rax !== 0n || out.rbx !== BigInt(VMC_MAGIC)) throw new CallError(Status.EPROTO, `PROBE answered RAX=${out.rax} RBX=0x${out.rbx.toString(16)}: not a ymir VMM`);
    const version = Number(out.rcx);
    return { major: version >>> 16, minor: version & 0xffff, features: Number(out.rdx), maxMessage: Number(out.rsi) };
  }

  /** Service 0, as the seed's ymirsh: the VMM logs its greeting. */
  hello(): number {
    return Number(BigInt.asIntN(64, this.vmcall(regs(BigInt(Service.HELLO)), false).rax));
  }

  /** Register the shared exit-counter page; returns its address in ymirsh's memory. */
  mapCounters(): Gva {
    return this.rt.mapCounters();
  }

  /**
   * One multi-call with `entries`; privileged when any entry needs CPL 0. Returns every entry's
   * result (entries the VMM did not run are absent), or throws CallError for a refused CALL.
   */
  call(entries: readonly RequestEntryInput[], options: { stopOnError?: boolean } = {}): EntryResult[] {
    if (requestSize(entries) > REQUEST_CAPACITY) throw new CallError(Status.E2BIG, `request of ${requestSize(entries)} bytes exceeds ymirsh's ${REQUEST_CAPACITY}-byte buffer`);
    const privileged = entries.some((e) => PRIVILEGED_OPS.has(e.op as Op));
    const request = encodeRequest(entries, options.stopOnError ? 1 : 0, this.encoded);
    this.rt.cpu.writeBytes(this.requestBuffer, request);
    const out = this.vmcall(regs(BigInt(Service.CALL), this.requestBuffer, BigInt(request.length), this.responseBuffer, BigInt(RESPONSE_CAPACITY), 0n), privileged);
    const status = Number(BigInt.asIntN(64, out.rax));
    const bytes = Number(out.rbx);
    if (status !== Status.OK && status !== Status.ENOSPC) throw new CallError(status, `CALL failed: ${statusName(status)}`);
    if (bytes > RESPONSE_CAPACITY) throw new CallError(Status.EPROTO, `VMM claims a ${bytes}-byte response`);
    const response = this.received.subarray(0, bytes);
    this.rt.cpu.readBytes(this.responseBuffer, response);
    const decoded = decodeResponse(response);
    if (!decoded.ok) throw new CallError(decoded.error.status, `bad response: ${decoded.error.reason}`);
    return decoded.value.entries.map((e) => ({ op: e.op, status: e.status, data: e.data.slice(), neededLength: e.neededLength }));
  }

  /** One op; throws OpError when its status is not OK. */
  one(op: number, args?: Uint8Array): Uint8Array {
    const [entry] = this.call([args ? { op, args } : { op }]);
    if (!entry) throw new CallError(Status.ENOSPC, 'the VMM ran no entry');
    if (entry.status !== Status.OK) throw new OpError(op, entry.status);
    return entry.data;
  }
}

/** An op answered a non-OK status. */
export class OpError extends Error {
  override readonly name = 'OpError';
  constructor(readonly op: number, readonly status: number) {
    super(statusName(status));
  }
}

