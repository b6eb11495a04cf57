/** The options of the `ymir` commands that start a VM, parsed into a VM config with clear errors. */
import { InvalidArgumentError } from 'commander';
import { type GdbAddress, parseGdbAddress } from '../vmm/debug/gdb-server.js';
import type { LogLevel, VmConfig } from '../vmm/monitor-api.js';
import type { AddedFile } from '../vmm/vm/added-files.js';
import { MEMORY_LIMITS } from '../vmm/vm.js';

export interface VmOptions {
  readonly vcpus: number;
  readonly memory: number;
  readonly stealth: boolean;
  readonly logLevel: LogLevel;
  /** The VM's name on its monitor (`ymir stat --vm NAME`). */
  readonly name?: string;
  /** Where the monitor socket goes (default: under $XDG_RUNTIME_DIR/ymir). */
  readonly monitor?: string;
  /** Serve the gdb remote protocol there (`--gdb`). */
  readonly gdb?: GdbAddress;
  /** Hold the guest before its first instruction until gdb continues it (QEMU's -S). */
  readonly gdbWait?: boolean;
  /** Another Multiboot kernel, initramfs or kernel command line than the committed image's. */
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  /** `--add GUEST=HOST`, repeatable. */
  readonly add?: readonly AddedFile[];
}

/** Where `--gdb-wait` alone listens: QEMU's -s. */
export const DEFAULT_GDB_ADDRESS: GdbAddress = { host: '127.0.0.1', port: 1234 };

export function parseVcpus(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 64) throw new InvalidArgumentError('vCPUs must be a whole number from 1 to 64.');
  return n;
}

const MIB = 2 ** 20;

/**
 * A memory size as QEMU's -m takes it: a number of MiB, or with a suffix M/MiB or G/GiB, fractions
 * allowed where they come to whole MiB (1.5G is 1536M). It must be a size the guest boots in.
 */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!match) throw new InvalidArgumentError('use a size such as 64M, 1536M or 1.5G.');
  const mib = Number(match[1]) * ((match[2] ?? 'm').toLowerCase().startsWith('g') ? 1024 : 1);
  if (!Number.isInteger(mib)) throw new InvalidArgumentError(`${text} is not a whole number of MiB.`);
  const bytes = mib * MIB;
  if (bytes < MEMORY_LIMITS.min) throw new InvalidArgumentError(`the guest needs at least ${MEMORY_LIMITS.min / MIB}M.`);
  if (bytes > MEMORY_LIMITS.max) throw new InvalidArgumentError(`at most ${MEMORY_LIMITS.max / MIB / 1024}G.`);
  if (bytes % MEMORY_LIMITS.step !== 0) throw new InvalidArgumentError(`use a multiple of ${MEMORY_LIMITS.step / MIB}M (${mib - 1}M or ${mib + 1}M).`);
  return bytes;
}

export function parseLogLevel(text: string): LogLevel {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new InvalidArgumentError('use debug, info, warn or error.');
}

export function parseGdb(text: string): GdbAddress {
  const address = parseGdbAddress(text);
  if (typeof address === 'string') throw new InvalidArgumentError(address);
  return address;
}

/** `--add /bin/NAME=FILE` (or =DIRECTORY), collected over repeats. */
export function parseAdd(text: string, previous: readonly AddedFile[] = []): readonly AddedFile[] {
  const match = /^(\/[^=]*[^=/])=(.+)$/.exec(text);
  if (!match) throw new InvalidArgumentError('use /GUEST/PATH=HOST_FILE, e.g. /bin/hello=./hello.');
  return [...previous, { guestPath: match[1]!, hostPath: match[2]! }];
}

export function vmConfig(options: VmOptions): Partial<VmConfig> {
  return {
    vcpus: options.vcpus, memoryBytes: options.memory, stealth: options.stealth, logLevel: options.logLevel,
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    ...(options.initrd === undefined ? {} : { initrd: options.initrd }),
    ...(options.append === undefined ? {} : { commandLine: options.append }),
    ...(options.add === undefined ? {} : { added: options.add }),
  };
}

/** `--interval`: a number of seconds above 0. */
export function parseSeconds(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0, e.g. 1 or 0.5.');
  return n;
}

/** `--timeout`: seconds, 0 for no limit. */
export function parseTimeout(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of seconds, or 0 for no limit.');
  return n;
}
