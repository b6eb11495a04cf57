/**
 * Real gdb (Debian's, in batch mode) against a VM running a test image through the gdb server:
 * a VM, its server on a free loopback port, and gdb runs with -ex commands whose output the tests
 * read. A gdb can be sent SIGINT (what Ctrl-C sends) once it has resumed the VM.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type GdbServer, startGdbServer } from '../../vmm/debug/gdb-server.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { DEFAULT_KERNEL } from '../../vmm/vm/images.js';
import { parseElf64 } from '../../vmm/vm/elf.js';
import { GuestConsole } from '../support/guest-console.js';

export interface Booted {
  readonly vm: Vm;
  readonly server: GdbServer;
  readonly elf: string;
  readonly console: GuestConsole;
  symbol(name: string): bigint;
}

/**
 * A VM on the test image `image` (or on the guest kernel and its initramfs, for 'kernel') with a
 * gdb server; with `wait`, stopped before its first instruction.
 */
export async function bootWithServer(image: string, options: { vcpus?: number; wait?: boolean } = {}): Promise<Booted> {
  const kernel = image === 'kernel';
  const elf = kernel ? `${DEFAULT_KERNEL}.elf` : testImage(image);
  const vm = createVm(kernel ? { vcpus: options.vcpus ?? 1 } : { vcpus: options.vcpus ?? 1, kernel: elf, initrd: '' });
  const console1 = new GuestConsole(vm.com1);
  const server = await startGdbServer(vm, { port: 0, waitForDebugger: options.wait === true });
  vm.start();
  const symbols = parseElf64(readFileSync(elf)).symbols;
  return {
    vm, server, elf, console: console1,
    symbol(name) {
      const value = symbols.get(name);
      if (value === undefined) throw new Error(`no symbol ${name} in ${elf}`);
      return value;
    },
  };
}

export interface GdbRun {
  readonly output: string;
  readonly code: number | null;
}

/**
 * Run gdb in batch mode on `booted`'s ELF, connected to its server, with `commands`. With
 * `interrupt`, gdb gets SIGINT `settleMs` after it first resumes the VM (its output is buffered
 * in a pipe, so the debugger says when, not gdb's "Continuing.").
 */
export function runGdb(booted: Booted, commands: readonly string[], options: { interrupt?: boolean; settleMs?: number } = {}): Promise<GdbRun> {
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `target remote ${booted.server.address.host}:${booted.server.address.port}`];
  for (const command of commands) args.push('-ex', command);
  args.push(booted.elf);
  return new Promise((resolve, reject) => {
    const gdb = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => gdb.kill('SIGKILL'), 60_000);
    const take = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    if (options.interrupt === true) {
      const unsubscribe = booted.server.debugger.onChange((stop) => {
        if (stop !== undefined) return;
        unsubscribe();
        setTimeout(() => gdb.kill('SIGINT'), options.settleMs ?? 500);
      });
    }
    gdb.stdout.on('data', take);
    gdb.stderr.on('data', take);
    gdb.on('error', (error) => {
      clearTimeout(timer);
      reject((error as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('these tests need gdb (Debian: apt-get install gdb)') : error);
    });
    gdb.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}
