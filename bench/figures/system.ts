/**
 * Whole-system figures: how long a VM takes to reach the init shell, `ymir run -c hello` from
 * process start to exit, and what an idle VM costs in CPU.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createVm } from '../../vmm/vm.js';
import { type Figure, medianOf } from '../harness.js';

/** The built CLI (bench runs compiled; from source it still runs the build in dist/). */
const CLI = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../dist/tui/main.js' : '../../tui/main.js', import.meta.url));
const IDLE_SECONDS = 5;

function waitForPrompt(vm: ReturnType<typeof createVm>): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const stop = vm.com1.onData((bytes) => {
      seen += Buffer.from(bytes).toString('latin1');
      if (seen.includes('~ # ')) {
        stop();
        resolve();
      }
    });
  });
}

async function bootToPromptMs(): Promise<number> {
  const start = performance.now();
  const vm = createVm({ vcpus: 2 });
  const prompt = waitForPrompt(vm);
  vm.start();
  await prompt;
  const ms = performance.now() - start;
  await vm.stop();
  return ms;
}

function ymirRunHelloMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    execFile(process.execPath, [CLI, 'run', '-c', 'hello'], (error) => {
      if (error) reject(error);
      else resolve(performance.now() - start);
    });
  });
}

/** CPU time of this whole process (every thread) while a booted 2-vCPU VM sits at its prompt. */
async function idleCpuPercent(): Promise<number> {
  const vm = createVm({ vcpus: 2 });
  const prompt = waitForPrompt(vm);
  vm.com1.onData(() => undefined); // a console is attached, as in the TUI
  vm.start();
  await prompt;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const used = process.cpuUsage(before);
  await vm.stop();
  return ((used.user + used.system) / (IDLE_SECONDS * 1e6)) * 100;
}

export async function systemFigures(): Promise<Figure[]> {
  return [
    { name: 'VM creation to the `~ # ` prompt (2 vCPUs)', value: await medianOf(5, bootToPromptMs), unit: 'ms', target: { value: 150, direction: 'at-most' } },
    { name: '`ymir run -c hello`, process start to exit', value: await medianOf(5, ymirRunHelloMs), unit: 'ms', target: { value: 700, direction: 'at-most' } },
    { name: `idle 2-vCPU VM, CPU use over ${IDLE_SECONDS} s`, value: await idleCpuPercent(), unit: '% core', target: { value: 1, direction: 'at-most' }, note: 'whole host process, every thread' },
  ];
}
