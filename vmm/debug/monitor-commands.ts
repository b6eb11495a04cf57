/**
 * gdb's `monitor CMD` (the qRcmd packet): the questions ymirsh asks of the VMM — registers, exit
 * counts, the VMM log, what the VM is — answered from the monitor API's data and the debugger's.
 * Everything the guest controls (log text can quote it) reaches gdb's terminal with its control
 * characters spelled out, never raw.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import type { Vm } from '../vm.js';
import type { Debugger, DebugRegisters } from './debugger.js';

const HELP = [
  'monitor commands:',
  '  regs [VCPU]   registers of a vCPU (default: the selected thread)',
  '  exits [VCPU]  VM-exit counts by reason (default: every vCPU)',
  '  log [N]       the last N VMM log records (default 20)',
  '  info          the VM: vCPUs, memory, state, breakpoints',
  '',
].join('\n');

const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];

/** Control characters (C0, DEL, C1) as \xNN: guest text never drives the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const hex = (v: bigint, width = 16): string => v.toString(16).padStart(width, '0');

type ShownRegisters = Omit<DebugRegisters, 'mode'>;

function formatRegisters(heading: string, r: ShownRegisters): string {
  const lines = [heading];
  for (let i = 0; i < 16; i += 4) lines.push(GPR_NAMES.slice(i, i + 4).map((name, k) => `${name.padEnd(3)} ${hex(r.gprs[i + k]!)}`).join('  '));
  lines.push(`rip ${hex(r.rip)}  rflags ${hex(r.rflags, 8)}`);
  lines.push(`cs ${hex(BigInt(r.cs), 4)} ss ${hex(BigInt(r.ss), 4)} ds ${hex(BigInt(r.ds), 4)} es ${hex(BigInt(r.es), 4)} fs ${hex(BigInt(r.fs), 4)} gs ${hex(BigInt(r.gs), 4)}`);
  lines.push(`fs_base ${hex(r.fsBase)}  gs_base ${hex(r.gsBase)}`);
  lines.push(`cr0 ${hex(r.cr0, 8)}  cr2 ${hex(r.cr2)}  cr3 ${hex(r.cr3)}`);
  lines.push(`cr4 ${hex(r.cr4, 8)}  efer ${hex(r.efer)}`);
  return `${lines.join('\n')}\n`;
}

function parseCount(word: string | undefined, fallback: number, max: number): number | undefined {
  if (word === undefined) return fallback;
  if (!/^\d+$/.test(word)) return undefined;
  const n = Number(word);
  return n <= max ? n : undefined;
}

/** Run `monitor` command `line`; the text to print (ending in a newline). */
export function runMonitorCommand(vm: Vm, dbg: Debugger, line: string, selectedVcpu: number): string {
  const [command, ...args] = line.trim().split(/\s+/);
  const vcpus = vm.config.vcpus;
  switch (command) {
    case undefined: case '': case 'help':
      return HELP;
    case 'regs': {
      const vcpu = parseCount(args[0], selectedVcpu, vcpus - 1);
      if (vcpu === undefined) return `regs: no vCPU ${printable(args[0] ?? '')} (the VM has ${vcpus})\n`;
      if (dbg.state === 'stopped') {
        const r = dbg.registers(vcpu);
        return formatRegisters(`vCPU ${vcpu}: stopped, ${r.mode}-bit code, CPL ${r.cpl}`, r);
      }
      const s = vm.registers(vcpu);
      return formatRegisters(`vCPU ${vcpu}: ${s.state}, CPL ${s.cpl}, as published at its last exit`, s);
    }
    case 'exits': {
      const only = args[0] === undefined ? undefined : parseCount(args[0], 0, vcpus - 1);
      if (args[0] !== undefined && only === undefined) return `exits: no vCPU ${printable(args[0])} (the VM has ${vcpus})\n`;
      const list = only === undefined ? Array.from({ length: vcpus }, (_, v) => v) : [only];
      const totals = new Array<number>(EXIT_REASON_COUNT).fill(0);
      for (const v of list) vm.exitCounts(v).forEach((n, reason) => { totals[reason]! += n; });
      const rows = totals.map((n, reason) => [reason, n] as const).filter(([, n]) => n > 0);
      const heading = only === undefined ? `VM exits, ${vcpus} vCPU${vcpus === 1 ? '' : 's'}:` : `VM exits, vCPU ${only}:`;
      return `${[heading, ...rows.map(([reason, n]) => `  ${exitReasonName(reason).padEnd(24)} ${String(n).padStart(12)}`)].join('\n')}\n`;
    }
    case 'log': {
      const count = parseCount(args[0], 20, 512);
      if (count === undefined) return `log: bad count ${printable(args[0] ?? '')}\n`;
      const records = [];
      for (let cursor = 0; ;) {
        const read = vm.readLog(cursor, 256);
        records.push(...read.records);
        if (read.records.length === 0 || read.nextCursor === cursor) break;
        cursor = read.nextCursor;
      }
      const last = records.slice(-count);
      if (last.length === 0) return 'no log records\n';
      return last.map((r) => `${(r.timeMs / 1000).toFixed(3).padStart(9)} ${r.level.padEnd(5)} ${r.scope.padEnd(8)} ${printable(r.message)}\n`).join('');
    }
    case 'info': {
      const c = vm.config;
      const lines = [
        `VM: ${c.vcpus} vCPU${c.vcpus === 1 ? '' : 's'}, ${c.memoryBytes / 2 ** 20} MiB, ${vm.state}${dbg.state === 'stopped' ? ' (stopped by the debugger)' : ''}, up ${(vm.uptimeMs() / 1000).toFixed(3)} s of guest time`,
        `kernel: ${printable(c.kernel)}${c.commandLine ? `, command line: ${printable(c.commandLine)}` : ''}${c.stealth ? ', stealth' : ''}`,
        ...Array.from({ length: c.vcpus }, (_, v) => `  vCPU ${v}: ${vm.runState(v)}`),
      ];
      const bps = dbg.breakpoints();
      lines.push(bps.length === 0 ? 'no breakpoints' : `breakpoints: ${bps.map((b) => `${b.kind} 0x${b.address.toString(16)}${b.length > 1 ? `+${b.length}` : ''}`).join(', ')}`);
      return `${lines.join('\n')}\n`;
    }
    default:
      return `unknown monitor command: ${printable(command)} (try "monitor help")\n`;
  }
}
