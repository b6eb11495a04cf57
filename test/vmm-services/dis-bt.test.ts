import { describe, expect, it } from 'vitest';
import { BtStop, DisStop, DisSyntax, Op, Status } from '../../shell-protocol/constants.js';
import { decodeBt, decodeDis, encodeBtArgs, encodeDisArgs } from '../../shell-protocol/ops.js';
import { gpa } from '../../vmm/hw/address.js';
import { Pte as PteBits } from '../../vmm/hw/paging.js';

/** Page-table entry bits as the bigints these tests build entries from. */
const Pte = { PRESENT: BigInt(PteBits.P), WRITABLE: BigInt(PteBits.RW), USER: BigInt(PteBits.US) } as const;
import { Cr0 } from '../../vmm/hw/state.js';

const CR0_PG = BigInt(Cr0.PG);
import { backtrace } from '../../vmm/services/backtrace.js';
import { SNAPSHOT_SLOTS, Snap } from '../../vmm/shared.js';
import { MEMORY_BYTES, PageTables, call, fakeVm, writeVirtual } from './fake-caller.js';

/** The seed's ymirsh (`mov rax, 0; vmcall`), a call, a load through RBP and a ret. */
const CODE = Uint8Array.of(0x48, 0xc7, 0xc0, 0, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xe8, 0x10, 0, 0, 0, 0x48, 0x8b, 0x45, 0xf8, 0xc3);

function dis(vm: ReturnType<typeof fakeVm>, address: bigint, count: number, syntax: DisSyntax = DisSyntax.INTEL, at = {}) {
  const entry = call(vm, [{ op: Op.DIS, args: encodeDisArgs({ address, count, syntax }) }], at).entries[0]!;
  const decoded = entry.status === 0 ? decodeDis(entry.data) : undefined;
  if (decoded && !decoded.ok) throw new Error(decoded.error.reason);
  return { status: entry.status, result: decoded?.value };
}

describe('DIS', () => {
  it('decodes guest code and formats it in Intel or AT&T syntax, with each instruction\'s bytes', () => {
    const vm = fakeVm();
    writeVirtual(vm, 0x401000n, CODE);
    const intel = dis(vm, 0x401000n, 5).result!;
    expect(intel.instructions.map((i) => [i.address, i.text])).toEqual([
      [0x401000n, 'mov rax, 0'], [0x401007n, 'vmcall'], [0x40100an, 'call 0x40101f'], [0x40100fn, 'mov rax, [rbp-8]'], [0x401013n, 'ret'],
    ]);
    expect(Array.from(intel.instructions[1]!.bytes)).toEqual([0x0f, 0x01, 0xc1]);
    expect(intel).toMatchObject({ stop: DisStop.COUNT, nextAddress: 0x401014n });
    expect(dis(vm, 0x401000n, 4, DisSyntax.ATT).result!.instructions.map((i) => i.text)).toEqual(['mov $0,%rax', 'vmcall', 'call 0x40101f', 'mov -8(%rbp),%rax']);
  });

  it('marks bytes that are no instruction as (bad) and decodes on after them', () => {
    const vm = fakeVm();
    writeVirtual(vm, 0x402000n, Uint8Array.of(0x06, 0x90, 0x90, 0x90, 0xc3)); // 06 (push es) does not exist in 64-bit mode
    const insns = dis(vm, 0x402000n, 4).result!.instructions;
    expect(insns[0]).toMatchObject({ address: 0x402000n, text: '(bad)', invalid: true });
    expect(insns.at(-1)).toMatchObject({ address: 0x402004n, text: 'ret', invalid: false });
  });

  it('stops before an instruction that runs into an unreadable page, and is EFAULT when not even the first can be read', () => {
    const vm = fakeVm();
    const tables = new PageTables(vm, 0x10000n);
    tables.map(0x40000000n, 0x100000n);
    tables.map(0x40001000n, 0x101000n);
    tables.map(0x40002000n, 0x102000n); // code page; 0x40003000 is not mapped
    tables.map(0x40004000n, 0x104000n, Pte.PRESENT); // a supervisor page
    vm.caller.cr3 = 0x10000n;
    const at = { requestAt: 0x40000000n, responseAt: 0x40001000n, capacity: 0x1000 };
    writeVirtual(vm, 0x40002ffcn, Uint8Array.of(0x90, 0x90, 0xe8, 0x00));
    expect(dis(vm, 0x40002ffcn, 8, DisSyntax.INTEL, at).result).toMatchObject({ stop: DisStop.UNMAPPED, nextAddress: 0x40002ffen, instructions: [{ text: 'nop' }, { text: 'nop' }] });
    expect(dis(vm, 0x40002ffen, 1, DisSyntax.INTEL, at).status).toBe(Status.EFAULT);
    expect(dis(vm, 0x40003000n, 1, DisSyntax.INTEL, at).status).toBe(Status.EFAULT);
    expect(dis(vm, 0x40004000n, 1, DisSyntax.INTEL, at).status).toBe(0);
    vm.caller.cpl = 3;
    expect(dis(vm, 0x40004000n, 1, DisSyntax.INTEL, at).status).toBe(Status.EFAULT);
  });

  it('is EFAULT past the end of guest memory with paging off, and refuses 0 or more than 64 instructions', () => {
    const vm = fakeVm();
    expect(dis(vm, BigInt(MEMORY_BYTES), 1).status).toBe(Status.EFAULT);
    expect(dis(vm, 0xfffffffffffffffen, 4).status).toBe(Status.EFAULT);
    expect(dis(vm, 0x401000n, 0).status).toBe(Status.EINVAL);
    expect(dis(vm, 0x401000n, 65).status).toBe(Status.E2BIG);
    expect(dis(vm, 0x401000n, 0xffffffff).status).toBe(Status.E2BIG);
  });
});

/** A stack of three frames at 0x8000 (RBP chain 0x8000 -> 0x8040 -> 0x8080 -> 0). */
function stack(vm: ReturnType<typeof fakeVm>, chain: readonly (readonly [bigint, bigint, bigint])[]): void {
  for (const [frame, saved, ret] of chain) {
    vm.shared.memory.write64(gpa(frame), saved);
    vm.shared.memory.write64(gpa(frame + 8n), ret);
  }
}
const CHAIN = [[0x8000n, 0x8040n, 0x401111n], [0x8040n, 0x8080n, 0x402222n], [0x8080n, 0n, 0x403333n]] as const;

describe('backtrace over the RBP chain', () => {
  const space = (vm: ReturnType<typeof fakeVm>, cpl = 0) => ({ memory: vm.shared.memory, cr3: undefined, cpl });

  it('gives RIP, then every return address with the frame it was read from, to the zero frame', () => {
    const vm = fakeVm();
    stack(vm, CHAIN);
    expect(backtrace(space(vm), 0x400000n, 0x8000n, 64)).toEqual({
      stop: BtStop.ZERO_FRAME,
      frames: [{ address: 0x400000n, frame: 0x8000n }, { address: 0x401111n, frame: 0x8000n }, { address: 0x402222n, frame: 0x8040n }, { address: 0x403333n, frame: 0x8080n }],
    });
  });

  it('stops at the frame limit, at a non-increasing RBP and at an unreadable frame', () => {
    const vm = fakeVm();
    stack(vm, CHAIN);
    expect(backtrace(space(vm), 0x400000n, 0x8000n, 2)).toMatchObject({ stop: BtStop.MAX_FRAMES, frames: [{ address: 0x400000n }, { address: 0x401111n }] });
    expect(backtrace(space(vm), 0x400000n, 0x8000n, 1)).toMatchObject({ stop: BtStop.MAX_FRAMES, frames: [{ address: 0x400000n }] });
    stack(vm, [[0x8040n, 0x8000n, 0x402222n]]); // a loop back to an older frame
    expect(backtrace(space(vm), 0x400000n, 0x8000n, 64)).toMatchObject({ stop: BtStop.NOT_INCREASING, frames: [{}, { address: 0x401111n }, { address: 0x402222n, frame: 0x8040n }] });
    stack(vm, [[0x8040n, BigInt(MEMORY_BYTES) - 8n, 0x402222n]]);
    expect(backtrace(space(vm), 0x400000n, 0x8000n, 64)).toMatchObject({ stop: BtStop.UNMAPPED, frames: [{}, {}, { address: 0x402222n }] });
    expect(backtrace(space(vm), 0x400000n, 0x0000800000000000n, 64)).toMatchObject({ stop: BtStop.UNMAPPED, frames: [{ address: 0x400000n }] });
    expect(backtrace(space(vm), 0x400000n, 0n, 64)).toMatchObject({ stop: BtStop.ZERO_FRAME, frames: [{ address: 0x400000n, frame: 0n }] });
  });

  it('reads another vCPU\'s chain through that vCPU\'s own page tables, as op BT', () => {
    const vm = fakeVm();
    const tables = new PageTables(vm, 0x20000n);
    tables.map(0x7fff0000n, 0x8000n, Pte.PRESENT | Pte.WRITABLE); // vCPU 1's kernel stack, supervisor-only
    stack(vm, [[0x8000n, 0x7fff0040n, 0x401111n], [0x8040n, 0n, 0x402222n]]);
    const base = 1 * SNAPSHOT_SLOTS;
    vm.shared.snapshots[base + Snap.RIP] = 0x400abcn;
    vm.shared.snapshots[base + Snap.GPRS + 5] = 0x7fff0000n; // RBP
    vm.shared.snapshots[base + Snap.CR0] = CR0_PG | 1n;
    vm.shared.snapshots[base + Snap.CR3] = 0x20000n;
    vm.shared.snapshots[base + Snap.SEQUENCE] = 42n;
    const bt = (maxFrames: number, vcpu = 1) => call(vm, [{ op: Op.BT, args: encodeBtArgs({ vcpu, maxFrames }) }]).entries[0]!;
    const walked = decodeBt(bt(16).data);
    expect(walked.ok && walked.value).toEqual({
      vcpu: 1, stop: BtStop.ZERO_FRAME, sequence: 42n,
      frames: [{ address: 0x400abcn, frame: 0x7fff0000n }, { address: 0x401111n, frame: 0x7fff0000n }, { address: 0x402222n, frame: 0x7fff0040n }],
    });
    // A CPL-3 caller may not read the supervisor stack: the walk ends at once.
    vm.caller.cpl = 3;
    const user = decodeBt(bt(16).data);
    expect(user.ok && user.value).toMatchObject({ stop: BtStop.UNMAPPED, frames: [{ address: 0x400abcn }] });
    expect([bt(0).status, bt(65).status, bt(4, 2).status]).toEqual([Status.EINVAL, Status.E2BIG, Status.EINVAL]);
  });
});
