/**
 * Test and benchmark images are real guest programs: C on the bare runtime in
 * test/vmm/images/bare/ (Multiboot entry, long mode, serial, IDT, x2APIC, SMP), built here with the
 * system gcc into a gitignored .out/ folder next to the source — once per content, so test files
 * and benchmark runs share the build.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from source (scripts/) or from the build (dist/scripts/). */
const ROOT = new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url);
const BARE = fileURLToPath(new URL('test/vmm/images/bare/', ROOT));
const ABI = fileURLToPath(new URL('shell-protocol/include/', ROOT));
const TEST_IMAGES = fileURLToPath(new URL('test/vmm/images/', ROOT));
const CFLAGS = [
  '-O2', '-g', '-std=gnu11', '-ffreestanding', '-fno-pic', '-no-pie', '-nostdlib', '-static', '-mgeneral-regs-only',
  '-mno-red-zone', '-fno-stack-protector', '-fno-asynchronous-unwind-tables', '-fno-omit-frame-pointer', '-Wall', '-Werror',
];

/** The path of test image `name` (test/vmm/images/<name>.c), built if its sources changed. */
export function testImage(name: string): string {
  return bareImage(join(TEST_IMAGES, `${name}.c`));
}

/** The ELF of a C program on the bare runtime, built if it or the runtime changed. */
export function bareImage(source: string): string {
  const name = basename(source, '.c');
  const out = join(dirname(source), '.out');
  const sources = [source, join(BARE, 'bare.c'), join(BARE, 'entry.S')];
  const hash = createHash('sha256');
  for (const file of [...sources, join(BARE, 'bare.h'), join(BARE, 'request.h'), join(BARE, 'link.ld'), join(ABI, 'ymir_vmc.h')]) hash.update(readFileSync(file));
  const elf = join(out, `${name}-${hash.digest('hex').slice(0, 12)}.elf`);
  if (existsSync(elf)) return elf;
  mkdirSync(out, { recursive: true });
  const partial = `${elf}.${process.pid}`;
  try {
    execFileSync('gcc', [...CFLAGS, `-I${BARE}`, `-I${ABI}`, '-T', join(BARE, 'link.ld'), '-Wl,--build-id=none', '-o', partial, ...sources], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: Buffer; code?: string };
    if (e.code === 'ENOENT') throw new Error('building test images needs gcc (Debian: apt-get install gcc)');
    throw new Error(`building test image ${name} failed:\n${e.stderr?.toString() ?? String(error)}`);
  }
  renameSync(partial, elf);
  return elf;
}
