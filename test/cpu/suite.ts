/**
 * How much of the corpus a run takes: `npm test` runs a slice (one seed, a few cases per form, the
 * C programs at small sizes: well under two minutes), `npm run test:cpu-corpus` (CPU_CORPUS=full)
 * the whole of it. CPU_CORPUS_SEED picks other seeds for either.
 */
import type { ProgramName } from '../../bench/workload/programs.js';

export const FULL = process.env.CPU_CORPUS === 'full';

const seedList = process.env.CPU_CORPUS_SEED;
export const SEEDS: readonly number[] = seedList !== undefined ? seedList.split(',').map(Number) : FULL ? [1, 2, 3] : [1];
/** Random cases per instruction form and seed. */
export const CASES = FULL ? 12 : 2;

/** Each C program's size argument: about 10-100k instructions each in the slice. */
export const C_SIZES: Readonly<Record<ProgramName, number>> = FULL
  ? { crc32: 2000, sort: 1000, format: 100, hash: 250, muldiv: 50, switch: 2000 }
  : { crc32: 40, sort: 100, format: 10, hash: 40, muldiv: 5, switch: 200 };

/** A test's time limit: the interpreter may be slow, natively it is ptrace-bound. */
export const TIMEOUT_MS = FULL ? 1_800_000 : 120_000;

/** How many /usr/bin files the decoder check walks (all of them in the full run). */
export const DECODER_FILES = FULL ? Number.POSITIVE_INFINITY : 12;
/** Instructions per file in the slice. */
export const DECODER_INSTRUCTIONS_PER_FILE = FULL ? Number.POSITIVE_INFINITY : 20_000;
