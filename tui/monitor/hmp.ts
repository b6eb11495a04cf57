/**
 * The human monitor: QEMU's HMP commands over a VM's monitor API — `info …`, `x`/`xp`, `print`,
 * `cpu`, `stop`/`cont`, `quit`. It reads shared state only, so it answers while the guest is
 * paused or hung. Commands a VM cannot answer (system_reset with gdb attached; any whose state
 * a VM's CPU model does not publish) say so, one line each.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import {
  type AccessBreakdownRow, type ExitTraceRecord, type FullRegisterState, type Instruction, type LapicState, type PageMapping,
  type MonitorUnavailableError, PageMappingFlags as PageFlags, type RegisterSnapshot, type VmcsField, type VmMonitor, isMonitorUnavailableError,
} from '../../vmm/monitor-api.js';
import { sanitize } from '../terminal-text.js';
import { VERSION } from '../version.js';
import { ExpressionError, evaluate } from './expression.js';
import { GPR_NAMES } from './protocol.js';

interface HmpCommand {
  readonly names: readonly string[];
  readonly usage: string;
  readonly help: string;
  readonly run: (hmp: Hmp, args: string) => string | Promise<string>;
}

interface InfoCommand {
  readonly name: string;
  readonly help: string;
  readonly run: (hmp: Hmp, args: string) => string;
}

/** A command's mistake, shown as its one-line answer. */
class HmpError extends Error {}

const hex = (value: bigint, digits = 16): string => value.toString(16).padStart(digits, '0');

/** RFLAGS as QEMU shows them: D O S Z A P C, or '-' for a clear flag. */
function flagLetters(rflags: bigint): string {
  const bits: readonly [string, number][] = [['D', 10], ['O', 11], ['S', 7], ['Z', 6], ['A', 4], ['P', 2], ['C', 0]];
  return bits.map(([letter, bit]) => ((rflags >> BigInt(bit)) & 1n ? letter : '-')).join('');
}

/** `info registers`, in QEMU's layout; segment caches, descriptor tables and DRs come with the full state. */
export function formatRegisters(s: RegisterSnapshot, full: FullRegisterState | undefined): string {
  const reg = (name: string): bigint => s.gprs[GPR_NAMES.indexOf(name as (typeof GPR_NAMES)[number])]!;
  const four = (names: readonly string[]): string => names.map((n) => `${n.toUpperCase().padEnd(3)}=${hex(reg(n))}`).join(' ');
  const lines = [
    `vCPU ${s.vcpu}: ${s.state}, last exit ${exitReasonName(s.lastExitReason)} (${s.lastExitReason})`,
    four(['rax', 'rbx', 'rcx', 'rdx']), four(['rsi', 'rdi', 'rbp', 'rsp']), four(['r8', 'r9', 'r10', 'r11']), four(['r12', 'r13', 'r14', 'r15']),
    `RIP=${hex(s.rip)} RFL=${hex(s.rflags, 8)} [${flagLetters(s.rflags)}] CPL=${s.cpl} IF=${(s.rflags >> 9n) & 1n}`,
  ];
  const segments = [['ES', 'es'], ['CS', 'cs'], ['SS', 'ss'], ['DS', 'ds'], ['FS', 'fs'], ['GS', 'gs']] as const;
  if (full) {
    for (const [label, key] of [...segments, ['LDT', 'ldtr'], ['TR', 'tr']] as const) {
      const seg = full.segments[key];
      lines.push(`${label.padEnd(3)}=${hex(BigInt(seg.selector), 4)} ${hex(seg.base)} ${hex(BigInt(seg.limit), 8)} ${hex(BigInt(seg.accessRights), 5)}`);
    }
    lines.push(`GDT=     ${hex(full.gdtr.base)} ${hex(BigInt(full.gdtr.limit), 8)}`, `IDT=     ${hex(full.idtr.base)} ${hex(BigInt(full.idtr.limit), 8)}`);
  } else {
    lines.push(segments.map(([label, key]) => `${label}=${hex(BigInt(s[key]), 4)}`).join(' ') + '  (selectors only: base, limit and attributes, GDTR/IDTR/TR are not available in this build)');
  }
  lines.push(`FS_BASE=${hex(s.fsBase)} GS_BASE=${hex(s.gsBase)}${full ? ` KERNEL_GS_BASE=${hex(full.kernelGsBase)}` : ''}`);
  lines.push(`CR0=${hex(s.cr0, 8)} CR2=${hex(s.cr2)} CR3=${hex(s.cr3)} CR4=${hex(s.cr4, 8)}${full ? ` CR8=${hex(full.cr8, 1)}` : ''}`);
  if (full) {
    const [dr0, dr1, dr2, dr3, dr6, dr7] = full.debugRegisters;
    lines.push(`DR0=${hex(dr0 ?? 0n)} DR1=${hex(dr1 ?? 0n)} DR2=${hex(dr2 ?? 0n)} DR3=${hex(dr3 ?? 0n)}`, `DR6=${hex(dr6 ?? 0n)} DR7=${hex(dr7 ?? 0n)}`);
  }
  lines.push(`EFER=${hex(s.efer)}`);
  return lines.join('\n');
}

/** Register values for `$name` in expressions, from a snapshot. */
function registerValue(s: RegisterSnapshot, name: string): bigint | undefined {
  const gpr = GPR_NAMES.indexOf(name as (typeof GPR_NAMES)[number]);
  if (gpr >= 0) return s.gprs[gpr];
  switch (name) {
    case 'rip': case 'pc': return s.rip;
    case 'rflags': case 'eflags': return s.rflags;
    case 'cr0': return s.cr0;
    case 'cr2': return s.cr2;
    case 'cr3': return s.cr3;
    case 'cr4': return s.cr4;
    case 'efer': return s.efer;
    case 'fs_base': return s.fsBase;
    case 'gs_base': return s.gsBase;
    case 'cs': case 'ds': case 'es': case 'fs': case 'gs': case 'ss': return BigInt(s[name]);
    default: return undefined;
  }
}

const UNITS: Readonly<Record<string, 1 | 2 | 4 | 8>> = { b: 1, h: 2, w: 4, g: 8 };

interface Format {
  readonly count: number;
  readonly format: string;
  readonly size: 1 | 2 | 4 | 8;
}

/** `/NFU` as QEMU's x takes it: count, format letter (x d u o c s i), unit (b h w g); x/w when left out. */
function parseFormat(text: string | undefined, last: Format): Format {
  if (text === undefined) return { ...last, count: 1 };
  const match = /^\/(\d*)([xduocsi]?)([bhwg]?)$/.exec(text);
  if (!match) throw new HmpError(`bad format '${text}': use /NFU, e.g. /4xg (N count; F x d u o c s i; U b h w g)`);
  const format = match[2] || last.format;
  const size = match[3] ? UNITS[match[3]]! : format === 'c' || format === 's' ? 1 : last.size;
  const count = match[1] ? Number(match[1]) : 1;
  if (count < 1 || count > 4096) throw new HmpError('the count must be 1 to 4096');
  return { count, format, size };
}

function formatValue(value: bigint, size: number, format: string): string {
  const bits = BigInt(size * 8);
  switch (format) {
    case 'd': return String(value >= 1n << (bits - 1n) ? value - (1n << bits) : value);
    case 'u': return String(value);
    case 'o': return `0${value.toString(8)}`;
    case 'c': return JSON.stringify(String.fromCharCode(Number(value))).slice(1, -1).replace(/[^\x20-\x7e]/g, '.');
    default: return `0x${hex(value, size * 2)}`;
  }
}

export function formatVmcs(fields: readonly VmcsField[]): string {
  return fields.map((f) => `${hex(BigInt(f.encoding), 4)} ${f.name.padEnd(36)} ${hex(f.value)}`).join('\n');
}

const rights = (flags: number): string =>
  `${flags & PageFlags.USER ? 'u' : '-'}r${flags & PageFlags.WRITABLE ? 'w' : '-'}${flags & PageFlags.NO_EXECUTE ? '-' : 'x'}`;

/** QEMU's `info tlb`: one line per mapping, virtual then physical. */
export function formatTlb(mappings: readonly PageMapping[]): string {
  return mappings.map((m) => `${hex(m.virtual)}: ${hex(m.physical)} ${hex(m.length, 8)} ${rights(m.flags)}`).join('\n');
}

/** QEMU's `info mem`: virtual ranges with their size and rights. */
export function formatMem(mappings: readonly PageMapping[]): string {
  return mappings.map((m) => `${hex(m.virtual)}-${hex(m.virtual + m.length)} ${hex(m.length)} ${rights(m.flags)}`).join('\n');
}

export function formatLapic(l: LapicState): string {
  const vectors = (list: readonly number[]): string => (list.length === 0 ? '(none)' : list.map((v) => `0x${v.toString(16)}`).join(' '));
  return [
    `APIC ID ${l.id}  TPR 0x${l.tpr.toString(16)}  PPR 0x${l.ppr.toString(16)}`,
    `IRR ${vectors(l.irr)}`, `ISR ${vectors(l.isr)}`,
    `LVT timer 0x${hex(BigInt(l.lvtTimer), 8)}  initial count ${l.timerInitialCount}  current count ${l.timerCurrentCount}  divide ${l.timerDivide}`,
  ].join('\n');
}

/** `info trace`; '-' for times not taken: exits from before the trace was first asked for, one still being handled. */
export function formatTrace(records: readonly ExitTraceRecord[]): string {
  const head = `${'time (s)'.padStart(12)} cpu ${'reason'.padEnd(22)} ${'qualification'.padEnd(18)} ${'rip'.padEnd(18)} handling`;
  return [head, ...records.map((r) => `${(r.timeMs === undefined ? '-' : (r.timeMs / 1000).toFixed(6)).padStart(12)} ${String(r.vcpu).padStart(3)} ${`${exitReasonName(r.reason)} (${r.reason})`.padEnd(22)} 0x${hex(r.qualification)} 0x${hex(r.rip)} ${r.handlingNs === undefined ? '-' : `${r.handlingNs} ns`}`)].join('\n');
}

export function formatBreakdown(what: string, rows: readonly AccessBreakdownRow[], digits: number): string {
  return [`${what.padEnd(digits + 2)} ${'reads'.padStart(10)} ${'writes'.padStart(10)}`, ...rows.map((r) => `0x${hex(BigInt(r.target), digits)} ${String(r.reads).padStart(10)} ${String(r.writes).padStart(10)}`)].join('\n');
}

export function formatInstructions(instructions: readonly Instruction[]): string {
  return instructions.map((i) => `0x${hex(i.address)}: ${Array.from(i.bytes, (b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(30)} ${i.text}`).join('\n');
}

const COMMANDS: readonly HmpCommand[] = [
  { names: ['help', '?'], usage: 'help [command]', help: 'list the commands, or show one', run: (hmp, args) => hmp.help(args) },
  { names: ['info'], usage: 'info SUBCOMMAND', help: 'show the VM\'s state (help info lists what)', run: (hmp, args) => hmp.info(args) },
  { names: ['cpu'], usage: 'cpu N', help: 'the vCPU that info registers, x and $registers use', run: (hmp, args) => hmp.selectCpu(args) },
  { names: ['stop'], usage: 'stop', help: 'pause the VM', run: (hmp) => hmp.stop() },
  { names: ['cont', 'c'], usage: 'cont', help: 'resume the VM', run: (hmp) => hmp.cont() },
  { names: ['quit', 'q'], usage: 'quit', help: 'stop the VM (its ymir process ends)', run: (hmp) => hmp.quit() },
  { names: ['x'], usage: 'x /NFU ADDR', help: 'guest-virtual memory through the vCPU\'s page tables; ADDR may be an expression such as $rsp+8', run: (hmp, args) => hmp.examine(args, 'virtual') },
  { names: ['xp'], usage: 'xp /NFU ADDR', help: 'guest-physical memory', run: (hmp, args) => hmp.examine(args, 'physical') },
  { names: ['print', 'p'], usage: 'print [/F] EXPR', help: 'evaluate an expression ($rip, 0x10+$rsp, ...)', run: (hmp, args) => hmp.print(args) },
  { names: ['memwrite'], usage: 'memwrite ADDR VALUE', help: 'write a 64-bit value to guest-virtual memory', run: (hmp, args) => hmp.memwrite(args, 'virtual') },
  { names: ['pmemwrite'], usage: 'pmemwrite ADDR VALUE', help: 'write a 64-bit value to guest-physical memory', run: (hmp, args) => hmp.memwrite(args, 'physical') },
  { names: ['system_reset'], usage: 'system_reset', help: 'reset the machine', run: (hmp) => hmp.available('system_reset', (vm) => { vm.debug.systemReset(); return ''; }) },
  { names: ['nmi'], usage: 'nmi', help: 'inject an NMI into the vCPU', run: (hmp) => hmp.available('nmi', (vm, cpu) => { vm.debug.injectNmi(cpu); return ''; }) },
];

const INFO: readonly InfoCommand[] = [
  { name: 'status', help: 'whether the VM runs', run: (hmp) => `VM status: ${vmStatus(hmp.vm)}, up ${(hmp.vm.uptimeMs() / 1000).toFixed(1)} s` },
  { name: 'version', help: 'the ymir version', run: () => `ymir-dbg ${VERSION}` },
  { name: 'name', help: 'the VM\'s name', run: (hmp) => hmp.name },
  { name: 'cpus', help: 'every vCPU: state, RIP, last exit', run: (hmp) => hmp.cpus() },
  { name: 'registers', help: 'the vCPU\'s registers (-a: every vCPU)', run: (hmp, args) => hmp.registers(args) },
  { name: 'exits', help: 'VM exits by SDM reason, total and per vCPU', run: (hmp) => hmp.exits() },
  { name: 'log', help: 'the last N records of the VMM log (default 20)', run: (hmp, args) => hmp.log(args) },
  { name: 'vmcs', help: 'the vCPU\'s VMCS: guest state, controls, exit information', run: (hmp) => hmp.available('info vmcs', (vm, cpu) => formatVmcs(vm.debug.vmcs(cpu))) },
  { name: 'tlb', help: 'virtual to physical mappings of the vCPU', run: (hmp) => hmp.available('info tlb', (vm, cpu) => formatTlb(vm.debug.mappings(cpu))) },
  { name: 'mem', help: 'mapped ranges of the vCPU, with rights', run: (hmp) => hmp.available('info mem', (vm, cpu) => formatMem(vm.debug.mappings(cpu))) },
  { name: 'lapic', help: 'the vCPU\'s local APIC', run: (hmp) => hmp.available('info lapic', (vm, cpu) => formatLapic(vm.debug.lapic(cpu))) },
  { name: 'trace', help: 'the last N exits of the vCPU (default 20): reason, qualification, RIP, time', run: (hmp, args) => hmp.trace(args) },
  { name: 'ioports', help: 'IO_INSTRUCTION exits by port', run: (hmp) => hmp.available('info ioports', (vm) => formatBreakdown('port', vm.debug.ioPortBreakdown(), 4)) },
  { name: 'msrs', help: 'MSR_READ and MSR_WRITE exits by MSR', run: (hmp) => hmp.available('info msrs', (vm) => formatBreakdown('MSR', vm.debug.msrBreakdown(), 8)) },
];

/** As QEMU's `info status` words it: a stop by the debugger is "paused (debug)". */
function vmStatus(vm: VmMonitor): string {
  if (vm.state === 'created') return 'prelaunch';
  return vm.state === 'running' && vm.debugStopped() ? 'paused (debug)' : vm.state;
}

export class Hmp {
  /** The vCPU `info registers`, `x` and `$reg` use (QEMU's `cpu N`). */
  cpu = 0;
  private lastFormat: Format = { count: 1, format: 'x', size: 4 };

  constructor(readonly vm: VmMonitor, readonly name: string) {}

  /** Runs one command line; the answer is text to show (empty for commands that only act). */
  async execute(line: string): Promise<string> {
    const trimmed = line.trim();
    if (trimmed === '') return '';
    const [word = '', rest = ''] = /^(\S+)\s*(.*)$/s.exec(trimmed)!.slice(1);
    // QEMU's `x/4xg ADDR` has the format glued to the command.
    const [name, glued] = word.includes('/') ? [word.slice(0, word.indexOf('/')), word.slice(word.indexOf('/'))] : [word, ''];
    const command = COMMANDS.find((c) => c.names.includes(name));
    if (!command) return `unknown command: '${name}' (help lists the commands)`;
    try {
      return await command.run(this, `${glued} ${rest}`.trim());
    } catch (error) {
      if (error instanceof HmpError || error instanceof ExpressionError || error instanceof RangeError) return error.message;
      throw error;
    }
  }

  help(args: string): string {
    if (args === 'info') return INFO.map((i) => `info ${i.name.padEnd(10)} -- ${i.help}`).join('\n');
    if (args !== '') {
      const command = COMMANDS.find((c) => c.names.includes(args));
      return command ? `${command.usage} -- ${command.help}` : `unknown command: '${args}'`;
    }
    return COMMANDS.map((c) => `${c.usage.padEnd(22)} -- ${c.help}`).join('\n');
  }

  info(args: string): string {
    const [what = '', rest = ''] = args.split(/\s+(.*)/s);
    if (what === '') return this.help('info');
    const info = INFO.find((i) => i.name === what);
    if (!info) return `info: no such subcommand '${what}' (help info lists them)`;
    return info.run(this, rest.trim());
  }

  selectCpu(args: string): string {
    const n = Number(args);
    if (args === '' || !Number.isInteger(n) || n < 0 || n >= this.vm.config.vcpus) throw new HmpError(`cpu: give a vCPU from 0 to ${this.vm.config.vcpus - 1}`);
    this.cpu = n;
    return '';
  }

  stop(): string {
    this.vm.pause();
    return '';
  }

  cont(): string {
    this.vm.resume();
    return '';
  }

  async quit(): Promise<string> {
    await this.vm.stop();
    return '';
  }

  cpus(): string {
    return Array.from({ length: this.vm.config.vcpus }, (_, v) => {
      const s = this.vm.registers(v);
      return `${v === this.cpu ? '*' : ' '} CPU #${v}: ${s.state} rip=0x${hex(s.rip)} last exit ${exitReasonName(s.lastExitReason)}`;
    }).join('\n');
  }

  registers(args: string): string {
    const vcpus = args === '-a' ? Array.from({ length: this.vm.config.vcpus }, (_, v) => v) : [this.cpu];
    return vcpus.map((v) => {
      let full: FullRegisterState | undefined;
      try {
        full = this.vm.debug.fullRegisters(v);
      } catch (error) {
        if (!isMonitorUnavailableError(error)) throw error;
      }
      return formatRegisters(full ?? this.vm.registers(v), full);
    }).join('\n\n');
  }

  exits(): string {
    const vcpus = this.vm.config.vcpus;
    const counts = Array.from({ length: vcpus }, (_, v) => this.vm.exitCounts(v));
    const header = `${'reason'.padEnd(22)} ${'total'.padStart(10)}${counts.map((_, v) => `vCPU ${v}`.padStart(10)).join('')}`;
    const rows: string[] = [];
    for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) {
      const perVcpu = counts.map((c) => c[reason] ?? 0);
      const total = perVcpu.reduce((a, b) => a + b, 0);
      if (total > 0) rows.push(`${`${exitReasonName(reason)} (${reason})`.padEnd(22)} ${String(total).padStart(10)}${perVcpu.map((n) => String(n).padStart(10)).join('')}`);
    }
    return [header, ...rows].join('\n');
  }

  log(args: string): string {
    const n = args === '' ? 20 : Number(args);
    if (!Number.isInteger(n) || n < 1) throw new HmpError('info log: give a number of records');
    const records = [];
    for (let cursor = 0; ;) {
      const result = this.vm.readLog(cursor, 256);
      records.push(...result.records);
      if (result.records.length === 0) break;
      cursor = result.nextCursor;
    }
    return records.slice(-n).map((r) =>
      `${(r.timeMs / 1000).toFixed(3).padStart(9)} ${r.level.toUpperCase().padEnd(5)} ${plain(r.scope).padEnd(7)} | ${plain(r.message)}`).join('\n');
  }

  examine(args: string, space: 'virtual' | 'physical'): string {
    const [, formatText, expression = ''] = /^(\/\S*)?\s*(.*)$/s.exec(args)!;
    const format = parseFormat(formatText, this.lastFormat);
    this.lastFormat = format;
    const address = this.evaluate(expression);
    if (format.format === 'i') {
      if (space === 'physical') throw new HmpError('xp/i: disassembly reads guest-virtual addresses; use x/i');
      return this.available('x/i', (vm, cpu) => formatInstructions(vm.debug.disassemble(cpu, address, format.count)));
    }
    const read = (at: bigint, length: number): Uint8Array =>
      space === 'virtual' ? this.vm.debug.readVirtual(this.cpu, at, length) : this.vm.debug.readPhysical(at, length);
    if (format.format === 's') return this.strings(address, format.count, read);
    const bytes = read(address, format.count * format.size);
    const perLine = Math.max(1, 16 / format.size);
    const lines: string[] = [];
    for (let i = 0; i < format.count; i += perLine) {
      const values: string[] = [];
      for (let k = i; k < Math.min(format.count, i + perLine); k++) {
        let value = 0n;
        for (let b = format.size - 1; b >= 0; b--) value = (value << 8n) | BigInt(bytes[k * format.size + b]!);
        values.push(formatValue(value, format.size, format.format));
      }
      lines.push(`${hex(address + BigInt(i * format.size))}: ${values.join(' ')}`);
    }
    return lines.join('\n');
  }

  /** `count` NUL-terminated strings from `address`, each at most 256 bytes, shown escaped. */
  private strings(address: bigint, count: number, read: (at: bigint, length: number) => Uint8Array): string {
    const lines: string[] = [];
    let at = address;
    for (let i = 0; i < count; i++) {
      const bytes: number[] = [];
      while (bytes.length < 256) {
        const byte = read(at + BigInt(bytes.length), 1)[0]!;
        if (byte === 0) break;
        bytes.push(byte);
      }
      lines.push(`${hex(at)}: ${JSON.stringify(Buffer.from(bytes).toString('latin1')).replace(/[\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`)}`);
      at += BigInt(bytes.length + 1);
    }
    return lines.join('\n');
  }

  print(args: string): string {
    const [, formatText, expression = ''] = /^(\/[xduoc])?\s*(.*)$/s.exec(args)!;
    const value = this.evaluate(expression);
    return formatValue(value, 8, formatText?.slice(1) ?? 'x');
  }

  private evaluate(expression: string): bigint {
    let snapshot: RegisterSnapshot | undefined;
    return evaluate(expression, (name) => registerValue((snapshot ??= this.vm.registers(this.cpu)), name));
  }

  trace(args: string): string {
    const n = args === '' ? 20 : Number(args);
    if (!Number.isInteger(n) || n < 1) throw new HmpError('info trace: give a number of exits');
    return this.available('info trace', (vm, cpu) => formatTrace(vm.debug.exitTrace(cpu, n)));
  }

  memwrite(args: string, space: 'virtual' | 'physical'): string {
    const command = space === 'virtual' ? 'memwrite' : 'pmemwrite';
    const [addressText, valueText, extra] = args.split(/\s+/);
    if (addressText === undefined || addressText === '' || valueText === undefined || extra !== undefined) throw new HmpError(`usage: ${command} ADDR VALUE`);
    const address = this.evaluate(addressText);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, this.evaluate(valueText), true);
    return this.available(command, (vm, cpu) => {
      if (space === 'virtual') vm.debug.writeVirtual(cpu, address, bytes);
      else vm.debug.writePhysical(address, bytes);
      return '';
    });
  }

  /** Runs a monitor call that may not be available in this build, answering its one-line error if so. */
  available(command: string, call: (vm: VmMonitor, cpu: number) => string): string {
    try {
      return call(this.vm, this.cpu);
    } catch (error) {
      // An error that crossed a socket keeps its name but not its reason.
      if (isMonitorUnavailableError(error)) return `${command}: not available in this build (${(error as Partial<MonitorUnavailableError>).reason ?? 'the CPU model does not publish that state yet'})`;
      throw error;
    }
  }
}

/** Guest-influenced text (log messages, scopes) as one plain line. */
function plain(text: string): string {
  return sanitize(new TextEncoder().encode(text)).split('\n').join(' ⏎ ');
}
