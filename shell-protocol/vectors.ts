/**
 * Golden vectors: request and response bytes for every op, and malformed requests with the status
 * each must produce. The TypeScript tests and the C check (shell-protocol/c/vectors_check.c) read the same
 * committed files, which is how a guest or VMM in another language proves byte compatibility.
 * `npx tsx scripts/gen-vectors.ts` rewrites shell-protocol/vectors/.
 */
import { ALL_VCPUS, LogLevel, MAX_ENTRIES, MAX_MESSAGE_SIZE, Op, type OpName, PageFlag, Status, VcpuState } from './constants.js';
import { encodeRequest, ResponseWriter, type RequestEntryInput, viewOf } from './codec.js';
import {
  encodeAddressArgs, encodeExitStats, encodeLogLevelArgs, encodeLogLevelResult, encodeLogRead, encodeLogReadArgs,
  encodeMemReadArgs, encodeOps, encodeProtected, encodeRangeArgs, encodeRegs, encodeText, encodeTranslation,
  encodeVcpuArgs, encodeVmInfo, exitStatsSize, opsSize,
} from './ops.js';
import { RequestHeader, RequestEntry } from './structs.js';
import { ExitReason } from './exit-reasons.js';

export interface GoldenVector {
  readonly file: string;
  readonly kind: 'request' | 'response';
  /** The status decoding must give (0: valid). */
  readonly status: number;
  /** Entries a valid message holds. */
  readonly entries: number;
  /** Op of the first entry (0 when none). */
  readonly firstOp: number;
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
    case 'PROTECTED': return encodeProtected([{ gpa: 0x100000n, length: 0x2000n, violations: 3n }]);
    case 'LOG_LEVEL': return encodeLogLevelResult(LogLevel.INFO, LogLevel.WARN);
    case 'ECHO': return encodeText('ymir');
    case 'PROTECT':
    case 'UNPROTECT':
    case 'STATS_RESET': return new Uint8Array(0);
  }
}

function response(answers: readonly { op: number; status: number; data: Uint8Array }[], capacity = 4096): Uint8Array {
  const buffer = new Uint8Array(capacity);
  const writer = new ResponseWriter(buffer);
  for (const a of answers) {
    const fits = a.status === Status.OK ? writer.data(a.op, a.data) : writer.status(a.op, a.status);
    if (!fits) break;
  }
  return buffer.slice(0, writer.finish());
}

/** A valid request of `entries` that `mutate` then damages. */
function damaged(entries: readonly RequestEntryInput[], mutate: (bytes: Uint8Array, view: DataView) => Uint8Array | void): Uint8Array {
  const bytes = encodeRequest(entries).slice();
  return mutate(bytes, viewOf(bytes)) ?? bytes;
}

export function goldenVectors(): GoldenVector[] {
  const vectors: GoldenVector[] = [];
  const ops = Object.entries(Op) as [OpName, Op][];
  for (const [name, op] of ops) {
    const args = ARGS[name];
    vectors.push({ file: `request-${name.toLowerCase()}.bin`, kind: 'request', status: 0, entries: 1, firstOp: op, bytes: encodeRequest([args ? { op, args } : { op }]) });
    vectors.push({ file: `response-${name.toLowerCase()}.bin`, kind: 'response', status: 0, entries: 1, firstOp: op, bytes: response([{ op, status: Status.OK, data: result(name) }]) });
  }
  const all = ops.map(([name, op]) => (ARGS[name] ? { op, args: ARGS[name]! } : { op }));
  vectors.push({ file: 'request-every-op.bin', kind: 'request', status: 0, entries: all.length, firstOp: Op.HELLO, bytes: encodeRequest(all) });
  vectors.push({
    file: 'response-partial.bin', kind: 'response', status: 0, entries: 3, firstOp: Op.ECHO,
    bytes: response([{ op: Op.ECHO, status: 0, data: encodeText('ok') }, { op: Op.PROTECT, status: Status.EPERM, data: new Uint8Array(0) }, { op: Op.MEM_READ, status: 0, data: new Uint8Array(200) }], 96),
  });
  const echo = [{ op: Op.ECHO, args: encodeText('hello') }];
  const bad = (file: string, status: number, bytes: Uint8Array): void => { vectors.push({ file: `bad-${file}.bin`, kind: 'request', status, entries: 0, firstOp: 0, bytes }); };
  bad('short', Status.EINVAL, encodeRequest(echo).slice(0, RequestHeader.size - 4));
  bad('magic', Status.EPROTO, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.magic, 0x12345678, true)));
  bad('major', Status.EPROTO, damaged(echo, (_, v) => v.setUint16(RequestHeader.offset.version_major, 2, true)));
  bad('oversize', Status.E2BIG, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.total_length, MAX_MESSAGE_SIZE + 8, true)));
  bad('length-mismatch', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.total_length, v.byteLength + 8, true)));
  bad('reserved-flags', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.flags, 0x80, true)));
  bad('reserved0', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.reserved0, 1, true)));
  bad('too-many-entries', Status.E2BIG, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.entry_count, MAX_ENTRIES + 1, true)));
  bad('missing-entry', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.offset.entry_count, 2, true)));
  bad('arg-overrun', Status.EINVAL, damaged(echo, (_, v) => v.setUint32(RequestHeader.size + RequestEntry.offset.arg_length, 64, true)));
  bad('entry-flags', Status.EINVAL, damaged(echo, (_, v) => v.setUint16(RequestHeader.size + RequestEntry.offset.flags, 1, true)));
  bad('padding', Status.EINVAL, damaged(echo, (bytes) => { bytes[RequestHeader.size + RequestEntry.size + 6] = 0xff; }));
  bad('trailing-bytes', Status.EINVAL, damaged(echo, (bytes) => {
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    viewOf(longer).setUint32(RequestHeader.offset.total_length, longer.length, true);
    return longer;
  }));
  return vectors;
}

/** The manifest the C check reads: `file kind status entries first_op` per line. */
export function renderManifest(vectors: readonly GoldenVector[]): string {
  return `${vectors.map((v) => `${v.file} ${v.kind} ${v.status} ${v.entries} ${v.firstOp}`).join('\n')}\n`;
}
