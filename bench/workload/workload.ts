/**
 * The integer workload as a benchmark: the C programs of programs.ts in one static program, run on
 * the TestMachine (MIPS = instructions retired / seconds), and the same code as a Multiboot image
 * under QEMU TCG for a baseline. Not wired into bench/run.ts yet: the bench calls these.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { buildWith } from '../../test/cpu/build.js';
import { loadElf } from '../../test/cpu/load.js';
import { parseElf64, symbol } from '../../vmm/vm/elf.js';
import { TestMachine } from '../../test/support/test-machine.js';
import { PROGRAMS, WORKLOAD_CFLAGS, WORKLOAD_DIR, WORKLOAD_SOURCES, type WorkloadOptions, buildWorkload, defines } from './programs.js';

export const DEFAULT_WORKLOAD: WorkloadOptions = { programs: PROGRAMS, iterations: 20, size: 200 };

export interface WorkloadRun {
  readonly instructions: number;
  readonly seconds: number;
  readonly mips: number;
  /** The value ymir_main returned (a byte of the checksums), for checking both runs did the work. */
  readonly result: number;
}

export class WorkloadError extends Error {
  override readonly name = 'WorkloadError';
}

/** Run the workload on a TestMachine from ymir_test_start to its exit syscall (#UD: EFER.SCE is clear). */
export function runOnTestMachine(options: WorkloadOptions = DEFAULT_WORKLOAD, machineOptions: { jit?: boolean } = {}): WorkloadRun {
  const elf = parseElf64(readFileSync(buildWorkload(options)));
  const machine = new TestMachine(machineOptions);
  loadElf(machine, elf);
  machine.setGpr(4, symbol(elf, 'ymir_stack_top'));
  machine.rip = symbol(elf, 'ymir_test_start');
  const exit = symbol(elf, 'ymir_exit') + 5n; // the syscall after `mov eax, 231`
  const started = performance.now();
  const result = machine.run(Number.MAX_SAFE_INTEGER);
  const seconds = (performance.now() - started) / 1000;
  if (result.kind !== 'exception' || result.vector !== 6 || machine.rip !== exit) {
    const what = result.kind === 'exit' ? `exit reason ${result.reason}${result.reason === ExitReason.TRIPLE_FAULT ? ' (triple fault)' : ''}` : JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
    throw new WorkloadError(`the workload did not reach its exit syscall: ${what} at RIP 0x${machine.rip.toString(16)}`);
  }
  // The exit syscall itself did not retire.
  return { instructions: result.retired, seconds, mips: result.retired / seconds / 1e6, result: Number(machine.gpr(7) & 0xffn) };
}

/** The workload linked behind boot.S as a 32-bit ELF Multiboot kernel (QEMU takes no 64-bit ELF). */
export function buildMultibootImage(options: WorkloadOptions): string {
  const name = `multiboot-${options.programs.join('-')}-${options.iterations}x${options.size}`;
  const elf64 = buildWith(
    name,
    ['-O2', '-ffreestanding', '-fno-pic', '-no-pie', '-nostdlib', '-static', '-mgeneral-regs-only', '-fno-stack-protector', '-fcf-protection=none', '-fno-asynchronous-unwind-tables', '-mno-red-zone', ...WORKLOAD_CFLAGS, ...defines(options), `-Wl,-T,${join(WORKLOAD_DIR, 'multiboot.ld')}`, '-Wl,--build-id=none', '-Wl,-z,max-page-size=4096'],
    [join(WORKLOAD_DIR, 'boot.S'), ...WORKLOAD_SOURCES].map((path) => ({ path })),
  );
  const image = `${elf64}.elf32`;
  execFileSync('objcopy', ['-O', 'elf32-i386', elf64, image]);
  return image;
}

function qemuSeconds(image: string): { seconds: number; result: number } {
  const started = performance.now();
  const run = spawnSync('qemu-system-x86_64', ['-accel', 'tcg', '-kernel', image, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-display', 'none', '-nodefaults', '-no-reboot', '-m', '1024'], { encoding: 'utf8', timeout: 600_000 });
  const seconds = (performance.now() - started) / 1000;
  // isa-debug-exit: the process exits with (value << 1) | 1.
  if (run.status === null || (run.status & 1) !== 1) throw new WorkloadError(`QEMU did not exit through isa-debug-exit (status ${run.status}): ${run.stderr}`);
  return { seconds, result: run.status >> 1 };
}

export interface QemuComparison {
  readonly ours: WorkloadRun;
  readonly qemu: WorkloadRun;
  /** Our MIPS over QEMU TCG's. */
  readonly ratio: number;
}

/**
 * Our MIPS and QEMU TCG's on the same code. QEMU's time is the workload run minus a run with no
 * iterations (boot and QEMU's own start-up), its instruction count ours scaled by the iteration
 * ratio (every iteration does the same work: main.c uses one fixed input).
 */
export function compareWithQemu(options: WorkloadOptions = DEFAULT_WORKLOAD, qemuIterations = options.iterations * 100): QemuComparison {
  const ours = runOnTestMachine(options);
  const empty = qemuSeconds(buildMultibootImage({ ...options, iterations: 0 }));
  const full = qemuSeconds(buildMultibootImage({ ...options, iterations: qemuIterations }));
  if (full.result !== ours.result) throw new WorkloadError(`QEMU's workload result ${full.result} is not the TestMachine's ${ours.result}`);
  const instructions = Math.round((ours.instructions * qemuIterations) / options.iterations);
  const seconds = Math.max(full.seconds - empty.seconds, 1e-6);
  const qemu = { instructions, seconds, mips: instructions / seconds / 1e6, result: full.result };
  return { ours, qemu, ratio: ours.mips / qemu.mips };
}
