/** The benchmark workload (bench/workload): the TestMachine runs it to the end with the CPU's result. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildWorkload } from '../../bench/workload/programs.js';
import { buildMultibootImage, runOnTestMachine } from '../../bench/workload/workload.js';
import { PROGRAMS } from '../../bench/workload/programs.js';
import { TIMEOUT_MS } from './suite.js';

const SMALL = { programs: PROGRAMS, iterations: 2, size: 20 };

describe('the benchmark workload', () => {
  it('runs to its exit syscall on the TestMachine and returns what it returns natively', () => {
    const native = spawnSync(buildWorkload(SMALL));
    const run = runOnTestMachine(SMALL);
    expect(native.status).toBe(run.result);
    expect(run.instructions).toBeGreaterThan(100_000);
  }, TIMEOUT_MS);

  it('builds as a 32-bit ELF Multiboot kernel with its header in the first 8 KiB', () => {
    const image = readFileSync(buildMultibootImage(SMALL));
    expect(image.readUInt32BE(0)).toBe(0x7f454c46);
    expect(image[4]).toBe(1); // ELFCLASS32: QEMU's -kernel takes no 64-bit ELF
    const magic = image.subarray(0, 8192).indexOf(Buffer.from([0x02, 0xb0, 0xad, 0x1b]));
    expect(magic).toBeGreaterThan(0);
    expect((image.readUInt32LE(magic) + image.readUInt32LE(magic + 4) + image.readUInt32LE(magic + 8)) >>> 0).toBe(0);
  });
});
