/** The options every `ymir` command shares, parsed into a VM config with clear errors. */
import { InvalidArgumentError } from 'commander';
import type { LogLevel, VmConfig } from '../vmm/monitor-api.js';

export interface VmOptions {
  readonly vcpus: number;
  readonly memory: number;
  readonly stealth: boolean;
  readonly logLevel: LogLevel;
}

export function parseVcpus(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('vCPUs must be a whole number from 1 to 64.');
  return n;
}

/** `64M`, `1G`, `512MiB`, or bytes. */
export function parseMemory(text: string): number {
  const match = /^(\d+)\s*(k|kib|m|mib|g|gib)?$/i.exec(text.trim());
  if (!match) throw new InvalidArgumentError('use a size such as 64M or 1G.');
  const unit = (match[2] ?? '').toLowerCase()[0];
  const bytes = Number(match[1]) * (unit === 'k' ? 2 ** 10 : unit === 'm' ? 2 ** 20 : unit === 'g' ? 2 ** 30 : 1);
  if (bytes < 4 * 2 ** 20 || bytes > 4 * 2 ** 30 || bytes % (2 * 2 ** 20) !== 0) throw new InvalidArgumentError('memory must be a multiple of 2M from 4M to 4G.');
  return bytes;
}

export function parseLogLevel(text: string): LogLevel {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new InvalidArgumentError('use debug, info, warn or error.');
}

export function vmConfig(options: VmOptions): Partial<VmConfig> {
  return { vcpus: options.vcpus, memoryBytes: options.memory, stealth: options.stealth, logLevel: options.logLevel };
}

/** `--interval`, `--timeout`: a number of seconds above 0. */
export function parseSeconds(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number of seconds above 0, e.g. 1 or 0.5.');
  return n;
}
