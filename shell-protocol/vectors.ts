/**
 * Golden vectors: request and response bytes for every op, malformed requests and responses, and
 * the MAP_SHARED page, each with the status it must produce. The TypeScript tests and the C check (shell-protocol/c/vectors_check.c) read the same
 * committed files, which is how a guest or VMM in another language proves byte compatibility.
 * `npx tsx scripts/gen-vectors.ts` rewrites shell-protocol/vectors/.
 */
import {
  ALL_VCPUS, BtStop, DisStop, DisSyntax, LogLevel, MAX_BT_FRAMES, MAX_DIS_INSTRUCTIONS, MAX_ECHO_BYTES, MAX_ENTRIES, MAX_LOG_RECORDS, MAX_MEM_READ_BYTES, MAX_MESSAGE_SIZE, Op,
  type OpName, PageFlag, RequestFlag, Status, VcpuState,
} from './constants.js';
import { encodeRequest, ResponseWriter, viewOf } from './codec.js';
import { EXIT_REASON_COUNT, ExitReason } from './exit-reasons.js';
import {
  SHARED_PAGE_MAX_VCPUS, encodeAddressArgs, encodeBt, encodeBtArgs, encodeDis, encodeDisArgs, encodeExitStats, encodeLogLevelArgs, encodeLogLevelResult, encodeLogRead,
  encodeLogReadArgs, encodeMemReadArgs, encodeOps, encodeProtected, encodeRangeArgs, encodeRegs, encodeSharedPage,
  encodeText, encodeTranslation, encodeVcpuArgs, encodeVmInfo, exitStatsSize, opsSize,
} from './ops.js';
import {
  DisHeader, DisInsn, LogReadHeader, LogRecordHeader, OpsHeader, RegisterSnapshot, RequestEntry, RequestHeader, ResponseEntry,
  ResponseHeader, SharedPageHeader, VcpuArgs,
} from './structs.js';

export interface GoldenVector {
  readonly file: string;
  readonly kind: 'request' | 'response' | 'shared-page';
  /** The status decoding the whole message must give (0: valid). */
  readonly status: number;
  /** Entries a valid message holds (mirrored vCPUs for a shared page). */
  readonly count: number;
  /** Op of the first entry (0 when none). */
  readonly firstOp: number;
  /**
   * Status of the first entry that fails its checks (0 when none does): for a request what the
   * entry's arguments earn (checkArgs); for a response the entry's own status, or when that is 0
   * whether its data is a valid result of its op (checkResult).
   */
  readonly firstError: number;
  readonly bytes: Uint8Array;
}

const ARGS: Record<OpName, Uint8Array | undefined> = {
  HELLO: undefined,
  OPS: undefined,
  VM_INFO: undefined,
  VCPU_REGS: encodeVcpuArgs(1),
  EXIT_STATS: encodeVcpuArgs(ALL_VCPUS),
  LOG_READ: encodeLogReadArgs({ cursor: 42n, maxRecords: 16 }),
  TRANSLATE: encodeAddressArgs(0x7f0000001000n),
  MEM_READ: encodeMemReadArgs({ gpa: 0x1000n, length: 24 }),
  PROTECT: encodeRangeArgs({ gpa: 0x100000n, length: 0x2000n }),
  UNPROTECT: encodeRangeArgs({ gpa: 0x100000n, length: 0x2000n }),
  PROTECTED: undefined,
  STATS_RESET: encodeVcpuArgs(0),
  LOG_LEVEL: encodeLogLevelArgs(LogLevel.WARN),
  ECHO: encodeText('ymir'),
  DIS: encodeDisArgs({ address: 0x401000n, count: 3, syntax: DisSyntax.INTEL }),
  BT: encodeBtArgs({ vcpu: 0, maxFrames: MAX_BT_FRAMES }),
  SEAL: encodeRangeArgs({ gpa: 0x100000n, length: 0x2000n }),
};

function result(op: OpName): Uint8Array {
  switch (op) {
    case 'HELLO': return encodeText('GREETINGS FROM VMX-ROOT...\n');
    case 'OPS': {
      const bytes = new Uint8Array(opsSize(2));
      encodeOps([{ op: Op.HELLO, name: 'HELLO', privileged: false }, { op: Op.PROTECT, name: 'PROTECT', privileged: true }], bytes);
      return bytes;
    }
    case 'VM_INFO': return encodeVmInfo({ vcpuCount: 2, logLevel: LogLevel.INFO, memoryBytes: 64n << 20n, uptimeNs: 1_500_000_000n, vmmName: 'ymir-dbg 0.1.0' });
    case 'VCPU_REGS': return encodeRegs({
      vcpu: 1, state: VcpuState.HALTED, sequence: 7n, lastExitReason: ExitReason.HLT, cpl: 0,
      gprs: Array.from({ length: 16 }, (_, i) => BigInt(i) * 0x1111n), rip: 0xffffffff81000123n, rflags: 0x202n,
      cr0: 0x80050033n, cr2: 0n, cr3: 0x10000n, cr4: 0x20a0n, efer: 0xd01n, fsBase: 0n, gsBase: 0n,
      cs: 0x08, ds: 0x10, es: 0x10, fs: 0x10, gs: 0x10, ss: 0x10,
    });
    case 'EXIT_STATS': {
      const counts = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 5, 0, 0, 0, 0, 0, 2];
      const bytes = new Uint8Array(exitStatsSize(3));
      encodeExitStats(ALL_VCPUS, counts, bytes);
      return bytes;
    }
    case 'LOG_READ': return encodeLogRead({ nextCursor: 44n, lost: 1n, records: [{ sequence: 43n, timeNs: 1000n, level: LogLevel.INFO, scope: 'vmc', message: 'This OS is hypervisored by Ymir.' }] });
    case 'TRANSLATE': return encodeTranslation({ gpa: 0x2345000n, pageSize: 4096n, flags: PageFlag.PRESENT | PageFlag.WRITABLE | PageFlag.USER });
    case 'MEM_READ': return Uint8Array.from({ length: 24 }, (_, i) => i);
    case 'PROTECTED': return encodeProtected([{ gpa: 0x100000n, length: 0x2000n, violations: 3n, sealed: false }, { gpa: 0x200000n, length: 0x1000n, violations: 0n, sealed: true }]);
    case 'LOG_LEVEL': return encodeLogLevelResult(LogLevel.INFO, LogLevel.WARN);
    case 'ECHO': return encodeText('ymir');
    // The seed's ymirsh: mov rax, 0; vmcall; then a ret.
    case 'DIS': return encodeDis({ nextAddress: 0x40100bn, stop: DisStop.COUNT, instructions: [
      { address: 0x401000n, bytes: Uint8Array.of(0x48, 0xc7, 0xc0, 0, 0, 0, 0), invalid: false, text: 'mov rax, 0' },
      { address: 0x401007n, bytes: Uint8Array.of(0x0f, 0x01, 0xc1), invalid: false, text: 'vmcall' },
      { address: 0x40100an, bytes: Uint8Array.of(0xc3), invalid: false, text: 'ret' },
    ] });
    case 'BT': return encodeBt({ vcpu: 0, stop: BtStop.ZERO_FRAME, sequence: 9n, frames: [
      { address: 0x401007n, frame: 0x7ffffff0e0n }, { address: 0x401234n, frame: 0x7ffffff0e0n }, { address: 0x401050n, frame: 0x7ffffff100n },
    ] });
    case 'PROTECT':
    case 'SEAL':
    case 'UNPROTECT':
    case 'STATS_RESET': return new Uint8Array(0);
  }
}

interface Answer {
  readonly op: number;
  readonly status: number;
  readonly data: Uint8Array;
}

function response(answers: readonly Answer[], capacity = 4096): Uint8Array {
  const buffer = new Uint8Array(capacity);
  const writer = new ResponseWriter(buffer);
  for (const a of answers) {
    const fits = a.status === Status.OK ? writer.data(a.op, a.data) : writer.status(a.op, a.status);
    if (!fits) break;
  }
  return buffer.slice(0, writer.finish());
}

/** A copy of `bytes` that `mutate` damages (or replaces, by returning new bytes). */
function damaged(bytes: Uint8Array, mutate: (bytes: Uint8Array, view: DataView) => Uint8Array | void): Uint8Array {
  const copy = bytes.slice();
  return mutate(copy, viewOf(copy)) ?? copy;
}

/** The same bytes with `extra` zero bytes appended and the u32 length field at `lengthAt` grown to match. */
function lengthened(bytes: Uint8Array, extra: number, lengthAt: number): Uint8Array {
  const longer = new Uint8Array(bytes.length + extra);
  longer.set(bytes);
  viewOf(longer).setUint32(lengthAt, longer.length, true);
  return longer;
}

const ENTRY = RequestHeader.size;
const ANSWER = ResponseHeader.size;

export function goldenVectors(): GoldenVector[] {
  const vectors: GoldenVector[] = [];
  const add = (file: string, kind: GoldenVector['kind'], status: number, count: number, firstOp: number, firstError: number, bytes: Uint8Array): void => {
    vectors.push({ file: `${file}.bin`, kind, status, count, firstOp, firstError, bytes });
  };

  // Every op: a valid request and a valid answer.
  const ops = Object.entries(Op) as [OpName, Op][];
  for (const [name, op] of ops) {
    const args = ARGS[name];
    add(`request-${name.toLowerCase()}`, 'request', 0, 1, op, 0, encodeRequest([args ? { op, args } : { op }]));
    add(`response-${name.toLowerCase()}`, 'response', 0, 1, op, 0, response([{ op, status: Status.OK, data: result(name) }]));
  }
  const all = ops.map(([name, op]) => (ARGS[name] ? { op, args: ARGS[name]! } : { op }));
  add('request-every-op', 'request', 0, all.length, Op.HELLO, 0, encodeRequest(all, RequestFlag.STOP_ON_ERROR));
  add('response-every-op', 'response', 0, ops.length, Op.HELLO, 0, response(ops.map(([name, op]) => ({ op, status: Status.OK, data: result(name) })), 8192));
  add('response-partial', 'response', 0, 3, Op.ECHO, Status.EPERM, response([
    { op: Op.ECHO, status: Status.OK, data: encodeText('ok') },
    { op: Op.PROTECT, status: Status.EPERM, data: new Uint8Array(0) },
    { op: Op.MEM_READ, status: Status.OK, data: new Uint8Array(200) },
  ], 96));

  // Requests the VMM refuses as a whole (spec 3.3, steps 6 to 10).
  const echo = encodeRequest([{ op: Op.ECHO, args: encodeText('hello') }]);
  const badRequest = (file: string, status: number, bytes: Uint8Array): void => add(`bad-${file}`, 'request', status, 0, 0, 0, bytes);
  badRequest('short', Status.EINVAL, echo.slice(0, RequestHeader.size - 4));
  badRequest('magic', Status.EPROTO, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.magic, 0x12345678, true)));
  badRequest('major', Status.EPROTO, damaged(echo, (_, v) => v.setUint16(RequestHeader.offset.version_major, 2, true)));
  badRequest('oversize', Status.E2BIG, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.total_length, MAX_MESSAGE_SIZE + 8, true)));
  badRequest('length-mismatch', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.total_length, v.byteLength + 8, true)));
  badRequest('reserved-flags', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.flags, 0x80, true)));
  badRequest('reserved0', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.reserved0, 1, true)));
  badRequest('too-many-entries', Status.E2BIG, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.entry_count, MAX_ENTRIES + 1, true)));
  badRequest('missing-entry', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.entry_count, 2, true)));
  badRequest('arg-overrun', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(ENTRY + RequestEntry.offset.arg_length, 64, true)));
  badRequest('arg-length-huge', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(ENTRY + RequestEntry.offset.arg_length, 0xfffffffd, true)));
  badRequest('entry-flags', Status.EINVAL, damaged(echo, (_, v) => v.setUint16(ENTRY + RequestEntry.offset.flags, 1, true)));
  badRequest('padding', Status.EINVAL, damaged(echo, (bytes) => { bytes[ENTRY + RequestEntry.size + 6] = 0xff; }));
  badRequest('unpadded', Status.EINVAL, damaged(echo, (bytes, v) => {
    // The last entry's padding left out: a length that is not a multiple of 8.
    v.setUint32(RequestHeader.offset.total_length, bytes.length - 3, true);
    return bytes.slice(0, bytes.length - 3);
  }));
  badRequest('trailing-bytes', Status.EINVAL, lengthened(echo, 8, RequestHeader.offset.total_length));

  // Requests that decode, whose first entry the VMM answers with an error (spec 3.4 and 4).
  const entry = (file: string, firstError: number, op: number, args: Uint8Array | undefined): void =>
    add(`entry-${file}`, 'request', 0, 1, op, firstError, encodeRequest([args ? { op, args } : { op }]));
  const vcpuArgs = encodeVcpuArgs(0);
  entry('unknown-op', Status.ENOSYS, 99, undefined);
  entry('hello-with-args', Status.EINVAL, Op.HELLO, new Uint8Array(8));
  entry('vcpu-args-short', Status.EINVAL, Op.VCPU_REGS, vcpuArgs.subarray(0, 4));
  entry('vcpu-args-reserved', Status.EINVAL, Op.EXIT_STATS, damaged(vcpuArgs, (_, v) => v.setUint32(VcpuArgs.offset.reserved0, 1, true)));
  entry('vcpu-regs-all', Status.EINVAL, Op.VCPU_REGS, encodeVcpuArgs(ALL_VCPUS));
  entry('log-read-zero', Status.EINVAL, Op.LOG_READ, encodeLogReadArgs({ cursor: 0n, maxRecords: 0 }));
  entry('log-read-too-many', Status.EINVAL, Op.LOG_READ, encodeLogReadArgs({ cursor: 0n, maxRecords: MAX_LOG_RECORDS + 1 }));
  entry('mem-read-empty', Status.EINVAL, Op.MEM_READ, encodeMemReadArgs({ gpa: 0x1000n, length: 0 }));
  entry('mem-read-too-long', Status.E2BIG, Op.MEM_READ, encodeMemReadArgs({ gpa: 0x1000n, length: MAX_MEM_READ_BYTES + 1 }));
  entry('protect-unaligned', Status.EINVAL, Op.PROTECT, encodeRangeArgs({ gpa: 0x100800n, length: 0x1000n }));
  entry('protect-empty', Status.EINVAL, Op.PROTECT, encodeRangeArgs({ gpa: 0x100000n, length: 0n }));
  entry('unprotect-wraps', Status.EINVAL, Op.UNPROTECT, encodeRangeArgs({ gpa: 0xfffffffffffff000n, length: 0x2000n }));
  entry('log-level-unknown', Status.EINVAL, Op.LOG_LEVEL, encodeLogLevelArgs(9));
  entry('echo-too-long', Status.E2BIG, Op.ECHO, new Uint8Array(MAX_ECHO_BYTES + 1));
  entry('dis-zero', Status.EINVAL, Op.DIS, encodeDisArgs({ address: 0x401000n, count: 0, syntax: DisSyntax.INTEL }));
  entry('dis-too-many', Status.E2BIG, Op.DIS, encodeDisArgs({ address: 0x401000n, count: MAX_DIS_INSTRUCTIONS + 1, syntax: DisSyntax.INTEL }));
  entry('dis-syntax', Status.EINVAL, Op.DIS, encodeDisArgs({ address: 0x401000n, count: 1, syntax: 7 as DisSyntax }));
  entry('bt-zero', Status.EINVAL, Op.BT, encodeBtArgs({ vcpu: 0, maxFrames: 0 }));
  entry('bt-too-many', Status.E2BIG, Op.BT, encodeBtArgs({ vcpu: 0, maxFrames: MAX_BT_FRAMES + 1 }));
  entry('bt-all', Status.EINVAL, Op.BT, encodeBtArgs({ vcpu: ALL_VCPUS, maxFrames: 4 }));
  entry('seal-unaligned', Status.EINVAL, Op.SEAL, encodeRangeArgs({ gpa: 0x100000n, length: 0x800n }));

  // Responses a guest must refuse as a whole.
  const answer = response([{ op: Op.ECHO, status: Status.OK, data: encodeText('hello') }]);
  const badResponse = (file: string, bytes: Uint8Array): void => add(`bad-response-${file}`, 'response', Status.EPROTO, 0, 0, 0, bytes);
  badResponse('short', answer.slice(0, ResponseHeader.size - 8));
  badResponse('magic', damaged(answer, (_, v) => v.setUint32(ResponseHeader.offset.magic, RequestHeader.size, true)));
  badResponse('major', damaged(answer, (_, v) => v.setUint16(ResponseHeader.offset.version_major, 0, true)));
  badResponse('total-past-end', damaged(answer, (_, v) => v.setUint32(ResponseHeader.offset.total_length, v.byteLength + 8, true)));
  badResponse('too-many-entries', damaged(answer, (_, v) => v.setUint32(ResponseHeader.offset.entry_count, MAX_ENTRIES + 1, true)));
  badResponse('data-overrun', damaged(answer, (_, v) => v.setUint32(ANSWER + ResponseEntry.offset.data_length, 64, true)));
  badResponse('needed-below-data', damaged(answer, (_, v) => v.setUint32(ANSWER + ResponseEntry.offset.needed_length, 1, true)));
  badResponse('trailing-bytes', lengthened(answer, 8, ResponseHeader.offset.total_length));

  // Responses whose envelope is valid but whose first entry is an error or a malformed result.
  const answered = (file: string, firstError: number, a: Answer): void => add(`entry-response-${file}`, 'response', 0, 1, a.op, firstError, response([a]));
  answered('eperm', Status.EPERM, { op: Op.PROTECT, status: Status.EPERM, data: new Uint8Array(0) });
  add('entry-response-enospc', 'response', 0, 1, Op.MEM_READ, Status.ENOSPC, response([{ op: Op.MEM_READ, status: Status.OK, data: new Uint8Array(100) }], 64));
  answered('vm-info-short', Status.EPROTO, { op: Op.VM_INFO, status: Status.OK, data: result('VM_INFO').subarray(0, 16) });
  answered('regs-bad-state', Status.EPROTO, { op: Op.VCPU_REGS, status: Status.OK, data: damaged(result('VCPU_REGS'), (_, v) => v.setUint32(RegisterSnapshot.offset.state, 9, true)) });
  answered('ops-count-overrun', Status.EPROTO, { op: Op.OPS, status: Status.OK, data: damaged(result('OPS'), (_, v) => v.setUint32(OpsHeader.offset.count, 5, true)) });
  answered('log-text-overrun', Status.EPROTO, { op: Op.LOG_READ, status: Status.OK, data: damaged(result('LOG_READ'), (_, v) => v.setUint16(LogReadHeader.size + LogRecordHeader.offset.message_length, 500, true)) });
  answered('protect-with-data', Status.EPROTO, { op: Op.PROTECT, status: Status.OK, data: new Uint8Array(8) });
  answered('dis-text-overrun', Status.EPROTO, { op: Op.DIS, status: Status.OK, data: damaged(result('DIS'), (_, v) => v.setUint16(DisHeader.size + DisInsn.offset.text_length, 300, true)) });
  answered('dis-long-insn', Status.EPROTO, { op: Op.DIS, status: Status.OK, data: damaged(result('DIS'), (_, v) => v.setUint8(DisHeader.size + DisInsn.offset.length, 16)) });
  answered('bt-count-overrun', Status.EPROTO, { op: Op.BT, status: Status.OK, data: result('BT').subarray(0, result('BT').length - 8) });
  answered('seal-with-data', Status.EPROTO, { op: Op.SEAL, status: Status.OK, data: new Uint8Array(8) });
  answered('unknown-op', Status.ENOSYS, { op: 99, status: Status.OK, data: new Uint8Array(0) });

  // The MAP_SHARED page.
  const page = encodeSharedPage(SHARED_PAGE);
  add('shared-page', 'shared-page', 0, SHARED_PAGE.counts.length, 0, 0, page);
  add('bad-shared-magic', 'shared-page', Status.EPROTO, 0, 0, 0, damaged(page, (_, v) => v.setUint32(SharedPageHeader.offset.magic, 0, true)));
  add('bad-shared-vcpus', 'shared-page', Status.EPROTO, 0, 0, 0, damaged(page, (_, v) => v.setUint32(SharedPageHeader.offset.vcpu_count, SHARED_PAGE_MAX_VCPUS + 1, true)));
  add('bad-shared-reasons', 'shared-page', Status.EPROTO, 0, 0, 0, damaged(page, (_, v) => v.setUint32(SharedPageHeader.offset.reason_count, EXIT_REASON_COUNT - 1, true)));
  return vectors;
}

/** Two vCPUs: vCPU 0 has run CPUID, HLT and VMCALL exits, vCPU 1 only HLT. */
const SHARED_PAGE = {
  sequence: 1n,
  totalVcpus: 2,
  counts: [
    Array.from({ length: EXIT_REASON_COUNT }, (_, r) => (r === ExitReason.CPUID ? 3n : r === ExitReason.HLT ? 5n : r === ExitReason.VMCALL ? 2n : 0n)),
    Array.from({ length: EXIT_REASON_COUNT }, (_, r) => (r === ExitReason.HLT ? 7n : 0n)),
  ],
  totals: [10n, 7n],
};

/** The manifest the C check reads: `file kind status count first_op first_error` per line. */
export function renderManifest(vectors: readonly GoldenVector[]): string {
  return `${vectors.map((v) => `${v.file} ${v.kind} ${v.status} ${v.count} ${v.firstOp} ${v.firstError}`).join('\n')}\n`;
}
