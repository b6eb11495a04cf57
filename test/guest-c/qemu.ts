/**
 * Booting the committed guest images under QEMU (TCG) for tests: COM1 on the process's stdio,
 * optional COM2 into a file, the debug-exit device at 0xF4, and helpers to wait for console
 * text and type into it. A missing qemu-system-x86_64 is an error that says what to install.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transcript } from './transcript.js';

export { PROMPT } from './transcript.js';

export const GUEST_BUILD = fileURLToPath(new URL('../../guest/build/', import.meta.url));
export const KERNEL = join(GUEST_BUILD, 'kernel');
export const INITRAMFS = join(GUEST_BUILD, 'initramfs.cpio');

const QEMU = 'qemu-system-x86_64';

function requireQemu(): void {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`${QEMU} is needed to boot the guest under QEMU (Debian: apt-get install qemu-system-x86)`);
  }
}

export interface BootOptions {
  readonly kernel?: string;
  readonly initrd?: string | null;
  readonly append?: string;
  readonly smp?: number;
  /** Capture COM2 into a file (read with com2()). */
  readonly com2?: boolean;
  /** QEMU's -d flags, logged into a file (read with debugLog()). */
  readonly debug?: string;
  readonly debugExit?: boolean;
}

export class QemuGuest extends Transcript {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly dir: string;
  /** QEMU's exit status once it has ended. */
  readonly exited: Promise<number | null>;

  constructor(options: BootOptions = {}) {
    super();
    requireQemu();
    this.dir = mkdtempSync(join(tmpdir(), 'ymir-qemu-'));
    const args = ['-accel', 'tcg', '-m', '128M', '-smp', String(options.smp ?? 2), '-kernel', options.kernel ?? KERNEL];
    if (options.initrd !== null) args.push('-initrd', options.initrd ?? INITRAMFS);
    if (options.append !== undefined) args.push('-append', options.append);
    args.push('-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-no-reboot', '-nodefaults');
    if (options.com2) args.push('-serial', `file:${join(this.dir, 'com2')}`);
    if (options.debugExit ?? true) args.push('-device', 'isa-debug-exit,iobase=0xf4,iosize=4');
    if (options.debug) args.push('-d', options.debug, '-D', join(this.dir, 'debug.log'));
    this.child = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (chunk: Buffer): void => this.received(chunk.toString('latin1'));
    this.child.stdout.on('data', take);
    this.child.stderr.on('data', take);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      this.wake();
      resolve(code);
    }));
  }

  protected ended(): boolean {
    return this.child.exitCode !== null;
  }

  type(keys: string): void {
    this.child.stdin.write(Buffer.from(keys, 'latin1'));
  }

  com2(): string {
    return readFileSync(join(this.dir, 'com2'), 'latin1');
  }

  debugLog(): string {
    return readFileSync(join(this.dir, 'debug.log'), 'latin1');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
