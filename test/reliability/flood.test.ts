/**
 * A guest prints 10 MB on COM1 as fast as it can while the host reads slowly: every byte arrives in
 * order, and the guest is held back by the full ring (back-pressure), never by dropping bytes.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { floodChunks } from '../../guest/programs/flood.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { GuestConsole } from '../support/guest-console.js';

const FLOOD_BYTES = 10 * 2 ** 20;
const STALLS = 5;
const STALL_MS = 150;

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

/** Block this thread, as a host too busy to read would be. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('a 10 MB console flood with a slow host reader', () => {
  it('delivers every byte in order, the guest waiting on the full ring', async () => {
    vm = createVm({ vcpus: 2 });
    const ring = vm.shared.com1Tx;
    // The slow reader: once the flood is under way it stops reading for a while, every 2 MiB.
    let seen = 0;
    let floodStart: number | undefined;
    let nextStall = 2 * 2 ** 20;
    let stalls = 0;
    let ringFullDuringStall = 0;
    vm.com1.onData((bytes) => {
      seen += bytes.length;
      if (floodStart === undefined || stalls === STALLS || seen - floodStart < nextStall) return;
      stall(STALL_MS);
      if (ring.length === ring.capacity) ringFullDuringStall++;
      stalls++;
      nextStall += 2 * 2 ** 20;
    });
    const console1 = new GuestConsole(vm.com1);
    vm.start();
    await console1.waitFor('~ # ');
    await console1.type(`flood ${FLOOD_BYTES}\r`);
    await console1.waitFor(`flood ${FLOOD_BYTES}\r\n`);
    floodStart = seen;
    const expected = Buffer.from([...floodChunks(FLOOD_BYTES)].join('').replace(/\n/g, '\r\n')); // the tty's ONLCR
    const at = console1.bytes().indexOf(`flood ${FLOOD_BYTES}\r\n`) + `flood ${FLOOD_BYTES}\r\n`.length;
    await console1.waitFor('~ # ', 110_000, at);
    const output = console1.bytes().subarray(at);
    expect(output.length).toBe(expected.length + '~ # '.length);
    const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
    expect(digest(output.subarray(0, expected.length))).toBe(digest(expected));
    // Each time the host stopped reading, the guest filled the ring and waited for room.
    expect(stalls).toBe(STALLS);
    expect(ringFullDuringStall).toBe(STALLS);
  }, 120_000);
});
