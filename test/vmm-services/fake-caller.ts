/**
 * The VMCALL services without a CPU: a VM's shared state, a fake calling vCPU (its CPL, CR3 and a
 * log) and helpers that lay out page tables and call CALL the way a guest would, with requests and
 * responses in guest memory.
 */
import { encodeRequest, type RequestEntryInput, decodeResponse } from '../../shell-protocol/codec.js';
import { gpa } from '../../vmm/hw/address.js';
import { Pte as PteBits } from '../../vmm/hw/paging.js';

/** Page-table entry bits as the bigints these tests build entries from. */
const Pte = { PRESENT: BigInt(PteBits.P), WRITABLE: BigInt(PteBits.RW), USER: BigInt(PteBits.US) } as const;
import { ProtectedRanges } from '../../vmm/ept.js';
import type { LogLevel } from '../../vmm/monitor-api.js';
import type { Caller } from '../../vmm/services/caller.js';
import type { ServiceContext } from '../../vmm/services/context.js';
import { CallService } from '../../vmm/services/index.js';
import { VmShared } from '../../vmm/shared.js';

export const MEMORY_BYTES = 16 << 20;

export interface FakeVm {
  readonly shared: VmShared;
  readonly ctx: ServiceContext;
  readonly service: CallService;
  readonly caller: Caller & { cpl: number; cr3: bigint | undefined };
  readonly log: string[];
}

export function fakeVm(options: { vcpus?: number; shared?: (handles: VmShared['handles']) => VmShared } = {}): FakeVm {
  const base = VmShared.create(options.vcpus ?? 2, MEMORY_BYTES);
  const shared = options.shared ? options.shared(base.handles) : base;
  const ctx = { shared, protectedRanges: new ProtectedRanges(shared) };
  const log: string[] = [];
  const caller = {
    index: 0,
    cpl: 0,
    cr3: undefined as bigint | undefined,
    memory: shared.memory,
    log: (level: LogLevel, scope: string, message: string) => log.push(`${level} ${scope} ${message}`),
    publishSnapshot: () => undefined,
  };
  return { shared, ctx, service: new CallService(ctx), caller, log };
}

/** 4-level page tables at `root`, mapping 4 KiB pages `va -> pa` (tables are allocated after root). */
export class PageTables {
  private next: bigint;
  constructor(private readonly vm: FakeVm, readonly root: bigint) {
    this.next = root + 0x1000n;
    vm.shared.memory.writeBytes(gpa(root), new Uint8Array(4096));
  }

  map(va: bigint, pa: bigint, flags: bigint = Pte.PRESENT | Pte.WRITABLE | Pte.USER): void {
    const memory = this.vm.shared.memory;
    let table = this.root;
    for (const shift of [39n, 30n, 21n]) {
      const at = gpa(table + ((va >> shift) & 0x1ffn) * 8n);
      let entry = memory.read64(at);
      if ((entry & Pte.PRESENT) === 0n) {
        memory.writeBytes(gpa(this.next), new Uint8Array(4096));
        entry = this.next | Pte.PRESENT | Pte.WRITABLE | Pte.USER;
        memory.write64(at, entry);
        this.next += 0x1000n;
      }
      table = entry & 0x000ffffffffff000n;
    }
    memory.write64(gpa(table + ((va >> 12n) & 0x1ffn) * 8n), pa | flags);
  }
}

export interface CallOptions {
  readonly requestAt?: bigint;
  readonly responseAt?: bigint;
  readonly capacity?: number;
  readonly flags?: bigint;
}

/** Write a request into guest memory, CALL, and decode what the VMM wrote back. */
export function call(vm: FakeVm, entries: readonly RequestEntryInput[], options: CallOptions = {}) {
  const request = encodeRequest(entries);
  const requestAt = options.requestAt ?? 0x100000n;
  const responseAt = options.responseAt ?? 0x200000n;
  const capacity = options.capacity ?? 0x10000;
  writeVirtual(vm, requestAt, request);
  const result = vm.service.call(vm.caller, requestAt, BigInt(request.length), responseAt, BigInt(capacity), options.flags ?? 0n);
  const bytes = readVirtual(vm, responseAt, result.bytes);
  const decoded = decodeResponse(bytes);
  return { ...result, entries: decoded.ok ? decoded.value.entries : [] };
}

/** Guest-virtual bytes as the caller sees them: identity with paging off, else through its tables. */
function physical(vm: FakeVm, va: bigint): bigint {
  if (vm.caller.cr3 === undefined) return va;
  let table = vm.caller.cr3;
  for (const shift of [39n, 30n, 21n, 12n]) {
    const entry = vm.shared.memory.read64(gpa(table + ((va >> shift) & 0x1ffn) * 8n));
    table = entry & 0x000ffffffffff000n;
  }
  return table | (va & 0xfffn);
}

export function writeVirtual(vm: FakeVm, va: bigint, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) vm.shared.memory.write8(gpa(physical(vm, va + BigInt(i))), bytes[i]!);
}

export function readVirtual(vm: FakeVm, va: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = vm.shared.memory.read8(gpa(physical(vm, va + BigInt(i))));
  return out;
}
