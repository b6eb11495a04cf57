import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { build } from './pipe.js';

const committed = fileURLToPath(new URL('../../guest/build/', import.meta.url));

describe('the committed ymirsh binaries', () => {
  it('are what a build from these sources gives, byte for byte', () => {
    const out = build(['ymirsh', 'ymirsh-hello']);
    for (const name of ['ymirsh', 'ymirsh-hello']) {
      expect(readFileSync(`${out}/${name}`).equals(readFileSync(`${committed}${name}`)), `${name} is stale: run make -C ymirsh`).toBe(true);
    }
  });

  it('are static, non-PIE x86-64 Linux executables with symbols and no interpreter', () => {
    for (const name of ['ymirsh', 'ymirsh-hello']) {
      const headers = execFileSync('readelf', ['-h', '-l', '-S', `${committed}${name}`], { encoding: 'utf8' });
      expect(headers, name).toMatch(/Type:\s+EXEC/);
      expect(headers, name).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
      expect(headers, name).not.toContain('INTERP');
      expect(headers, name).not.toContain('DYNAMIC');
      expect(headers, name).toContain('.symtab');
    }
    expect(execFileSync('readelf', ['-S', `${committed}ymirsh`], { encoding: 'utf8' })).toContain('.debug_info');
  });
});

describe('ymirsh-hello', () => {
  it('is the seed\'s program: mov rax, 0; vmcall; exit', () => {
    const code = execFileSync('objdump', ['-d', '-M', 'intel', `${committed}ymirsh-hello`], { encoding: 'utf8' });
    const instructions = [...code.matchAll(/^\s+[0-9a-f]+:\t[0-9a-f ]+\t(.+)$/gm)].map((m) => m[1]!.replace(/\s+/g, ' ').trim());
    expect(instructions).toEqual(['mov rax,0x0', 'vmcall', 'mov eax,0x3c', 'xor edi,edi', 'syscall']);
  });
});

describe('ymirsh as a process of this machine\'s Linux', () => {
  // A CPL-3 VMCALL here reaches the host's KVM, which answers RAX = -KVM_EPERM: not a ymir VMM.
  it('says it found no ymir VMM, with the answer it got, and exits 69 within seconds', () => {
    for (const args of [[], ['-c', 'version'], ['--json', '-c', 'ops']]) {
      const run = spawnSync(`${committed}ymirsh`, args, { encoding: 'utf8', timeout: 10_000, input: '' });
      expect(run.error, args.join(' ')).toBeUndefined();
      expect(run.status, args.join(' ')).toBe(69);
      expect(run.stdout).toMatch(/^ymirsh: not a ymir VMM: PROBE answered RAX=-?\d+ \(0x[0-9a-f]+\), RBX=0x[0-9a-f]+, not status 0 and magic 0x52494d59 \("YMIR"\)\n$/);
    }
  });

  it('ymirsh-hello runs its VMCALL and exits 0', () => {
    const run = spawnSync(`${committed}ymirsh-hello`, [], { timeout: 10_000 });
    expect([run.status, run.signal]).toEqual([0, null]);
  });
});
