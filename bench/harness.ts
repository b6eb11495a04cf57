/**
 * The benchmark harness: every figure is the median of several runs, reported with its unit and,
 * where an issue sets one, its target. Benchmarks time things; tests never do.
 */
export type Direction = 'at-most' | 'at-least';

export interface Target {
  readonly value: number;
  readonly direction: Direction;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: Target;
  /** A note printed beside the figure (what was measured, why a target is missed). */
  readonly note?: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Run `once` `runs` times (after a warm-up run) and return the median of what it reports. */
export async function medianOf(runs: number, once: () => number | Promise<number>): Promise<number> {
  await once();
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await once());
  return median(values);
}

/** Nanoseconds per iteration of `body`, timed over `iterations` calls. */
export function nsPerIteration(iterations: number, body: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) body(i);
  return Number(process.hrtime.bigint() - start) / iterations;
}

export function met(figure: Figure): boolean | null {
  if (!figure.target) return null;
  return figure.target.direction === 'at-most'
    ? figure.value <= figure.target.value
    : figure.value >= figure.target.value;
}
