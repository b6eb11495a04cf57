/** Text layouts of ymirsh's answers, each readable at 80 columns. */
import { exitReasonName } from '../shell-protocol/exit-reasons.js';
import { PageFlag } from '../shell-protocol/constants.js';
import type { RegsValue } from '../shell-protocol/ops.js';

export function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

const STATES = ['not started', 'running', 'halted', 'stopped'];
const GPR_NAMES = ['RAX', 'RCX', 'RDX', 'RBX', 'RSP', 'RBP', 'RSI', 'RDI', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'];
/** QEMU's `info registers` order. */
const GPR_ORDER = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
const RFLAGS_BITS: readonly [number, string][] = [[11, 'O'], [10, 'D'], [9, 'I'], [7, 'S'], [6, 'Z'], [4, 'A'], [2, 'P'], [0, 'C']];

export function rflagsText(rflags: bigint): string {
  return RFLAGS_BITS.map(([bit, letter]) => ((rflags >> BigInt(bit)) & 1n ? letter : '-')).join('');
}

/** Registers grouped as QEMU's `info registers`, three to a line. */
export function formatRegs(r: RegsValue): string {
  const lines = [`vCPU ${r.vcpu}: ${STATES[r.state] ?? 'unknown'}, last exit ${exitReasonName(r.lastExitReason)} (${r.lastExitReason}), snapshot #${r.sequence}`];
  const gprs = GPR_ORDER.map((i) => `${GPR_NAMES[i]!.padEnd(3)}=${hex64(r.gprs[i] ?? 0n)}`);
  for (let i = 0; i < gprs.length; i += 3) lines.push(gprs.slice(i, i + 3).join(' '));
  lines.push(`RIP=${hex64(r.rip)} RFL=${r.rflags.toString(16).padStart(8, '0')} [${rflagsText(r.rflags)}] CPL=${r.cpl}`);
  lines.push(`CS =${hex16(r.cs)} SS =${hex16(r.ss)} DS =${hex16(r.ds)} ES =${hex16(r.es)} FS =${hex16(r.fs)} GS =${hex16(r.gs)}`);
  lines.push(`FS_BASE=${hex64(r.fsBase)} GS_BASE=${hex64(r.gsBase)}`);
  lines.push(`CR0=${r.cr0.toString(16).padStart(8, '0')} CR2=${hex64(r.cr2)} CR3=${hex64(r.cr3)}`);
  lines.push(`CR4=${r.cr4.toString(16).padStart(8, '0')} EFER=${hex64(r.efer)}`);
  return `${lines.join('\n')}\n`;
}

function hex16(value: number): string {
  return value.toString(16).padStart(4, '0');
}

export interface ExitRow {
  readonly reason: number;
  readonly count: bigint;
}

export type ExitSort = 'count' | 'name' | 'reason';

/** The exit table: reason, number, count, % of total, and a total row. */
export function formatExits(title: string, rows: readonly ExitRow[], sort: ExitSort): string {
  const total = rows.reduce((sum, r) => sum + r.count, 0n);
  const sorted = [...rows].sort((a, b) =>
    sort === 'name' ? exitReasonName(a.reason).localeCompare(exitReasonName(b.reason))
    : sort === 'reason' ? a.reason - b.reason
    : b.count > a.count ? 1 : b.count < a.count ? -1 : a.reason - b.reason);
  const lines = [title, `${'EXIT REASON'.padEnd(22)} ${'NR'.padStart(3)} ${'COUNT'.padStart(14)} ${'%'.padStart(7)}`];
  for (const row of sorted) {
    const percent = total === 0n ? 0 : Number((row.count * 100000n) / total) / 1000;
    lines.push(`${exitReasonName(row.reason).padEnd(22)} ${String(row.reason).padStart(3)} ${row.count.toString().padStart(14)} ${percent.toFixed(2).padStart(7)}`);
  }
  lines.push(`${'TOTAL'.padEnd(22)} ${''.padStart(3)} ${total.toString().padStart(14)} ${(total === 0n ? '0.00' : '100.00').padStart(7)}`);
  return `${lines.join('\n')}\n`;
}

export function pageFlagsText(flags: number): string {
  return [
    flags & PageFlag.PRESENT ? 'present' : 'not-present',
    flags & PageFlag.WRITABLE ? 'writable' : 'read-only',
    flags & PageFlag.USER ? 'user' : 'supervisor',
    flags & PageFlag.NO_EXECUTE ? 'no-execute' : 'executable',
  ].join(' ');
}

export function sizeText(bytes: bigint): string {
  if (bytes >= 1n << 30n && bytes % (1n << 30n) === 0n) return `${bytes >> 30n} GiB`;
  if (bytes >= 1n << 20n && bytes % (1n << 20n) === 0n) return `${bytes >> 20n} MiB`;
  if (bytes >= 1024n && bytes % 1024n === 0n) return `${bytes >> 10n} KiB`;
  return `${bytes} bytes`;
}

export type DumpFormat = 'x' | 'd' | 'u' | 'c';

/** QEMU monitor `x` output: address, then the units of one line. */
export function formatDump(address: bigint, bytes: Uint8Array, unit: 1 | 2 | 4 | 8, format: DumpFormat): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const perLine = format === 'c' ? 16 : unit === 8 ? 2 : unit === 4 ? 4 : 8;
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += unit * perLine) {
    const cells: string[] = [];
    for (let k = at; k < Math.min(bytes.length, at + unit * perLine); k += unit) cells.push(formatUnit(view, k, unit, format));
    lines.push(`${hex64(address + BigInt(at))}: ${cells.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatUnit(view: DataView, at: number, unit: 1 | 2 | 4 | 8, format: DumpFormat): string {
  const value = unit === 8 ? view.getBigUint64(at, true) : BigInt(unit === 4 ? view.getUint32(at, true) : unit === 2 ? view.getUint16(at, true) : view.getUint8(at));
  switch (format) {
    case 'x': return `0x${value.toString(16).padStart(unit * 2, '0')}`;
    case 'u': return value.toString().padStart(unit === 8 ? 20 : unit * 3);
    case 'd': return BigInt.asIntN(unit * 8, value).toString().padStart(unit === 8 ? 20 : unit * 3 + 1);
    case 'c': {
      const byte = Number(value & 0xffn);
      return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `\\x${byte.toString(16).padStart(2, '0')}`;
    }
  }
}
