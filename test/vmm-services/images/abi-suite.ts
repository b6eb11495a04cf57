/**
 * A guest that exercises ABI v1 through registers and its own memory only, and reports what it saw
 * as JSON lines on COM2; the test checks them against the spec. Paging is off for most scenarios
 * (guest-virtual = guest-physical); the cross-page and CPL-3 ones build page tables.
 */
import { gva } from '../../../vmm/hw/address.js';
import { type GuestCpu, Reg } from '../../../vmm/hw/guest-cpu.js';
import {
  ALL_VCPUS, CallFlag, LOG_LEVEL_QUERY, LogLevel, Op, RequestFlag, Service,
  decodeExitStats, decodeLogLevelResult, decodeProtected, decodeRegs, decodeResponse, decodeSharedPage, decodeTranslation,
  encodeAddressArgs, encodeLogLevelArgs, encodeLogReadArgs, encodeMemReadArgs, encodeRangeArgs, encodeRequest, encodeText,
  encodeVcpuArgs, type RequestEntryInput,
} from '../../../shell-protocol/index.js';
import { goldenVectors } from '../../../shell-protocol/vectors.js';

const REQUEST = 0x100000;
const RESPONSE = 0x200000;
const RESPONSE_CAPACITY = 0x20000;
const SHARED_PAGE = 0x300000;
const PROTECTED_PAGE = 0x310000;
const TABLES = 0x400000;
const USER_VA = 0x10000000n;

function report(cpu: GuestCpu, record: object): void {
  const line = `${JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
  for (const byte of new TextEncoder().encode(line)) cpu.out8(0x2f8, byte);
}

interface CallOutcome {
  status: number;
  bytes: number;
  completed: number;
}

function vmcall(cpu: GuestCpu, rax: number, rbx = 0n, rcx = 0n, rdx = 0n, rsi = 0n, rdi = 0n): CallOutcome {
  cpu.set(Reg.RAX, BigInt(rax));
  cpu.set(Reg.RBX, rbx);
  cpu.set(Reg.RCX, rcx);
  cpu.set(Reg.RDX, rdx);
  cpu.set(Reg.RSI, rsi);
  cpu.set(Reg.RDI, rdi);
  cpu.vmcall();
  return { status: Number(BigInt.asIntN(64, cpu.get(Reg.RAX))), bytes: Number(cpu.get(Reg.RBX)), completed: Number(cpu.get(Reg.RCX)) };
}

function call(cpu: GuestCpu, request: Uint8Array, options: { capacity?: number; flags?: bigint; requestAt?: bigint; responseAt?: bigint } = {}) {
  const requestAt = options.requestAt ?? BigInt(REQUEST);
  const responseAt = options.responseAt ?? BigInt(RESPONSE);
  cpu.writeBytes(gva(requestAt), request);
  const outcome = vmcall(cpu, Service.CALL, requestAt, BigInt(request.length), responseAt, BigInt(options.capacity ?? RESPONSE_CAPACITY), options.flags ?? 0n);
  const bytes = new Uint8Array(outcome.bytes);
  if (outcome.bytes > 0) cpu.readBytes(gva(responseAt), bytes);
  const decoded = decodeResponse(bytes);
  return { ...outcome, entries: decoded.ok ? decoded.value.entries : [] };
}

function one(cpu: GuestCpu, op: number, args?: Uint8Array) {
  const result = call(cpu, encodeRequest([args ? { op, args } : { op }]));
  return result.entries[0];
}

const EVERY_OP: RequestEntryInput[] = [
  { op: Op.HELLO }, { op: Op.OPS }, { op: Op.VM_INFO }, { op: Op.VCPU_REGS, args: encodeVcpuArgs(0) },
  { op: Op.EXIT_STATS, args: encodeVcpuArgs(ALL_VCPUS) }, { op: Op.LOG_READ, args: encodeLogReadArgs({ cursor: 0n, maxRecords: 4 }) },
  { op: Op.TRANSLATE, args: encodeAddressArgs(0x1000n) }, { op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: 0x1000n, length: 16 }) },
  { op: Op.PROTECTED }, { op: Op.LOG_LEVEL, args: encodeLogLevelArgs(LOG_LEVEL_QUERY) }, { op: Op.ECHO, args: encodeText('ymir') },
];

function scenarios(cpu: GuestCpu): void {
  const probe = vmcall(cpu, Service.PROBE);
  report(cpu, { name: 'probe', status: probe.status, magic: cpu.get(Reg.RBX), version: cpu.get(Reg.RCX), features: cpu.get(Reg.RDX), max: cpu.get(Reg.RSI) });

  const every = call(cpu, encodeRequest(EVERY_OP));
  report(cpu, { name: 'every-op', status: every.status, completed: every.completed, entries: every.entries.map((e) => ({ op: e.op, status: e.status, length: e.data.length })) });
  report(cpu, { name: 'echo', text: new TextDecoder().decode(every.entries[10]?.data) });
  report(cpu, { name: 'mem-read', bytes: Array.from(every.entries[7]?.data ?? []) });

  const unknown = call(cpu, encodeRequest([{ op: 99 }, { op: Op.VCPU_REGS, args: encodeVcpuArgs(7) }, { op: Op.ECHO, args: new Uint8Array(5000) }, { op: Op.ECHO }]));
  report(cpu, { name: 'entry-errors', status: unknown.status, statuses: unknown.entries.map((e) => e.status) });

  const stop = call(cpu, encodeRequest([{ op: Op.ECHO }, { op: 99 }, { op: Op.ECHO }], RequestFlag.STOP_ON_ERROR));
  report(cpu, { name: 'stop-on-error', status: stop.status, completed: stop.completed, statuses: stop.entries.map((e) => e.status) });

  const partial = call(cpu, encodeRequest([{ op: Op.ECHO, args: encodeText('12345678') }, { op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: 0n, length: 4096 }) }, { op: Op.ECHO }]), { capacity: 80 });
  report(cpu, { name: 'partial', status: partial.status, bytes: partial.bytes, completed: partial.completed, entries: partial.entries.map((e) => [e.op, e.status, e.data.length, e.neededLength]) });

  for (const v of goldenVectors().filter((g) => g.kind === 'request' && g.file.startsWith('bad-'))) {
    cpu.writeBytes(gva(REQUEST), v.bytes);
    const outcome = vmcall(cpu, Service.CALL, BigInt(REQUEST), BigInt(v.bytes.length), BigInt(RESPONSE), BigInt(RESPONSE_CAPACITY));
    report(cpu, { name: 'malformed', file: v.file, expected: v.status, status: outcome.status, bytes: outcome.bytes });
  }

  const echo = encodeRequest([{ op: Op.ECHO }]);
  report(cpu, { name: 'misaligned', status: call(cpu, echo, { responseAt: BigInt(RESPONSE + 4) }).status });
  report(cpu, { name: 'overlap', status: call(cpu, echo, { responseAt: BigInt(REQUEST + 8) }).status });
  report(cpu, { name: 'outside-memory', status: call(cpu, echo, { responseAt: BigInt(63 * 2 ** 20 + 0xff000), capacity: 0x2000 }).status });
  report(cpu, { name: 'tiny-capacity', status: call(cpu, echo, { capacity: 16 }).status });
  report(cpu, { name: 'reserved-call-flags', status: call(cpu, echo, { flags: 0x10n }).status });
  report(cpu, { name: 'unknown-service', status: vmcall(cpu, 77).status });

  // Write protection: a write into a protected page is refused and counted.
  cpu.write32(gva(PROTECTED_PAGE), 0x11111111);
  const protect = one(cpu, Op.PROTECT, encodeRangeArgs({ gpa: BigInt(PROTECTED_PAGE), length: 0x1000n }));
  cpu.write32(gva(PROTECTED_PAGE), 0x22222222);
  const afterWrite = cpu.read32(gva(PROTECTED_PAGE));
  const overlapping = one(cpu, Op.PROTECT, encodeRangeArgs({ gpa: BigInt(PROTECTED_PAGE), length: 0x2000n }));
  const listed = decodeProtected(one(cpu, Op.PROTECTED)!.data);
  const intoProtected = call(cpu, echo, { responseAt: BigInt(PROTECTED_PAGE), capacity: 0x100 }).status;
  const unprotect = one(cpu, Op.UNPROTECT, encodeRangeArgs({ gpa: BigInt(PROTECTED_PAGE), length: 0x1000n }));
  cpu.write32(gva(PROTECTED_PAGE), 0x33333333);
  const unaligned = one(cpu, Op.PROTECT, encodeRangeArgs({ gpa: BigInt(PROTECTED_PAGE + 1), length: 0x1000n }));
  const notProtected = one(cpu, Op.UNPROTECT, encodeRangeArgs({ gpa: BigInt(PROTECTED_PAGE), length: 0x1000n }));
  report(cpu, {
    name: 'protect', protect: protect?.status, afterWrite, overlapping: overlapping?.status, listed: listed.ok ? listed.value : [],
    intoProtected, unprotect: unprotect?.status, afterUnprotect: cpu.read32(gva(PROTECTED_PAGE)), unaligned: unaligned?.status, notProtected: notProtected?.status,
  });

  // The shared counter page follows the counters.
  const map = vmcall(cpu, Service.MAP_SHARED, BigInt(SHARED_PAGE));
  const page = new Uint8Array(4096);
  cpu.readBytes(gva(SHARED_PAGE), page);
  const before = decodeSharedPage(page);
  for (let i = 0; i < 10; i++) cpu.cpuid(0);
  cpu.readBytes(gva(SHARED_PAGE), page);
  const after = decodeSharedPage(page);
  const stats = decodeExitStats(one(cpu, Op.EXIT_STATS, encodeVcpuArgs(0))!.data);
  report(cpu, {
    name: 'shared-page', map: map.status, ok: before.ok && after.ok,
    cpuidBefore: before.ok ? before.value.counts[0]![10] : -1, cpuidAfter: after.ok ? after.value.counts[0]![10] : -1,
    cpuidStats: stats.ok ? stats.value.counts.find((c) => c.reason === 10)?.count : -1, misaligned: vmcall(cpu, Service.MAP_SHARED, BigInt(SHARED_PAGE + 8)).status,
  });

  const level = decodeLogLevelResult(one(cpu, Op.LOG_LEVEL, encodeLogLevelArgs(LogLevel.WARN))!.data);
  const badLevel = one(cpu, Op.LOG_LEVEL, encodeLogLevelArgs(9))?.status;
  one(cpu, Op.LOG_LEVEL, encodeLogLevelArgs(LogLevel.INFO));
  one(cpu, Op.STATS_RESET, encodeVcpuArgs(ALL_VCPUS));
  const reset = decodeExitStats(one(cpu, Op.EXIT_STATS, encodeVcpuArgs(0))!.data);
  report(cpu, { name: 'level-and-reset', level: level.ok ? level.value : undefined, badLevel, totalAfterReset: reset.ok ? reset.value.total : -1n });

  const regs = decodeRegs(one(cpu, Op.VCPU_REGS, encodeVcpuArgs(0))!.data);
  report(cpu, { name: 'regs', ok: regs.ok, state: regs.ok ? regs.value.state : -1, lastExit: regs.ok ? regs.value.lastExitReason : -1, cr3: regs.ok ? regs.value.cr3 : 0n, cpl: regs.ok ? regs.value.cpl : -1 });

  pagedScenarios(cpu);
}

/** Page tables: VA USER_VA -> PA 0x500000 and USER_VA + 0x1000 -> PA 0x700000 (not contiguous), both user; USER_VA + 0x2000 not present; a supervisor page at USER_VA + 0x3000. */
function pagedScenarios(cpu: GuestCpu): void {
  const pml4 = TABLES, pdpt = TABLES + 0x1000, pd = TABLES + 0x2000, pt = TABLES + 0x3000;
  cpu.writeBytes(gva(TABLES), new Uint8Array(0x4000));
  const P = 1n, W = 2n, U = 4n, PS = 0x80n;
  cpu.write64(gva(pml4), BigInt(pdpt) | P | W | U);
  cpu.write64(gva(pdpt), BigInt(pd) | P | W | U);
  cpu.write64(gva(pd), PS | P | W); // identity for the first 2 MiB (kernel only), so the low scenarios' pages stay reachable
  for (let i = 1; i < 32; i++) cpu.write64(gva(pd + i * 8), (BigInt(i) << 21n) | PS | P | W);
  const userPd = Number((USER_VA >> 21n) & 0x1ffn);
  cpu.write64(gva(pd + userPd * 8), BigInt(pt) | P | W | U);
  cpu.write64(gva(pt + 0), 0x500000n | P | W | U);
  cpu.write64(gva(pt + 8), 0x700000n | P | W | U);
  cpu.write64(gva(pt + 24), 0x600000n | P | W);
  cpu.writeCr(3, BigInt(pml4));
  cpu.writeCr(4, cpu.readCr(4) | (1n << 5n));
  cpu.wrmsr(0xc0000080, cpu.rdmsr(0xc0000080) | (1n << 8n));
  cpu.writeCr(0, cpu.readCr(0) | (1n << 31n));

  // A request and a response that each straddle two non-contiguous physical pages.
  const text = 'cross-page '.repeat(40);
  const request = encodeRequest([{ op: Op.ECHO, args: encodeText(text) }, { op: Op.TRANSLATE, args: encodeAddressArgs(USER_VA + 0x1000n) }]);
  const crossRequest = call(cpu, request, { requestAt: USER_VA + 0x1000n - 200n, responseAt: USER_VA + 0x1200n, capacity: 0xe00 });
  const crossResponse = call(cpu, request, { requestAt: USER_VA, responseAt: USER_VA + 0xc00n, capacity: 0x800 });
  const translation = crossResponse.entries[1] ? decodeTranslation(crossResponse.entries[1].data) : undefined;
  report(cpu, {
    name: 'cross-page', requestStatus: crossRequest.status, responseStatus: crossResponse.status,
    echoed: [crossRequest, crossResponse].every((c) => new TextDecoder().decode(c.entries[0]?.data) === text),
    gpa: translation?.ok ? translation.value.gpa : 0n,
  });

  // A response range reaching a page that is not present: EFAULT and nothing written.
  cpu.write64(gva(USER_VA + 0x1800n), 0x5a5a5a5a5a5a5a5an);
  const notPresent = call(cpu, encodeRequest([{ op: Op.ECHO }]), { requestAt: USER_VA, responseAt: USER_VA + 0x1800n, capacity: 0x1000 });
  report(cpu, { name: 'not-present', status: notPresent.status, untouched: cpu.read64(gva(USER_VA + 0x1800n)) === 0x5a5a5a5a5a5a5a5an });

  // Physical addressing with the flag.
  const physical = call(cpu, encodeRequest([{ op: Op.ECHO, args: encodeText('phys') }]), { requestAt: 0x500000n, responseAt: 0x700000n, flags: BigInt(CallFlag.PHYSICAL) });
  report(cpu, { name: 'physical', status: physical.status });

  // CPL 3: privileged ops answer EPERM, supervisor pages are EFAULT.
  cpu.lidt(new Map([[0x20, () => cpu.wrmsr(0x80b, 0n)]]));
  cpu.enterUser(() => {
    const user = call(cpu, encodeRequest([{ op: Op.PROTECT, args: encodeRangeArgs({ gpa: 0x600000n, length: 0x1000n }) }, { op: Op.ECHO, args: encodeText('user') }, { op: Op.STATS_RESET, args: encodeVcpuArgs(0) }, { op: Op.MEM_READ, args: encodeMemReadArgs({ gpa: 0n, length: 8 }) }, { op: Op.LOG_LEVEL, args: encodeLogLevelArgs(LOG_LEVEL_QUERY) }]), { requestAt: USER_VA, responseAt: USER_VA + 0x1000n, capacity: 0x1000 });
    const mapShared = vmcall(cpu, Service.MAP_SHARED, 0x600000n).status;
    const supervisor = call(cpu, encodeRequest([{ op: Op.ECHO }]), { requestAt: USER_VA, responseAt: USER_VA + 0x3000n, capacity: 0x100 }).status;
    report(cpu, { name: 'cpl3', status: user.status, statuses: user.entries.map((e) => e.status), mapShared, supervisor });
  });
}

export function boot(cpu: GuestCpu): void {
  scenarios(cpu);
  report(cpu, { name: 'done' });
  cpu.out8(0xf4, 0);
}

export function startAp(cpu: GuestCpu): void {
  cpu.sti();
  for (;;) cpu.hlt();
}

