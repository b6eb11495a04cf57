/**
 * 100,000 random VMCALLs from guest code: random registers, random and mutated request bytes,
 * addresses at the edges of guest memory. Reports statuses that are not in the spec, bytes that
 * changed outside the response range, and the memory checksum outside the buffers.
 */
import { gva } from '../../../vmm/hw/address.js';
import { type GuestCpu, Reg } from '../../../vmm/hw/guest-cpu.js';
import { ALL_VCPUS, Op, Service, Status, encodeAddressArgs, encodeLogReadArgs, encodeMemReadArgs, encodeRequest, encodeVcpuArgs, isStatus } from '../../../shell-protocol/index.js';

export const CALLS = 100_000;
const MEMORY = 8 << 20;
const REQUEST = 0x100000;
const ARENA = 0x200000;
const ARENA_BYTES = 0x20000;
const SENTINEL = 0xa5;

let seed = 0x12345678;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(list: readonly T[]): T => list[below(list.length)]!;

const SAFE_ENTRIES = [
  { op: Op.ECHO, args: new Uint8Array(24).fill(7) }, { op: Op.VM_INFO }, { op: Op.OPS }, { op: Op.PROTECTED },
  { op: Op.EXIT_STATS, args: encodeVcpuArgs(ALL_VCPUS) }, { op: Op.VCPU_REGS, args: encodeVcpuArgs(0) },
  { op: Op.TRANSLATE, args: encodeAddressArgs(0x1000n) }, { op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: 0n, length: 512 }) },
  { op: Op.LOG_READ, args: encodeLogReadArgs({ cursor: 0n, maxRecords: 8 }) }, { op: 77 },
];

function requestBytes(): Uint8Array {
  const kind = random();
  if (kind < 0.3) return Uint8Array.from({ length: below(600) }, () => below(256));
  const entries = Array.from({ length: 1 + below(12) }, () => pick(SAFE_ENTRIES));
  const bytes = encodeRequest(entries, below(4) === 0 ? 1 : 0).slice();
  if (kind < 0.8) for (let flips = 1 + below(4); flips > 0; flips--) bytes[below(bytes.length)] = below(256);
  return bytes;
}

/**
 * Mostly an address inside the usual buffer; sometimes one at the edge of guest memory, past it,
 * or where a range would wrap past 2^64 (with a capacity of 8 KiB or more such ranges always
 * reach outside guest memory, so the VMM must refuse them whole).
 */
function address(usual: number, limit: number): bigint {
  switch (below(12)) {
    case 0: return BigInt(MEMORY - 8 * (1 + below(4)));
    case 1: return BigInt(MEMORY - 4096 + 8 * below(8));
    case 2: return BigInt(MEMORY + 8 * below(1000));
    case 3: return (1n << 64n) - 8n * BigInt(1 + below(4));
    default: return BigInt(usual + 8 * below(Math.max(1, limit / 8)));
  }
}

function checksum(cpu: GuestCpu, from: number, to: number): number {
  let sum = 0;
  const chunk = new Uint8Array(0x10000);
  for (let at = from; at < to; at += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, to - at));
    cpu.readBytes(gva(at), part);
    for (let i = 0; i < part.length; i++) sum = (sum * 31 + part[i]!) >>> 0;
  }
  return sum;
}

/** Everything but the request and response areas, which the guest and the VMM may write. */
function outsideBuffers(cpu: GuestCpu): number {
  return (checksum(cpu, 0, REQUEST) ^ checksum(cpu, REQUEST + 0x10000, ARENA - 0x100) ^ checksum(cpu, ARENA + ARENA_BYTES + 0x100, MEMORY)) >>> 0;
}

export function boot(cpu: GuestCpu): void {
  const sentinel = new Uint8Array(64).fill(SENTINEL);
  const seen = new Uint8Array(64);
  cpu.writeBytes(gva(ARENA - 0x100), new Uint8Array(ARENA_BYTES + 0x200).fill(SENTINEL));
  const before = outsideBuffers(cpu);
  const statuses = new Map<number, number>();
  let undefinedStatuses = 0;
  let overruns = 0;
  let oversized = 0;
  for (let i = 0; i < CALLS; i++) {
    const service = random() < 0.85 ? Service.CALL : random() < 0.5 ? Service.PROBE : 4 + below(1 << 20);
    const request = requestBytes();
    cpu.writeBytes(gva(REQUEST), request);
    const responseAt = address(ARENA, ARENA_BYTES - 64);
    const inArena = responseAt >= BigInt(ARENA) && responseAt < BigInt(ARENA + ARENA_BYTES);
    const capacity = inArena ? below(ARENA + ARENA_BYTES - Number(responseAt) + 1) : 0x2000 + below(0x2000);
    const length = random() < 0.9 ? request.length : below(2000);
    cpu.set(Reg.RAX, BigInt(service));
    cpu.set(Reg.RBX, address(REQUEST, 8));
    if (random() < 0.8) cpu.set(Reg.RBX, BigInt(REQUEST));
    cpu.set(Reg.RCX, BigInt(length));
    cpu.set(Reg.RDX, responseAt);
    cpu.set(Reg.RSI, BigInt(capacity));
    cpu.set(Reg.RDI, random() < 0.9 ? 0n : BigInt(below(4)));
    const end = Number(responseAt) + capacity;
    if (inArena && end + 64 <= ARENA + ARENA_BYTES + 0x100) cpu.writeBytes(gva(end), sentinel);
    cpu.vmcall();
    const status = Number(BigInt.asIntN(64, cpu.get(Reg.RAX)));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (!isStatus(status)) undefinedStatuses++;
    if (service === Service.CALL && Number(cpu.get(Reg.RBX)) > capacity) oversized++;
    if (inArena && end + 64 <= ARENA + ARENA_BYTES + 0x100) {
      cpu.readBytes(gva(end), seen);
      if (!seen.every((b) => b === SENTINEL)) overruns++;
    }
  }
  const guard = new Uint8Array(0x100);
  cpu.readBytes(gva(ARENA - 0x100), guard);
  const guardBefore = guard.every((b) => b === SENTINEL);
  const after = outsideBuffers(cpu);
  const line = JSON.stringify({ calls: CALLS, statuses: Object.fromEntries(statuses), undefinedStatuses, overruns, oversized, guardBefore, memoryUnchanged: before === after, okCount: statuses.get(Status.OK) ?? 0 });
  for (const byte of new TextEncoder().encode(`${line}\n`)) cpu.out8(0x2f8, byte);
  cpu.out8(0xf4, 0);
}

export function startAp(cpu: GuestCpu): void {
  cpu.sti();
  for (;;) cpu.hlt();
}
