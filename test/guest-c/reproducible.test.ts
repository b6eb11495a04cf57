/*
 * The committed images are what the sources build: a clean build into a temporary directory
 * gives the same bytes as guest/build/. Needs gcc, binutils and make (Debian 12's gcc 12).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GUEST_BUILD } from './qemu.js';

const GUEST = fileURLToPath(new URL('../../guest/', import.meta.url));
const OUTPUTS = ['kernel', 'kernel.elf', 'init', 'initramfs.cpio', 'bare-hello'];

function requireTool(tool: string, debianPackage: string): void {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`rebuilding the guest needs ${tool} (Debian: apt-get install ${debianPackage})`);
  }
}

describe('the guest build', () => {
  it('rebuilds from clean to the same bytes as the committed images', { timeout: 300_000 }, () => {
    requireTool('gcc', 'gcc');
    requireTool('ld', 'binutils');
    requireTool('make', 'make');
    const out = mkdtempSync(join(tmpdir(), 'ymir-guest-build-'));
    try {
      execFileSync('make', ['-C', GUEST, '-j2', `O=${out}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      for (const name of OUTPUTS) {
        const built = readFileSync(join(out, name));
        const committed = readFileSync(join(GUEST_BUILD, name));
        expect(built.equals(committed), `guest/build/${name} differs from a fresh build: run npm run build:guest and commit`).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
