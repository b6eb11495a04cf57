/**
 * What every mode that runs a VM does around it: its monitor socket, and COM2 drained (to a file
 * or nowhere) so that a guest writing more than the ring holds never waits for a reader.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFile, hostVm } from '../../tui/vm-host.js';

const scratch = mkdtempSync(join(tmpdir(), 'ymir-host-'));
const options = (name: string) => ({ vcpus: 1, memory: 64 << 20, stealth: false, logLevel: 'info' as const, name, monitor: join(scratch, `${name}.sock`) });

/** Plays a guest writing `total` bytes to COM2 as fast as the ring takes them; resolves with how many went in. */
async function flood(ring: { tryPush(bytes: Uint8Array): number }, total: number, turns: number): Promise<number> {
  const chunk = new Uint8Array(4096).fill(0x61);
  let sent = 0;
  for (let i = 0; i < turns && sent < total; i++) {
    sent += ring.tryPush(chunk.subarray(0, Math.min(chunk.length, total - sent)));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

describe('a hosted VM', () => {
  it('discards COM2 when no file was given, so the guest is never held up on it', async () => {
    const hosted = await hostVm(options('discard'), 'console');
    const total = 4 * hosted.vm.shared.com2Tx.capacity;
    expect(await flood(hosted.vm.shared.com2Tx, total, 10_000)).toBe(total);
    await hosted.shutdown();
  });

  it('writes COM2 to the file given, every byte, and serves its monitor until it shuts down', async () => {
    const path = join(scratch, 'com2.bin');
    const file = OutputFile.open(path);
    if (typeof file === 'string') throw new Error(file);
    const hosted = await hostVm(options('tofile'), 'tui', file);
    expect(existsSync(join(scratch, 'tofile.sock'))).toBe(true);
    const total = 2 * hosted.vm.shared.com2Tx.capacity + 123;
    expect(await flood(hosted.vm.shared.com2Tx, total, 10_000)).toBe(total);
    while (hosted.vm.shared.com2Tx.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await hosted.shutdown();
    expect(readFileSync(path).length).toBe(total);
    expect(existsSync(join(scratch, 'tofile.sock'))).toBe(false);
  });

  it('says why a file cannot be written instead of throwing', () => {
    expect(OutputFile.open(join(scratch, 'no', 'such', 'dir'))).toMatch(/^cannot write .*: ENOENT$/);
  });
});
