import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelSymbols, symbolizer } from '../../tui/symbols.js';
import { DEFAULT_KERNEL } from '../../vmm/vm/images.js';
import { parseElf64, section } from '../../vmm/vm/elf.js';

describe('names for code addresses', () => {
  it('names the function an address lies in, with the offset, and nothing between functions', () => {
    const names = symbolizer([{ name: 'a', address: 0x1000n, size: 0x10 }, { name: 'b', address: 0x1020n, size: 4 }]);
    expect([0x1000n, 0x100fn, 0x1010n, 0x1023n, 0x1024n, 0xfffn].map((a) => names.name(a))).toEqual(['a', 'a+15', undefined, 'b+3', undefined, undefined]);
  });

  it('names the kernel\'s code as real gdb does, from kernel.elf beside the image', () => {
    const names = kernelSymbols(DEFAULT_KERNEL);
    expect(names).toBeDefined();
    const text = section(parseElf64(readFileSync(`${DEFAULT_KERNEL}.elf`)), '.text')!;
    const addresses = Array.from({ length: 24 }, (_, i) => text.addr + BigInt(Math.floor((text.size * i) / 24) + 7));
    const gdb = execFileSync('gdb', ['-q', '-batch', '-nx', `${DEFAULT_KERNEL}.elf`, ...addresses.flatMap((a) => ['-ex', `info symbol 0x${a.toString(16)}`])], { encoding: 'utf8' })
      .trim().split('\n').map((line) => /^(\w+)(?: \+ (\d+))? in section/.exec(line));
    const ours = addresses.map((a) => names!.name(a));
    // gdb also names assembly labels, which carry no size; every name we give must be gdb's.
    const named = ours.flatMap((name, i) => (name === undefined ? [] : [[name, gdb[i] ? (gdb[i]![2] === undefined ? gdb[i]![1] : `${gdb[i]![1]}+${gdb[i]![2]}`) : 'none']]));
    expect(named.length).toBeGreaterThan(18);
    for (const [mine, theirs] of named) expect(mine).toBe(theirs);
  });

  it('goes without names for a kernel that has none', () => {
    expect(kernelSymbols('/nonexistent/kernel')).toBeUndefined();
    expect(kernelSymbols(`${DEFAULT_KERNEL}`.replace(/kernel$/, 'initramfs.cpio'))).toBeUndefined();
  });
});
