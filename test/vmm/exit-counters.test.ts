/**
 * The per-vCPU exit counters in shared memory: the vCPU's own thread is their only writer, so a
 * reset asked from elsewhere (STATS_RESET on another vCPU) is applied by the owner when kicked.
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { Attention } from '../../vmm/hw/cpu.js';
import { VmShared } from '../../vmm/shared.js';

const count = (shared: VmShared, vcpu: number, reason: number, times: number): void => {
  for (let i = 0; i < times; i++) shared.countExit(vcpu, reason);
};

describe('the exit counters', () => {
  it('count per vCPU and per reason, carrying into the high word', () => {
    const shared = VmShared.create(2, 1 << 20);
    count(shared, 0, ExitReason.CPUID, 3);
    count(shared, 1, ExitReason.VMCALL, 2);
    expect(shared.exitCount(0, ExitReason.CPUID)).toBe(3);
    expect(shared.exitCount(1, ExitReason.VMCALL)).toBe(2);
    expect(shared.exitCount(1, ExitReason.CPUID)).toBe(0);

    shared.counters[ExitReason.HLT * 2] = 0xffffffff; // vCPU 0's HLT counter, low half
    shared.countExit(0, ExitReason.HLT);
    expect(shared.exitCount(0, ExitReason.HLT)).toBe(2 ** 32);
  });

  it('read as zeros from the moment a reset is asked, and count again once the owner applied it', () => {
    const shared = VmShared.create(2, 1 << 20);
    count(shared, 0, ExitReason.CPUID, 4);
    count(shared, 1, ExitReason.CPUID, 5);
    shared.resetExitCounts(1);

    // The owner (vCPU 1) is kicked to zero its own counters; readers do not wait for it.
    expect(Atomics.load(shared.control, shared.attentionIndex(1)) & Attention.RESET_COUNTERS).toBe(Attention.RESET_COUNTERS);
    expect(shared.exitCounts(1).every((n) => n === 0)).toBe(true);
    expect(shared.exitCount(0, ExitReason.CPUID)).toBe(4);

    shared.applyExitCountReset(1);
    shared.countExit(1, ExitReason.IO_INSTRUCTION);
    expect(shared.exitCount(1, ExitReason.CPUID)).toBe(0);
    expect(shared.exitCount(1, ExitReason.IO_INSTRUCTION)).toBe(1);

    // Applying again without a new request changes nothing.
    shared.applyExitCountReset(1);
    expect(shared.exitCount(1, ExitReason.IO_INSTRUCTION)).toBe(1);
  });
});
