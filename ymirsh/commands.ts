/**
 * ymirsh's commands. Each parses its arguments (bad ones are a UsageError: the usage is printed),
 * asks the VMM through the transport — several queries in one multi-call where it needs more
 * than one answer — and prints a text answer; `data` is what `--json` reports.
 */
import {
  ALL_VCPUS, Feature, LOG_LEVEL_QUERY, MAX_MEM_READ_BYTES, Op, Status, statusName,
} from '../shell-protocol/constants.js';
import { EXIT_REASON_COUNT, exitReasonName } from '../shell-protocol/exit-reasons.js';
import {
  decodeExitStats, decodeLogLevelResult, decodeLogRead, decodeOps, decodeProtected, decodeRegs, decodeSharedPage,
  decodeText, decodeTranslation, decodeVmInfo, encodeAddressArgs, encodeLogLevelArgs, encodeLogReadArgs,
  encodeMemReadArgs, encodeRangeArgs, encodeVcpuArgs,
} from '../shell-protocol/ops.js';
import { PAGE_SIZE } from '../shell-protocol/constants.js';
import type { Decoded } from '../shell-protocol/codec.js';
import type { UserRuntime } from '../guest/user/runtime.js';
import { type DumpFormat, type ExitSort, formatDump, formatExits, formatRegs, hex64, pageFlagsText, sizeText } from './format.js';
import { OpError, type Transport } from './transport.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command failed for a reason worth one line ("EFAULT: 0x... is not mapped"). */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
}

export interface Shell {
  readonly transport: Transport;
  readonly rt: UserRuntime;
  print(text: string): void;
  /** A key is waiting (for --watch and -f, which run until one is pressed). */
  keyPressed(): boolean;
}

export interface CommandResult {
  /** What --json reports for the command. */
  readonly data?: unknown;
}

export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(sh: Shell, args: readonly string[]): CommandResult;
}

const LEVEL_NAMES = ['debug', 'info', 'warn', 'error'];
const LEVEL_LABELS = ['DEBUG', 'INFO ', 'WARN ', 'ERROR'];

/** A number as QEMU's monitor takes it: 0x hex, or decimal. */
export function parseNumber(text: string | undefined, what: string): bigint {
  if (text === undefined) throw new UsageError(`missing ${what}`);
  if (!/^(0x[0-9a-f_]+|[0-9_]+)$/i.test(text)) throw new UsageError(`${what} must be a number, not '${text}'`);
  const value = BigInt(text.replace(/_/g, ''));
  if (value >= 1n << 64n) throw new UsageError(`${what} ${text} does not fit in 64 bits`);
  return value;
}

function unwrap<T>(decoded: Decoded<T>): T {
  if (!decoded.ok) throw new CommandFailed(`${statusName(decoded.error.status)}: ${decoded.error.reason}`);
  return decoded.value;
}

function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

/** `all` or a vCPU number (default `fallback`). */
function vcpuArgument(text: string | undefined, fallback: number | 'all'): number | 'all' {
  if (text === undefined) return fallback;
  if (text === 'all') return 'all';
  const n = parseNumber(text, 'VCPU');
  if (n > 255n) throw new UsageError(`no vCPU ${text}`);
  return Number(n);
}

/** Run one op; an error status becomes a message naming what was asked. */
function ask(sh: Shell, op: number, args: Uint8Array | undefined, context: string): Uint8Array {
  try {
    return sh.transport.one(op, args);
  } catch (error) {
    if (error instanceof OpError) throw new CommandFailed(`${statusName(error.status)}: ${describeStatus(error.status, context)}`);
    throw error;
  }
}

function describeStatus(status: number, context: string): string {
  switch (status) {
    case Status.EPERM: return `${context} needs root (CPL 0)`;
    case Status.EFAULT: return `${context} is not mapped`;
    case Status.EINVAL: return `${context}: invalid argument`;
    case Status.E2BIG: return `${context} is too large`;
    case Status.EEXIST: return `${context} overlaps a protected range`;
    case Status.ENOENT: return `${context} is not protected`;
    case Status.EBUSY: return `${context}: too many protected ranges`;
    case Status.ENOSYS: return `${context}: the VMM does not support it`;
    default: return context;
  }
}

const hello: Command = {
  name: 'hello', usage: 'hello', summary: 'VMCALL service 0: the VMM logs its greeting (the seed\'s ymirsh)',
  run(sh, args) {
    if (args.length > 0) throw new UsageError('hello takes no arguments');
    const status = sh.transport.hello();
    if (status !== 0) throw new CommandFailed(`HELLO answered ${statusName(status)}`);
    sh.print('hello: the VMM wrote its greeting to the console log\n');
    return { data: { status } };
  },
};

function info(sh: Shell): CommandResult {
  const probe = sh.transport.probe();
  const vm = unwrap(decodeVmInfo(ask(sh, Op.VM_INFO, undefined, 'VM_INFO')));
  const features = Object.entries(Feature).filter(([, bit]) => (probe.features & bit) !== 0).map(([name]) => name.toLowerCase());
  sh.print([
    `VMM:        ${vm.vmmName}, VMCALL ABI ${probe.major}.${probe.minor}`,
    `features:   ${features.join(' ')}`,
    `vCPUs:      ${vm.vcpuCount}`,
    `memory:     ${sizeText(vm.memoryBytes)}`,
    `uptime:     ${(Number(vm.uptimeNs) / 1e9).toFixed(3)} s`,
    `log level:  ${LEVEL_NAMES[vm.logLevel] ?? vm.logLevel}`,
    `max message ${probe.maxMessage} bytes`,
    '',
  ].join('\n'));
  return { data: { abi: `${probe.major}.${probe.minor}`, features, vcpus: vm.vcpuCount, memoryBytes: Number(vm.memoryBytes), uptimeNs: Number(vm.uptimeNs), logLevel: LEVEL_NAMES[vm.logLevel], vmm: vm.vmmName } };
}

const version: Command = { name: 'version', usage: 'version', summary: 'ABI version, features and VM info', run: (sh) => info(sh) };
const infoCommand: Command = { name: 'info', usage: 'info', summary: 'same as version', run: (sh) => info(sh) };

/** How many vCPUs the VM has (one VM_INFO). */
function vcpuCount(sh: Shell): number {
  return unwrap(decodeVmInfo(ask(sh, Op.VM_INFO, undefined, 'VM_INFO'))).vcpuCount;
}

const regs: Command = {
  name: 'regs', usage: 'regs [VCPU|all]', summary: 'registers of a vCPU as of its last exit',
  run(sh, args) {
    if (args.length > 1) throw new UsageError('too many arguments');
    const which = vcpuArgument(args[0], 0);
    const vcpus = which === 'all' ? [...Array(vcpuCount(sh)).keys()] : [which];
    const results = sh.transport.call(vcpus.map((v) => ({ op: Op.VCPU_REGS, args: encodeVcpuArgs(v) })));
    const data = [];
    for (const [i, entry] of results.entries()) {
      if (entry.status !== Status.OK) throw new CommandFailed(`${statusName(entry.status)}: ${describeStatus(entry.status, `vCPU ${vcpus[i]}`)}`);
      const r = unwrap(decodeRegs(entry.data));
      sh.print(formatRegs(r));
      data.push({ vcpu: r.vcpu, state: r.state, lastExitReason: exitReasonName(r.lastExitReason), rip: hex(r.rip), cr3: hex(r.cr3), cpl: r.cpl, sequence: Number(r.sequence) });
    }
    return { data };
  },
};

interface ExitsOptions {
  vcpu: number | 'all';
  sort: ExitSort;
  all: boolean;
  watch: number | undefined;
}

function parseExitsArgs(args: readonly string[]): ExitsOptions {
  const options: ExitsOptions = { vcpu: 'all', sort: 'count', all: false, watch: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--sort') {
      const key = args[++i];
      if (key !== 'count' && key !== 'name' && key !== 'reason') throw new UsageError('--sort takes count, name or reason');
      options.sort = key;
    } else if (arg === '--all') options.all = true;
    else if (arg === '--watch') {
      const next = args[i + 1];
      options.watch = next !== undefined && /^\d+(\.\d+)?$/.test(next) ? Number(args[++i]) : 1;
      if (!(options.watch > 0)) throw new UsageError('--watch takes a positive number of seconds');
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else options.vcpu = vcpuArgument(arg, 'all');
  }
  return options;
}

const exits: Command = {
  name: 'exits', usage: 'exits [VCPU|all] [--sort count|name|reason] [--all] [--watch [SECONDS]]',
  summary: 'VM exits by reason, with % of total',
  run(sh, args) {
    const options = parseExitsArgs(args);
    if (options.watch !== undefined) return watchExits(sh, options);
    const target = options.vcpu === 'all' ? ALL_VCPUS : options.vcpu;
    const stats = unwrap(decodeExitStats(ask(sh, Op.EXIT_STATS, encodeVcpuArgs(target), `vCPU ${options.vcpu}`)));
    const counts = new Map(stats.counts.map((c) => [c.reason, c.count]));
    const rows = options.all ? [...Array(EXIT_REASON_COUNT).keys()].filter((r) => exitReasonName(r).indexOf('UNKNOWN') !== 0).map((reason) => ({ reason, count: counts.get(reason) ?? 0n })) : stats.counts;
    sh.print(formatExits(`VM exits, ${options.vcpu === 'all' ? 'all vCPUs' : `vCPU ${options.vcpu}`}:`, rows, options.sort));
    return { data: { vcpu: options.vcpu, total: Number(stats.total), counts: Object.fromEntries(stats.counts.map((c) => [exitReasonName(c.reason), Number(c.count)])) } };
  },
};

/** Refresh the exit table in place from the shared counter page until a key is pressed. */
function watchExits(sh: Shell, options: ExitsOptions): CommandResult {
  const page = sh.transport.mapCounters();
  const bytes = new Uint8Array(PAGE_SIZE);
  let shownLines = 0;
  let frames = 0;
  let stopped = false;
  do {
    sh.rt.cpu.readBytes(page, bytes);
    const shared = unwrap(decodeSharedPage(bytes));
    const vcpus = options.vcpu === 'all' ? [...shared.counts.keys()] : [options.vcpu];
    const rows = [];
    for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) {
      const count = vcpus.reduce((sum, v) => sum + (shared.counts[v]?.[reason] ?? 0n), 0n);
      if (count !== 0n || (options.all && !exitReasonName(reason).startsWith('UNKNOWN'))) rows.push({ reason, count });
    }
    const table = formatExits(`VM exits (live, every ${options.watch}s; press a key to stop):`, rows, options.sort);
    // Move up over the previous table and rewrite it in place.
    sh.print(`${shownLines > 0 ? `\x1b[${shownLines}A` : ''}${table.replace(/\n/g, '\x1b[K\n')}\x1b[J`);
    shownLines = table.split('\n').length - 1;
    frames++;
    const until = sh.rt.nowNs() + BigInt(Math.round((options.watch ?? 1) * 1e9));
    while (!stopped && sh.rt.nowNs() < until) {
      stopped = sh.keyPressed();
      if (!stopped) sh.rt.sleepMs(50);
    }
  } while (!stopped);
  return { data: { frames } };
}

const log: Command = {
  name: 'log', usage: 'log [-n N] [-f]', summary: 'the VMM log (last N records, default 20; -f follows it)',
  run(sh, args) {
    let count = 20n;
    let follow = false;
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-n') count = parseNumber(args[++i], 'N');
      else if (args[i] === '-f') follow = true;
      else throw new UsageError(`unknown argument ${args[i]}`);
    }
    // Where the log ends now: a read past the end returns no record and the next cursor.
    const end = unwrap(decodeLogRead(ask(sh, Op.LOG_READ, encodeLogReadArgs({ cursor: 1n << 62n, maxRecords: 1 }), 'LOG_READ'))).nextCursor;
    let cursor = end > count ? end - count : 0n;
    const records: unknown[] = [];
    let lost = 0n;
    for (;;) {
      const page = unwrap(decodeLogRead(ask(sh, Op.LOG_READ, encodeLogReadArgs({ cursor, maxRecords: 64 }), 'LOG_READ')));
      if (page.lost > 0n) sh.print(`(${page.lost} older records were overwritten before they could be read)\n`);
      lost += page.lost;
      for (const r of page.records) {
        const seconds = (Number(r.timeNs) / 1e9).toFixed(6).padStart(12);
        sh.print(`[${seconds}] [${LEVEL_LABELS[r.level] ?? '?????'}] ${r.scope.padEnd(7)} | ${r.message.replace(/\n+$/, '')}\n`);
        records.push({ sequence: Number(r.sequence), level: LEVEL_NAMES[r.level], scope: r.scope, message: r.message });
      }
      cursor = page.nextCursor;
      if (page.records.length > 0) continue;
      if (!follow || sh.keyPressed()) break;
      sh.rt.sleepMs(100);
    }
    return { data: { records, lost: Number(lost) } };
  },
};

const DUMP_SIZES = { b: 1, h: 2, w: 4, g: 8 } as const;

/** QEMU's /FMT: count, format (x d u c), size (b h w g); defaults 1, x, w. */
export function parseDumpFormat(spec: string): { count: number; format: DumpFormat; unit: 1 | 2 | 4 | 8 } {
  const match = /^(\d*)([xduc]?)([bhwg]?)$/.exec(spec);
  if (!match) throw new UsageError(`bad format /${spec}: use /[COUNT][x|d|u|c][b|h|w|g]`);
  const format = (match[2] || 'x') as DumpFormat;
  const unit = format === 'c' && !match[3] ? 1 : DUMP_SIZES[(match[3] || 'w') as keyof typeof DUMP_SIZES];
  const count = match[1] ? Number(match[1]) : 1;
  if (count < 1 || count * unit > MAX_MEM_READ_BYTES) throw new UsageError(`count must make 1..${MAX_MEM_READ_BYTES} bytes`);
  return { count, format, unit };
}

function dump(sh: Shell, args: readonly string[], format: string, virtual: boolean): CommandResult {
  if (args.length !== 1) throw new UsageError('one address');
  const address = parseNumber(args[0], 'ADDR');
  const spec = parseDumpFormat(format);
  const length = spec.count * spec.unit;
  if (address + BigInt(length) > 1n << 64n) throw new UsageError('the range passes the end of the address space');
  const bytes = virtual ? readVirtual(sh, address, length) : ask(sh, Op.MEM_READ, encodeMemReadArgs({ gpa: address, length }), hex(address));
  sh.print(formatDump(address, bytes, spec.unit, spec.format));
  return { data: { address: hex(address), bytes: Buffer.from(bytes).toString('hex') } };
}

/** Guest-virtual memory: TRANSLATE every page in one multi-call, then MEM_READ the pieces in another. */
function readVirtual(sh: Shell, address: bigint, length: number): Uint8Array {
  const pages: bigint[] = [];
  for (let page = address & ~0xfffn; page < address + BigInt(length); page += 0x1000n) pages.push(page);
  const translations = sh.transport.call(pages.map((page) => ({ op: Op.TRANSLATE, args: encodeAddressArgs(page) })));
  const reads = pages.map((page, i) => {
    const entry = translations[i];
    const at = page < address ? address : page;
    if (!entry || entry.status !== Status.OK) throw new CommandFailed(`${statusName(entry?.status ?? Status.EFAULT)}: ${hex(at)} is not mapped`);
    const t = unwrap(decodeTranslation(entry.data));
    const end = page + 0x1000n < address + BigInt(length) ? page + 0x1000n : address + BigInt(length);
    return { op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: t.gpa + (at - page), length: Number(end - at) }) };
  });
  const results = sh.transport.call(reads);
  const out = new Uint8Array(length);
  let at = 0;
  for (const [i, entry] of results.entries()) {
    if (entry.status !== Status.OK) throw new CommandFailed(`${statusName(entry.status)}: ${describeStatus(entry.status, `reading page ${hex(pages[i]!)}`)}`);
    out.set(entry.data, at);
    at += entry.data.length;
  }
  return out;
}

const translate: Command = {
  name: 'translate', usage: 'translate GVA', summary: 'guest-virtual to guest-physical, with the page\'s permissions',
  run(sh, args) {
    if (args.length !== 1) throw new UsageError('one address');
    const address = parseNumber(args[0], 'GVA');
    const t = unwrap(decodeTranslation(ask(sh, Op.TRANSLATE, encodeAddressArgs(address), hex(address))));
    sh.print(`${hex(address)} -> ${hex(t.gpa)} (${sizeText(t.pageSize)} page, ${pageFlagsText(t.flags)})\n`);
    return { data: { gva: hex(address), gpa: hex(t.gpa), pageSize: Number(t.pageSize), flags: t.flags } };
  },
};

function range(args: readonly string[]): { gpa: bigint; length: bigint } {
  if (args.length !== 2) throw new UsageError('GPA and LEN');
  return { gpa: parseNumber(args[0], 'GPA'), length: parseNumber(args[1], 'LEN') };
}

const protect: Command = {
  name: 'protect', usage: 'protect GPA LEN', summary: 'EPT-write-protect a page-aligned guest-physical range (root)',
  run(sh, args) {
    const r = range(args);
    ask(sh, Op.PROTECT, encodeRangeArgs(r), `${hex(r.gpa)}+${hex(r.length)}`);
    sh.print(`protected ${hex(r.gpa)}-${hex(r.gpa + r.length - 1n)} (${sizeText(r.length)}) against guest writes\n`);
    return { data: { gpa: hex(r.gpa), length: Number(r.length) } };
  },
};

const unprotect: Command = {
  name: 'unprotect', usage: 'unprotect GPA LEN', summary: 'remove a write-protected range (root)',
  run(sh, args) {
    const r = range(args);
    ask(sh, Op.UNPROTECT, encodeRangeArgs(r), `${hex(r.gpa)}+${hex(r.length)}`);
    sh.print(`unprotected ${hex(r.gpa)}-${hex(r.gpa + r.length - 1n)}\n`);
    return { data: { gpa: hex(r.gpa), length: Number(r.length) } };
  },
};

const protectedCommand: Command = {
  name: 'protected', usage: 'protected', summary: 'write-protected ranges and the writes refused',
  run(sh, args) {
    if (args.length > 0) throw new UsageError('protected takes no arguments');
    const ranges = unwrap(decodeProtected(ask(sh, Op.PROTECTED, undefined, 'PROTECTED')));
    if (ranges.length === 0) sh.print('no protected ranges\n');
    else {
      sh.print(`${'START'.padEnd(18)} ${'END'.padEnd(18)} ${'SIZE'.padStart(10)} ${'REFUSED WRITES'.padStart(15)}\n`);
      for (const r of ranges) sh.print(`${hex64(r.gpa)}   ${hex64(r.gpa + r.length - 1n)}   ${sizeText(r.length).padStart(10)} ${r.violations.toString().padStart(15)}\n`);
    }
    return { data: ranges.map((r) => ({ gpa: hex(r.gpa), length: Number(r.length), violations: Number(r.violations) })) };
  },
};

const stats: Command = {
  name: 'stats', usage: 'stats reset [VCPU|all]', summary: 'reset the exit counters (root)',
  run(sh, args) {
    if (args[0] !== 'reset' || args.length > 2) throw new UsageError('stats reset [VCPU|all]');
    const which = vcpuArgument(args[1], 'all');
    ask(sh, Op.STATS_RESET, encodeVcpuArgs(which === 'all' ? ALL_VCPUS : which), `vCPU ${which}`);
    sh.print(`exit counters reset (${which === 'all' ? 'all vCPUs' : `vCPU ${which}`})\n`);
    return { data: { vcpu: which } };
  },
};

const loglevel: Command = {
  name: 'loglevel', usage: 'loglevel [debug|info|warn|error]', summary: 'show or set the VMM log level (setting needs root)',
  run(sh, args) {
    if (args.length > 1) throw new UsageError('one level');
    const level = args[0] === undefined ? LOG_LEVEL_QUERY : LEVEL_NAMES.indexOf(args[0]);
    if (level < 0) throw new UsageError(`unknown level ${args[0]}`);
    const result = unwrap(decodeLogLevelResult(ask(sh, Op.LOG_LEVEL, encodeLogLevelArgs(level), 'LOG_LEVEL')));
    sh.print(level === LOG_LEVEL_QUERY ? `log level: ${LEVEL_NAMES[result.current]}\n` : `log level: ${LEVEL_NAMES[result.previous]} -> ${LEVEL_NAMES[result.current]}\n`);
    return { data: { previous: LEVEL_NAMES[result.previous], current: LEVEL_NAMES[result.current] } };
  },
};

const ping: Command = {
  name: 'ping', usage: 'ping [N]', summary: 'N PROBE round trips (default 1000), timed inside the guest',
  run(sh, args) {
    if (args.length > 1) throw new UsageError('one count');
    const n = Number(args[0] === undefined ? 1000n : parseNumber(args[0], 'N'));
    if (n < 1 || n > 1_000_000) throw new UsageError('N must be 1..1000000');
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = sh.rt.nowNs();
      sh.transport.probe();
      times.push(Number(sh.rt.nowNs() - start));
    }
    times.sort((a, b) => a - b);
    const at = (p: number): number => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
    sh.print(`${n} PROBE round trips: min ${times[0]} ns, median ${at(0.5)} ns, p99 ${at(0.99)} ns\n`);
    return { data: { count: n, minNs: times[0], medianNs: at(0.5), p99Ns: at(0.99) } };
  },
};

const ops: Command = {
  name: 'ops', usage: 'ops', summary: 'the ops this VMM supports',
  run(sh) {
    const list = unwrap(decodeOps(ask(sh, Op.OPS, undefined, 'OPS')));
    sh.print(`${'OP'.padStart(3)}  ${'NAME'.padEnd(12)} PRIVILEGED\n`);
    for (const o of list) sh.print(`${String(o.op).padStart(3)}  ${o.name.padEnd(12)} ${o.privileged ? 'yes (CPL 0)' : 'no'}\n`);
    return { data: list };
  },
};

const banner: Command = {
  name: 'banner', usage: 'banner', summary: 'the VMM\'s banner (op HELLO)',
  run(sh) {
    const text = decodeText(ask(sh, Op.HELLO, undefined, 'HELLO'));
    sh.print(text);
    return { data: { text } };
  },
};

export const COMMANDS: readonly Command[] = [
  hello, version, infoCommand, regs, exits, log, translate, protect, unprotect, protectedCommand, stats, loglevel, ping, ops, banner,
];

/** The x/FMT and xp/FMT commands (their name carries the format). */
export function dumpCommand(name: string): Command | undefined {
  const match = /^(xp?)(?:\/(.*))?$/.exec(name);
  if (!match) return undefined;
  const virtual = match[1] === 'x';
  return {
    name: match[1]!,
    usage: `${match[1]}/FMT ADDR`,
    summary: virtual ? 'dump guest-virtual memory (QEMU monitor syntax)' : 'dump guest-physical memory (root)',
    run: (sh, args) => dump(sh, args, match[2] ?? '', virtual),
  };
}

