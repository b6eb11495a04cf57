/**
 * The host end of a UART (Vm.com1): what the host writes reaches the guest's receive ring whole and
 * in order, however many writes are in flight and however slowly the guest reads.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../../vmm/vm.js';

describe('the serial port host end', () => {
  it('delivers writes larger than the ring whole and in the order they were made, while the guest reads slowly', async () => {
    const vm = createVm({ vcpus: 1 }); // never started: the test plays the guest and reads the ring itself
    const ring = vm.shared.com1Rx;
    const pieces = ['a', 'b', 'c'].map((letter) => `${letter.repeat(3 * ring.capacity)}\n`);
    const received: number[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing || ring.length > 0) {
        received.push(...ring.pop(97)); // a slow guest: a little at a time
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // As a paste arrives: each chunk is written when it comes, while the earlier ones still wait for room.
    const writes: Promise<void>[] = [];
    for (const piece of pieces) {
      writes.push(vm.com1.write(piece));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(writes);
    writing = false;
    await reader;
    expect(Buffer.from(received).toString('latin1')).toBe(pieces.join(''));
  });

  it('refuses input once the VM has stopped', async () => {
    const vm = createVm({ vcpus: 1 });
    await vm.stop();
    await expect(vm.com1.write('late\n')).rejects.toThrow(/stopped/);
  });
});
