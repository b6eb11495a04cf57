/**
 * Guest code never makes the host throw: random bytes run as code, at CPL 3 and at CPL 0, end in
 * guest exceptions and VM exits, never in a JavaScript exception. The sequences come from a seeded
 * generator, so a failure names the seed and bytes that reproduce it.
 */
import { describe, expect, it } from 'vitest';
import { TestMachine } from '../support/test-machine.js';

const CODE = 0x400000n;
const DATA = 0x600000n;

/** xorshift32: a small seeded generator. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function fuzz(supervisor: boolean, sequences: number, seed: number): number {
  const next = generator(seed);
  let machine: TestMachine | undefined;
  let completed = 0;
  for (let n = 0; n < sequences; n++) {
    // A fresh machine now and then: random CPL-0 code may have rewritten CR3, the GDT or EFER.
    if (machine === undefined || n % (supervisor ? 64 : 1024) === 0) {
      machine = new TestMachine({ memoryBytes: 4 << 20, supervisor });
      machine.map(CODE, 8192, { write: true, execute: true });
      machine.map(DATA, 4096, { write: true, execute: false });
    }
    const bytes = new Uint8Array(32);
    for (let k = 0; k < bytes.length; k++) bytes[k] = next() & 0xff;
    machine.write(CODE, bytes);
    for (let r = 0; r < 16; r++) machine.setGpr(r, r === 4 ? DATA + 2048n : (BigInt(next()) << 32n) | BigInt(next() & 0xfff) | DATA);
    machine.rip = CODE;
    try {
      machine.run(24);
    } catch (error) {
      throw new Error(`seed ${seed}, sequence ${n}, bytes ${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
    }
    completed++;
  }
  return completed;
}

describe('random bytes executed as code', () => {
  it('never throw in the host at CPL 3 (60,000 sequences)', () => {
    expect(fuzz(false, 60_000, 0x5eed)).toBe(60_000);
  });

  it('never throw in the host at CPL 0 (40,000 sequences)', () => {
    expect(fuzz(true, 40_000, 0xc0de)).toBe(40_000);
  });
});
