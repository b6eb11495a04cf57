/**
 * Whole-system figures on the committed C guest: how long a VM takes to reach the init shell (and
 * QEMU TCG with the same images, as a ratio), `ymir run -c hello` from process start to exit,
 * console output through the guest's own 16550 driver, and what an idle VM costs in CPU.
 */
import { execFile, spawn } from 'node:child_process';
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

/** The same kernel and initramfs under QEMU TCG to the same prompt; undefined without QEMU. */
function qemuBootToPromptMs(): Promise<number | undefined> {
  const guest = fileURLToPath(new URL(`${import.meta.url.endsWith('.ts') ? '../..' : '../../..'}/guest/build/`, import.meta.url));
  return new Promise((resolve) => {
    const start = performance.now();
    const qemu = spawn('qemu-system-x86_64', ['-accel', 'tcg', '-m', '64M', '-smp', '2', '-kernel', `${guest}kernel`, '-initrd', `${guest}initramfs.cpio`,
      '-append', 'console=ttyS0', '-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-nodefaults', '-no-reboot'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    qemu.on('error', () => resolve(undefined));
    qemu.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.includes('~ # ')) {
        resolve(performance.now() - start);
        qemu.kill('SIGKILL');
      }
    });
  });
}

/** Bytes per second the guest's tty and 16550 driver move to the host: `cat` of the ymirsh binary, many times. */
async function consoleBytesPerSecond(): Promise<number> {
  const vm = createVm({ vcpus: 2 });
  const prompt = waitForPrompt(vm);
  vm.start();
  await prompt;
  let received = 0;
  let seen = '';
  const done = new Promise<void>((resolve) => vm.com1.onData((bytes) => {
    received += bytes.length;
    seen = (seen + Buffer.from(bytes).toString('latin1')).slice(-8);
    if (seen.endsWith('~ # ')) resolve();
  }));
  const start = performance.now();
  await vm.com1.write(`cat ${Array(20).fill('/bin/ymirsh').join(' ')}\r`);
  await done;
  const seconds = (performance.now() - start) / 1000;
  await vm.stop();
  return received / seconds;
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
  const boot = await medianOf(5, bootToPromptMs);
  const qemu = (await qemuBootToPromptMs()) ?? Number.NaN;
  return [
    { name: 'VM creation to the `~ # ` prompt (2 vCPUs)', value: boot, unit: 'ms', target: { value: 150, direction: 'at-most' } },
    { name: 'QEMU TCG, the same images to the same prompt', value: qemu, unit: 'ms', note: `ours / QEMU = ${(boot / qemu).toFixed(1)}` },
    { name: 'COM1 output through the guest\'s 16550 driver (cat of a binary)', value: (await consoleBytesPerSecond()) / 1e6, unit: 'MB/s', target: { value: 2, direction: 'at-least' } },
    { name: '`ymir run -c hello`, process start to exit', value: await medianOf(5, ymirRunHelloMs), unit: 'ms', target: { value: 700, direction: 'at-most' } },
    { name: `idle 2-vCPU VM, CPU use over ${IDLE_SECONDS} s`, value: await idleCpuPercent(), unit: '% core', target: { value: 1, direction: 'at-most' }, note: 'whole host process, every thread' },
  ];
}
