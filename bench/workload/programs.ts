/**
 * The workload's C programs and how to build them: as a static program on test/cpu's layout (for
 * the TestMachine, the native stepper and the differential test) with the selection, iteration
 * count and size compiled in.
 */
import { join } from 'node:path';
import { ROOT, buildProgram } from '../../test/cpu/build.js';

export const WORKLOAD_DIR = join(ROOT, 'bench/workload');
/** In main.c's order: bit n of `select` runs PROGRAMS[n]. */
export const PROGRAMS = ['crc32', 'sort', 'format', 'hash', 'muldiv', 'switch'] as const;
export type ProgramName = (typeof PROGRAMS)[number];

export const WORKLOAD_SOURCES = ['main.c', 'lib.c', ...PROGRAMS.map((p) => `${p}.c`)].map((f) => join(WORKLOAD_DIR, f));

/** gcc flags for the workload on top of test/cpu's: lib.c's loops must stay loops. */
export const WORKLOAD_CFLAGS = ['-fno-tree-loop-distribute-patterns'];

export interface WorkloadOptions {
  readonly programs: readonly ProgramName[];
  readonly iterations: number;
  readonly size: number;
}

export function defines(options: WorkloadOptions): string[] {
  const select = options.programs.reduce((m, p) => m | (1 << PROGRAMS.indexOf(p)), 0);
  return [`-DWL_SELECT=${select}`, `-DWL_ITERATIONS=${options.iterations}`, `-DWL_SIZE=${options.size}`];
}

/** The workload as a static program (test/cpu/native/crt.S entry, exit syscall at the end). */
export function buildWorkload(options: WorkloadOptions): string {
  const name = `workload-${options.programs.join('-')}-${options.iterations}x${options.size}`;
  return buildProgram(name, WORKLOAD_SOURCES.map((path) => ({ path })), [...WORKLOAD_CFLAGS, ...defines(options)]);
}
