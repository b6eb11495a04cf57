/**
 * System-level behaviour a real kernel relies on and the test images did not reach: descriptor
 * tables in the upper canonical half (where a kernel's GDT lives) and the one-instruction
 * interrupt shadow after STI with an interrupt window open.
 */
import { describe, expect, it } from 'vitest';
import { Seg } from '../../vmm/hw/state.js';
import { TestMachine } from '../support/test-machine.js';

const CODE = 0x400000n;
const STACK = 0x600000n;
/** Where Linux-style kernels keep their direct map, and so their per-CPU GDTs. */
const DIRECT_MAP_PAGE = 0xffff888000001000n;

function supervisor(code: number[]): TestMachine {
  const m = new TestMachine({ supervisor: true });
  m.map(CODE, 4096, { write: false, execute: true });
  m.write(CODE, Uint8Array.from(code));
  m.map(STACK, 4096, { write: true, execute: false });
  m.setGpr(4, STACK + 4096n);
  m.rip = CODE;
  return m;
}

describe('descriptor tables in the upper canonical half', () => {
  it('a far return and a data segment load read their descriptors from a GDT at 0xffff888000001000', () => {
    const m = supervisor([
      0x6a, 0x08, // push 0x08
      0x48, 0x8d, 0x05, 0x03, 0x00, 0x00, 0x00, // lea rax, [rip + 3]
      0x50, // push rax
      0x48, 0xcb, // lretq
      0xb8, 0x10, 0x00, 0x00, 0x00, // mov eax, 0x10
      0x8e, 0xd8, // mov ds, eax
      0xf4, // hlt
    ]);
    m.map(DIRECT_MAP_PAGE, 4096, { write: true, execute: false });
    const gdt = new DataView(new ArrayBuffer(24));
    gdt.setBigUint64(8, 0x00af9a000000ffffn, true); // 64-bit code, DPL 0
    gdt.setBigUint64(16, 0x00cf92000000ffffn, true); // data, DPL 0
    m.write(DIRECT_MAP_PAGE, new Uint8Array(gdt.buffer));
    m.cpu.gdtrBase = Number(BigInt.asIntN(64, DIRECT_MAP_PAGE));
    m.cpu.gdtrLimit = 23;
    expect(m.run(10)).toMatchObject({ kind: 'exit', reason: 12, retired: 6 }); // HLT exits
    expect([m.cpu.segSelector[Seg.CS], m.cpu.segSelector[Seg.DS]]).toEqual([0x08, 0x10]);
    // The processor set both descriptors' accessed bits in the table.
    expect([m.read(DIRECT_MAP_PAGE + 13n, 1)[0]! & 1, m.read(DIRECT_MAP_PAGE + 21n, 1)[0]! & 1]).toEqual([1, 1]);
  });
});

describe('STI with interrupt-window exiting', () => {
  it('runs the instruction after STI before the window opens (SDM 26.7.5: the shadow blocks it)', () => {
    const m = supervisor([0xfb, 0x90, 0x90, 0xf4]); // sti; nop; nop; hlt
    m.rflags = 0x2n;
    m.cpu.vmcs.interruptWindowExiting = true;
    expect(m.run(10)).toMatchObject({ kind: 'exit', reason: 7, retired: 2 });
    expect(m.rip).toBe(CODE + 2n);
  });
});
