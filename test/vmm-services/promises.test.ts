import { describe, expect, it } from 'vitest';
import { Op, Status } from '../../shell-protocol/constants.js';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import {
  decodeExitStats, decodeProtected, decodeSharedPage, decodeTranslation, encodeAddressArgs, encodeRangeArgs, encodeText,
  encodeVcpuArgs,
} from '../../shell-protocol/ops.js';
import { gpa } from '../../vmm/hw/address.js';
import { ProtectedRanges } from '../../vmm/ept.js';
import { mapShared } from '../../vmm/services/index.js';
import { VmShared } from '../../vmm/shared.js';
import { MEMORY_BYTES, PageTables, call, fakeVm, readVirtual } from './fake-caller.js';

const RESPONSE = 0x200000n;
const range = (gpaStart: bigint, length: bigint) => encodeRangeArgs({ gpa: gpaStart, length });
const poison = (vm: ReturnType<typeof fakeVm>): void => vm.shared.memory.writeBytes(gpa(RESPONSE), new Uint8Array(0x10000).fill(0xee));
const untouched = (vm: ReturnType<typeof fakeVm>): boolean => readVirtual(vm, RESPONSE, 0x10000).every((b) => b === 0xee);

describe('a CALL response into write-protected memory', () => {
  it('is refused when the range is protected before the call', () => {
    const vm = fakeVm();
    expect(vm.ctx.protectedRanges.protect(RESPONSE + 0x1000n, 0x1000n)).toBe('ok');
    poison(vm);
    expect(call(vm, [{ op: Op.ECHO, args: encodeText('x') }])).toMatchObject({ status: Status.EFAULT, bytes: 0, completed: 0 });
    expect(untouched(vm)).toBe(true);
  });

  it('answers EFAULT and writes nothing when the call\'s own PROTECT entry covers it, whose effect stands', () => {
    const vm = fakeVm();
    poison(vm);
    const result = call(vm, [{ op: Op.ECHO, args: encodeText('before') }, { op: Op.PROTECT, args: range(RESPONSE, 0x1000n) }, { op: Op.ECHO, args: encodeText('after') }]);
    expect(result).toMatchObject({ status: Status.EFAULT, bytes: 0, completed: 3 });
    expect(untouched(vm)).toBe(true);
    expect(vm.ctx.protectedRanges.list()).toMatchObject([{ gpa: RESPONSE, length: 0x1000n }]);
    expect(vm.log.at(-1)).toMatch(/CALL refused \(-14\): response: 0x200000 became write-protected during the call/);
  });

  it('answers EFAULT and writes nothing when another vCPU protects it while the entries run', () => {
    // "Another vCPU": a second view of the same shared memory that protects the page while VM_INFO runs.
    class Racing extends VmShared {
      override uptimeMs(): number {
        new ProtectedRanges(new VmShared(this.handles)).protect(RESPONSE + 0x2000n, 0x1000n);
        return 0;
      }
    }
    const vm = fakeVm({ shared: (handles) => new Racing(handles) });
    poison(vm);
    expect(call(vm, [{ op: Op.VM_INFO }])).toMatchObject({ status: Status.EFAULT, bytes: 0, completed: 1 });
    expect(untouched(vm)).toBe(true);
  });

  it('is written when a protection elsewhere lands during the call', () => {
    const vm = fakeVm();
    const result = call(vm, [{ op: Op.PROTECT, args: range(0x300000n, 0x1000n) }, { op: Op.ECHO, args: encodeText('ok') }]);
    expect(result).toMatchObject({ status: Status.OK, completed: 2 });
    expect(new TextDecoder().decode(result.entries[1]!.data)).toBe('ok');
  });
});

describe('sealed ranges (SEAL)', () => {
  it('cannot be unprotected, overlapped, answered into or shared, and PROTECTED says they are sealed', () => {
    const vm = fakeVm();
    const sealed = range(0x400000n, 0x2000n);
    expect(call(vm, [{ op: Op.SEAL, args: sealed }]).entries[0]!.status).toBe(Status.OK);
    const tries = call(vm, [
      { op: Op.UNPROTECT, args: sealed },
      { op: Op.PROTECT, args: range(0x401000n, 0x1000n) },
      { op: Op.SEAL, args: range(0x3ff000n, 0x2000n) },
      { op: Op.PROTECT, args: range(0x500000n, 0x1000n) },
      { op: Op.UNPROTECT, args: range(0x500000n, 0x1000n) },
      { op: Op.PROTECTED },
    ]);
    expect(tries.entries.map((e) => e.status)).toEqual([Status.EPERM, Status.EEXIST, Status.EEXIST, 0, 0, 0]);
    const listed = decodeProtected(tries.entries[5]!.data);
    expect(listed.ok && listed.value).toEqual([{ gpa: 0x400000n, length: 0x2000n, violations: 0n, sealed: true }]);
    expect(call(vm, [{ op: Op.ECHO }], { responseAt: 0x401000n })).toMatchObject({ status: Status.EFAULT, bytes: 0 });
    expect(mapShared(vm.caller, vm.ctx, 0x401000n)).toBe(Status.EFAULT);
    expect(vm.log).toContain('warn ept Refused to unprotect sealed 0x400000+0x2000');
  });

  it('need CPL 0, like PROTECT', () => {
    const vm = fakeVm();
    vm.caller.cpl = 3;
    expect(call(vm, [{ op: Op.SEAL, args: range(0x400000n, 0x1000n) }]).entries[0]!.status).toBe(Status.EPERM);
    expect(vm.ctx.protectedRanges.list()).toEqual([]);
  });
});

describe('MAP_SHARED and write protection', () => {
  it('refuses a protected page', () => {
    const vm = fakeVm();
    vm.ctx.protectedRanges.protect(0x600000n, 0x1000n);
    expect(mapShared(vm.caller, vm.ctx, 0x600000n)).toBe(Status.EFAULT);
    expect(mapShared(vm.caller, vm.ctx, 0x601000n)).toBe(Status.OK);
  });

  it('keeps the mapped page writable: PROTECT of it is EBUSY until the counters move away', () => {
    const vm = fakeVm();
    expect(mapShared(vm.caller, vm.ctx, 0x601000n)).toBe(Status.OK);
    expect(vm.ctx.protectedRanges.protect(0x600000n, 0x3000n)).toBe('shared-page');
    expect(call(vm, [{ op: Op.PROTECT, args: range(0x601000n, 0x1000n) }]).entries[0]!.status).toBe(Status.EBUSY);
    expect(mapShared(vm.caller, vm.ctx, 0n)).toBe(Status.OK);
    expect(vm.ctx.protectedRanges.protect(0x600000n, 0x3000n)).toBe('ok');
  });
});

describe('the shared counter page after STATS_RESET', () => {
  it('equals EXIT_STATS once the reset vCPU takes it, even with an exit of it in flight', () => {
    const vm = fakeVm();
    const { shared } = vm;
    expect(mapShared(vm.caller, vm.ctx, 0x700000n)).toBe(Status.OK);
    for (let i = 0; i < 3; i++) shared.countExit(0, ExitReason.CPUID);
    shared.countExit(1, ExitReason.HLT);
    // vCPU 1 resets vCPU 0, which is inside an exit it counts before it sees the kick.
    expect(call({ ...vm, caller: { ...vm.caller, index: 1 } }, [{ op: Op.STATS_RESET, args: encodeVcpuArgs(0) }]).entries[0]!.status).toBe(Status.OK);
    shared.countExit(0, ExitReason.VMCALL);
    shared.applyExitCountReset(0);
    const page = decodeSharedPage(shared.memory.slice(gpa(0x700000n), 4096));
    if (!page.ok) throw new Error(page.error.reason);
    const stats = decodeExitStats(call(vm, [{ op: Op.EXIT_STATS, args: encodeVcpuArgs(0) }]).entries[0]!.data);
    if (!stats.ok) throw new Error(stats.error.reason);
    const fromPage = page.value.counts[0]!.flatMap((count, reason) => (count === 0n ? [] : [{ reason, count }]));
    expect(fromPage).toEqual(stats.value.counts);
    expect(fromPage).toEqual([{ reason: ExitReason.VMCALL, count: 1n }]);
    expect(page.value.totals[0]).toBe(stats.value.total);
    expect(page.value.counts[1]![ExitReason.HLT]).toBe(1n);
    expect(page.value.sequence).toBe(1n);
  });
});

describe('request and response overlap', () => {
  it('is found in guest-physical memory, where two virtual pages alias one', () => {
    const vm = fakeVm();
    const tables = new PageTables(vm, 0x10000n);
    tables.map(0x40000000n, 0x800000n);
    tables.map(0x40001000n, 0x800000n); // the same physical page again
    tables.map(0x40002000n, 0x801000n);
    vm.caller.cr3 = 0x10000n;
    vm.caller.cpl = 3;
    const echo = [{ op: Op.ECHO, args: encodeText('alias') }];
    expect(call(vm, echo, { requestAt: 0x40000000n, responseAt: 0x40001000n, capacity: 0x1000 })).toMatchObject({ status: Status.EINVAL, bytes: 0 });
    expect(call(vm, echo, { requestAt: 0x40000000n, responseAt: 0x40002000n, capacity: 0x1000 }).status).toBe(Status.OK);
    // The whole capacity counts, not only the bytes the answer would take.
    expect(call(vm, echo, { requestAt: 0x40001800n, responseAt: 0x40000000n, capacity: 0x1000 }).status).toBe(Status.EINVAL);
    expect(call(vm, echo, { requestAt: 0x40000800n, responseAt: 0x40002000n, capacity: 0x1000 }).status).toBe(Status.OK);
  });
});

describe('TRANSLATE', () => {
  it('with paging off translates addresses in RAM and fails beyond it', () => {
    const vm = fakeVm();
    const answer = call(vm, [
      { op: Op.TRANSLATE, args: encodeAddressArgs(0x1234n) },
      { op: Op.TRANSLATE, args: encodeAddressArgs(BigInt(MEMORY_BYTES) - 1n) },
      { op: Op.TRANSLATE, args: encodeAddressArgs(BigInt(MEMORY_BYTES)) },
      { op: Op.TRANSLATE, args: encodeAddressArgs(0xffffffffffff0000n) },
    ]);
    expect(answer.entries.map((e) => e.status)).toEqual([0, 0, Status.EFAULT, Status.EFAULT]);
    const t = decodeTranslation(answer.entries[0]!.data);
    expect(t.ok && t.value.gpa).toBe(0x1234n);
  });

  it('with paging on fails for a page mapped outside guest memory', () => {
    const vm = fakeVm();
    const tables = new PageTables(vm, 0x10000n);
    tables.map(0x40000000n, BigInt(MEMORY_BYTES) + 0x1000n);
    tables.map(0x40001000n, 0x100000n);
    tables.map(0x40002000n, 0x101000n);
    vm.caller.cr3 = 0x10000n;
    const at = { requestAt: 0x40001000n, responseAt: 0x40002000n, capacity: 0x1000 };
    const answer = call(vm, [{ op: Op.TRANSLATE, args: encodeAddressArgs(0x40000010n) }, { op: Op.TRANSLATE, args: encodeAddressArgs(0x40001010n) }], at);
    expect(answer.entries.map((e) => e.status)).toEqual([Status.EFAULT, 0]);
  });
});
