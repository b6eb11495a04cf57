/**
 * A guest prints 10 MB on COM1 as fast as it can while the host reads slowly: every byte arrives in
 * order, and the guest is held back by the full ring (back-pressure), never by dropping bytes.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { GuestConsole } from '../support/guest-console.js';

const FLOOD_BYTES = 10 * 2 ** 20;
const STALLS = 5;
/** Long enough for the guest to fill the 64 KiB ring at its slowest. */
const STALL_MS = 400;

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

/** What test/vmm/images/flood.c prints: numbered lines, so a lost, doubled or reordered byte shows. */
function floodText(total: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let n = 0; length < total; n++) {
    const line = `flood ${String(n).padStart(8, '0')} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('').slice(0, total);
}

/** Block this thread, as a host too busy to read would be. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('a 10 MB console flood with a slow host reader', () => {
  it('delivers every byte in order, the guest waiting on the full ring', async () => {
    vm = createVm({ vcpus: 1, kernel: testImage('flood'), initrd: '' });
    const ring = vm.shared.com1Tx;
    // The slow reader: it stops reading for a while at 1 MiB, 3 MiB, ... 9 MiB.
    let seen = 0;
    let nextStall = 2 ** 20;
    let stalls = 0;
    let ringFullDuringStall = 0;
    vm.com1.onData((bytes) => {
      seen += bytes.length;
      if (stalls === STALLS || seen < nextStall) return;
      stall(STALL_MS);
      if (ring.length === ring.capacity) ringFullDuringStall++;
      stalls++;
      nextStall += 2 * 2 ** 20;
    });
    const console1 = new GuestConsole(vm.com1);
    vm.start();
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0 });
    const output = console1.bytes();
    const start = output.indexOf('flood 00000000 ');
    const digest = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
    const flood = output.subarray(start);
    expect(flood.length).toBe(FLOOD_BYTES);
    expect(digest(flood)).toBe(digest(floodText(FLOOD_BYTES)));
    // Each time the host stopped reading, the guest filled the ring and waited for room.
    expect(stalls).toBe(STALLS);
    expect(ringFullDuringStall).toBe(STALLS);
  }, 120_000);
});
