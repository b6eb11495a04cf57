/**
 * Baselines measured in the same run as everything else, so each figure can also be read as a
 * ratio: an empty JavaScript call, and a SharedArrayBuffer round trip between two threads.
 */
import { Worker } from 'node:worker_threads';
import { type Figure, medianOf, nsPerIteration } from '../harness.js';

export const EMPTY_CALL = 'baseline: empty JavaScript call';
export const SAB_ROUND_TRIP = 'baseline: SharedArrayBuffer round trip between two threads';

function emptyCallNs(): Promise<number> {
  let sink = 0;
  const empty = (i: number): number => i;
  return medianOf(5, () => nsPerIteration(10_000_000, (i) => { sink ^= empty(i); }) + (sink & 0));
}

/** Ping-pong through Atomics.wait/notify on one Int32 cell; reports ns per round trip. */
async function sabRoundTripNs(): Promise<number> {
  const rounds = 20_000;
  const cell = new Int32Array(new SharedArrayBuffer(8));
  const echo = new Worker(
    `const { workerData } = require('node:worker_threads');
     const cell = new Int32Array(workerData);
     for (let i = 0; i < ${rounds}; i++) {
       Atomics.wait(cell, 0, 0);
       Atomics.store(cell, 0, 0);
       Atomics.notify(cell, 0);
     }`,
    { eval: true, workerData: cell.buffer },
  );
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    Atomics.store(cell, 0, 1);
    Atomics.notify(cell, 0);
    while (Atomics.wait(cell, 0, 1) === 'ok' && Atomics.load(cell, 0) === 1);
  }
  const ns = Number(process.hrtime.bigint() - start) / rounds;
  await echo.terminate();
  return ns;
}

export async function baselineFigures(): Promise<Figure[]> {
  return [
    { name: EMPTY_CALL, value: await emptyCallNs(), unit: 'ns' },
    { name: SAB_ROUND_TRIP, value: await medianOf(3, sabRoundTripNs), unit: 'ns' },
  ];
}
