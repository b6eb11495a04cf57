/**
 * Builds the native side of the CPU tests with the system gcc: the ptrace stepper and the test
 * programs (freestanding, static, non-PIE, at the fixed addresses of native/program.ld). Outputs go
 * to the gitignored test/cpu/.out/, named by a hash of the compiler command and every input, so a
 * rebuild happens only when something changed and concurrent test files never see half a file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module with a package.json (works from dist/ too). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found above test/cpu');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const NATIVE = join(ROOT, 'test/cpu/native');
export const OUT = join(ROOT, 'test/cpu/.out');

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** A source given by path, or generated text with the file name gcc should see. */
export type Source = { readonly path: string } | { readonly name: string; readonly text: string };

/** Flags for every test program: what issue 10 says the guest is built with, plus a fixed layout. */
export const PROGRAM_CFLAGS = [
  '-O2',
  '-ffreestanding',
  '-fno-pic',
  '-no-pie',
  '-nostdlib',
  '-static',
  '-mgeneral-regs-only',
  '-fno-stack-protector',
  '-fcf-protection=none',
  '-fno-asynchronous-unwind-tables',
  '-Wall',
  '-Werror',
  `-Wl,-T,${join(NATIVE, 'program.ld')}`,
  '-Wl,--build-id=none',
];

function gcc(name: string, args: readonly string[], sources: readonly Source[]): string {
  mkdirSync(OUT, { recursive: true });
  const hash = createHash('sha256');
  hash.update(JSON.stringify(args));
  for (const s of sources) hash.update('path' in s ? readFileSync(s.path) : s.text).update('\0');
  for (const a of args) if (a.startsWith('-Wl,-T,')) hash.update(readFileSync(a.slice('-Wl,-T,'.length)));
  const output = join(OUT, `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(output)) return output;
  const tmpDir = join(OUT, `tmp-${process.pid}-${name}`);
  mkdirSync(tmpDir, { recursive: true });
  const paths = sources.map((s) => {
    if ('path' in s) return s.path;
    const p = join(tmpDir, s.name);
    writeFileSync(p, s.text);
    return p;
  });
  const tmp = join(tmpDir, 'out');
  try {
    execFileSync('gcc', [...args, '-o', tmp, ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
    renameSync(tmp, output);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new BuildError(`gcc failed building ${name}:\n${stderr.slice(0, 4000)}`);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return output;
}

export function buildStepper(): string {
  return gcc('stepper', ['-O2', '-Wall', '-Werror'], [{ path: join(NATIVE, 'stepper.c') }]);
}

/** A test program: crt.S, then the given sources, built with PROGRAM_CFLAGS plus `extraFlags`. */
export function buildProgram(name: string, sources: readonly Source[], extraFlags: readonly string[] = []): string {
  return gcc(name, [...PROGRAM_CFLAGS, ...extraFlags], [{ path: join(NATIVE, 'crt.S') }, ...sources]);
}

/** Any other gcc link (the benchmark's Multiboot image): `args` must produce the output named by `-o`. */
export function buildWith(name: string, args: readonly string[], sources: readonly Source[]): string {
  return gcc(name, args, sources);
}
