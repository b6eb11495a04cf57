/**
 * BT: a frame-pointer backtrace walked by the VMM over a vCPU's RBP chain (spec.md section 4,
 * "BT"): the saved RBP at [rbp], the return address at [rbp + 8], as code built with
 * -fno-omit-frame-pointer leaves them.
 */
import { BtStop } from '../../shell-protocol/constants.js';
import type { BtFrameValue } from '../../shell-protocol/ops.js';
import type { AddressSpace } from './caller.js';
import { readVirtual } from './guest-buffer.js';

export interface Backtrace {
  readonly stop: BtStop;
  readonly frames: readonly BtFrameValue[];
}

export function backtrace(space: AddressSpace, rip: bigint, rbp: bigint, maxFrames: number): Backtrace {
  const frames: BtFrameValue[] = [{ address: rip, frame: rbp }];
  const words = new Uint8Array(16);
  const view = new DataView(words.buffer);
  let fp = rbp;
  for (;;) {
    if (frames.length >= maxFrames) return { stop: BtStop.MAX_FRAMES, frames };
    if (fp === 0n) return { stop: BtStop.ZERO_FRAME, frames };
    if (readVirtual(space, fp, words) !== words.length) return { stop: BtStop.UNMAPPED, frames };
    const saved = view.getBigUint64(0, true);
    frames.push({ address: view.getBigUint64(8, true), frame: fp });
    if (saved !== 0n && saved <= fp) return { stop: BtStop.NOT_INCREASING, frames };
    fp = saved;
  }
}
