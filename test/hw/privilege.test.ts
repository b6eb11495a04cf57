/**
 * Privileged instructions at CPL 3 raise #GP(0) before any VM exit (SDM Vol.3C 26.1.1), and I/O
 * honours IOPL: the CPU's own checks, seen through a bare vCPU whose exceptions are intercepted.
 */
import { describe, expect, it } from 'vitest';
import { TestMachine } from '../support/test-machine.js';

const CODE = 0x400000n;

function runAtCpl3(bytes: number[], setup: (m: TestMachine) => void = () => undefined): ReturnType<TestMachine['step']> {
  const m = new TestMachine();
  setup(m);
  m.map(CODE, 4096, { write: false, execute: true });
  m.write(CODE, Uint8Array.from(bytes));
  m.rip = CODE;
  return m.step();
}

describe('an instruction at CPL 3', () => {
  const privileged: [string, number[]][] = [
    ['CLI', [0xfa]],
    ['STI', [0xfb]],
    ['HLT', [0xf4]],
    ['LIDT [rax]', [0x0f, 0x01, 0x18]],
    ['LGDT [rax]', [0x0f, 0x01, 0x10]],
    ['MOV CR0, RAX', [0x0f, 0x22, 0xc0]],
    ['MOV RAX, CR3', [0x0f, 0x20, 0xd8]],
    ['MOV DR7, RAX', [0x0f, 0x23, 0xf8]],
    ['WRMSR', [0x0f, 0x30]],
    ['RDMSR', [0x0f, 0x32]],
    ['OUT 0xF4, AL', [0xe6, 0xf4]],
    ['IN AL, DX', [0xec]],
    ['INVLPG [rax]', [0x0f, 0x01, 0x38]],
    ['SWAPGS', [0x0f, 0x01, 0xf8]],
  ];
  for (const [name, bytes] of privileged) {
    it(`${name} raises #GP(0) and causes no VM exit`, () => {
      expect(runAtCpl3(bytes)).toEqual({ kind: 'exception', vector: 13, errorCode: 0, cr2: 0n });
    });
  }

  it('SYSRET raises #GP(0) with SYSCALL enabled, and #UD without (the SDM checks EFER.SCE first)', () => {
    const sysret = [0x48, 0x0f, 0x07];
    expect(runAtCpl3(sysret, (m) => { m.cpu.efer |= 1; })).toEqual({ kind: 'exception', vector: 13, errorCode: 0, cr2: 0n });
    expect(runAtCpl3(sysret)).toMatchObject({ kind: 'exception', vector: 6 });
  });

  it('I/O with IOPL 3 needs no permission check and exits to the VMM', () => {
    expect(runAtCpl3([0xe6, 0xf4], (m) => { m.rflags |= 3n << 12n; })).toEqual({ kind: 'exit', reason: 30 });
  });

  it('CPUID and VMCALL still exit (they are not privileged)', () => {
    expect(runAtCpl3([0x0f, 0xa2])).toEqual({ kind: 'exit', reason: 10 });
    expect(runAtCpl3([0x0f, 0x01, 0xc1])).toEqual({ kind: 'exit', reason: 18 });
  });

  it('UD2 and an undefined opcode raise #UD', () => {
    expect(runAtCpl3([0x0f, 0x0b])).toMatchObject({ kind: 'exception', vector: 6 });
    expect(runAtCpl3([0x0f, 0xff])).toMatchObject({ kind: 'exception', vector: 6 });
  });
});
