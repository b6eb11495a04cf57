/**
 * Exceptions arrive through the guest's own IDT with the vector, error code, CR2 and saved RIP the
 * SDM gives them: faults save the faulting instruction's RIP, traps the next one's; a fault while
 * delivering a #PF becomes #DF. The guest (test/vmm/images/faults.c) reports what its handler saw.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { GuestConsole } from '../support/guest-console.js';

interface Seen { vector: number; error: bigint; cr2: bigint; ripOffset: bigint; length: bigint }

async function run(): Promise<Map<string, Seen>> {
  const vm = createVm({ vcpus: 1, kernel: testImage('faults'), initrd: '' });
  const console1 = new GuestConsole(vm.com1);
  vm.start();
  expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 42 });
  const seen = new Map<string, Seen>();
  for (const m of console1.text().matchAll(/^(\w+): vector (\d+) error (0x\w+) cr2 (0x\w+) rip-start (0x\w+) end-start (0x\w+)$/gm)) {
    seen.set(m[1]!, { vector: Number(m[2]), error: BigInt(m[3]!), cr2: BigInt(m[4]!), ripOffset: BigInt(m[5]!), length: BigInt(m[6]!) });
  }
  return seen;
}

describe('exception delivery through the guest IDT', () => {
  it('gives each exception its vector, error code, CR2 and saved RIP', async () => {
    const seen = await run();
    const at = (name: string): Seen => {
      const s = seen.get(name);
      if (!s) throw new Error(`the guest did not report ${name}`);
      return s;
    };
    // Faults: RIP is the faulting instruction (the last one of each snippet, whose start follows from its length).
    expect(at('divide_error')).toMatchObject({ vector: 0, ripOffset: at('divide_error').length - 2n });
    expect(at('invalid_opcode')).toMatchObject({ vector: 6, ripOffset: 0n });
    expect(at('non_canonical')).toMatchObject({ vector: 13, error: 0n, ripOffset: 10n });
    expect(at('not_present')).toMatchObject({ vector: 14, error: 0n, cr2: 0x123456789n, ripOffset: 10n });
    // A supervisor write to a read-only page with CR0.WP: P | W.
    expect(at('write_protected')).toMatchObject({ vector: 14, error: 3n, cr2: 0x3fe00010n, ripOffset: 5n });
    // Traps and software interrupts: RIP is the next instruction.
    expect(at('breakpoint')).toMatchObject({ vector: 3, ripOffset: 1n });
    expect(at('software_interrupt')).toMatchObject({ vector: 0x30, ripOffset: 2n });
    // #PF with a not-present #PF gate: #NP while delivering a page fault is a double fault.
    expect(at('double_fault')).toMatchObject({ vector: 8, error: 0n, cr2: 0x123456789n, ripOffset: 10n });
  });
});
