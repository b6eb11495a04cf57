import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf64 } from '../support/elf.js';
import { TestMachine } from '../support/test-machine.js';

const SOURCE = '/tmp/smoke/perf.c';

function load(exe: string, jit: boolean): TestMachine {
  const elf = parseElf64(readFileSync(exe));
  const m = new TestMachine({ jit });
  for (const s of elf.segments) {
    const start = s.vaddr & ~0xfffn;
    const length = Number(s.vaddr - start) + s.memorySize;
    m.map(start, Math.ceil(length / 4096) * 4096, { write: s.writable, execute: s.executable });
    m.write(s.vaddr, s.fileBytes);
  }
  m.rip = elf.entry;
  return m;
}

describe('a gcc-built freestanding program', () => {
  it('ends in the same state compiled and interpreted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smoke-'));
    const exe = join(dir, 'prog');
    execFileSync('gcc', ['-O2', '-ffreestanding', '-fno-pic', '-no-pie', '-nostdlib', '-static', '-mgeneral-regs-only', '-fno-stack-protector', '-o', exe, SOURCE]);
    const a = load(exe, true);
    const b = load(exe, false);
    const ra = a.run(200_000_000);
    const rb = b.run(200_000_000);
    expect(ra).toEqual(rb);
    for (let n = 0; n < 16; n++) expect(a.gpr(n)).toBe(b.gpr(n));
    expect(a.rflags).toBe(b.rflags);
  }, 120_000);
});
