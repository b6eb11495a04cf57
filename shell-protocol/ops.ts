/**
 * Per-op argument and result layouts. Each op has encoders for the side that writes and decoders
 * for the side that reads, all on byte arrays; decoders return Decoded and never throw.
 */
import { EXIT_REASON_COUNT } from './exit-reasons.js';
import {
  ABI_MAJOR, ABI_MINOR, ALL_VCPUS, BtStop, DisInsnFlag, DisStop, DisSyntax, LOG_LEVEL_QUERY, LogLevel, MAX_BT_FRAMES,
  MAX_DIS_INSTRUCTIONS, MAX_ECHO_BYTES, MAX_INSTRUCTION_BYTES, MAX_LOG_RECORDS, MAX_MEM_READ_BYTES, type OpName,
  OpInfoFlag, PAGE_SIZE, ProtectedFlag, SHARED_PAGE_MAGIC, Status, VcpuState, opKey,
} from './constants.js';
import { type Decoded, fail, ok, viewOf } from './codec.js';
import { align8, type StructLayout } from './layout.js';
import {
  AddressArgs, BtArgs, BtFrame, BtHeader, DisArgs, DisHeader, DisInsn, ExitCount, ExitStatsHeader, LogLevelArgs, LogLevelResult, LogReadArgs, LogReadHeader,
  LogRecordHeader, MemReadArgs, OpInfo, OpsHeader, ProtectedFlags, ProtectedHeader, ProtectedRange, RangeArgs,
  RegisterSnapshot, SharedPageHeader, SharedVcpuCounters, Translation, VcpuArgs, VmInfo,
} from './structs.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Bytes of a fixed-size argument struct, or EINVAL when the length or a reserved field is off. */
function fixedArgs(layout: StructLayout<string>, bytes: Uint8Array): Decoded<DataView> {
  if (bytes.length !== layout.size) return fail(Status.EINVAL, `${layout.cName} is ${layout.size} bytes, got ${bytes.length}`);
  const view = viewOf(bytes);
  for (const field of layout.fields) {
    if (field.name.startsWith('reserved') && !bytes.subarray(field.offset, field.offset + field.size).every((b) => b === 0)) {
      return fail(Status.EINVAL, `${layout.cName}.${field.name} must be zero`);
    }
  }
  return ok(view);
}

function fixedResult(layout: StructLayout<string>, bytes: Uint8Array, minimum = layout.size): Decoded<DataView> {
  if (bytes.length < minimum) return fail(Status.EPROTO, `${layout.cName} needs ${minimum} bytes, got ${bytes.length}`);
  return ok(viewOf(bytes));
}

function zeroPaddedText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8Decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function putText(bytes: Uint8Array, at: number, size: number, text: string): void {
  const encoded = utf8.encode(text).subarray(0, size);
  bytes.fill(0, at, at + size);
  bytes.set(encoded, at);
}

// --- VCPU_REGS, EXIT_STATS, STATS_RESET arguments -----------------------------------------------

export function encodeVcpuArgs(vcpu: number): Uint8Array {
  const bytes = new Uint8Array(VcpuArgs.size);
  viewOf(bytes).setUint32(VcpuArgs.offset.vcpu, vcpu >>> 0, true);
  return bytes;
}
export function decodeVcpuArgs(bytes: Uint8Array): Decoded<number> {
  const v = fixedArgs(VcpuArgs, bytes);
  return v.ok ? ok(v.value.getUint32(VcpuArgs.offset.vcpu, true)) : v;
}

// --- HELLO ---------------------------------------------------------------------------------------

export function encodeText(text: string): Uint8Array {
  return utf8.encode(text);
}
export function decodeText(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** ECHO arguments: any bytes up to MAX_ECHO_BYTES (E2BIG above). */
export function decodeEchoArgs(bytes: Uint8Array): Decoded<Uint8Array> {
  return echoArgsStatus(bytes.length) === undefined ? ok(bytes) : fail(Status.E2BIG, `ECHO of ${bytes.length} bytes exceeds ${MAX_ECHO_BYTES}`);
}

/** The status ECHO answers for `length` argument bytes, or undefined when they are echoed. */
export function echoArgsStatus(length: number): Status | undefined {
  return length > MAX_ECHO_BYTES ? Status.E2BIG : undefined;
}

// --- OPS -----------------------------------------------------------------------------------------

export interface OpInfoValue {
  readonly op: number;
  readonly name: string;
  readonly privileged: boolean;
}
export function opsSize(count: number): number {
  return OpsHeader.size + count * OpInfo.size;
}
export function encodeOps(ops: readonly OpInfoValue[], bytes: Uint8Array, at = 0): void {
  const v = viewOf(bytes);
  v.setUint32(at + OpsHeader.offset.count, ops.length, true);
  v.setUint32(at + OpsHeader.offset.reserved0, 0, true);
  ops.forEach((info, i) => {
    const o = at + OpsHeader.size + i * OpInfo.size;
    v.setUint16(o + OpInfo.offset.op, info.op, true);
    v.setUint16(o + OpInfo.offset.flags, info.privileged ? OpInfoFlag.PRIVILEGED : 0, true);
    v.setUint32(o + OpInfo.offset.reserved0, 0, true);
    putText(bytes, o + OpInfo.offset.name, 24, info.name);
  });
}
export function decodeOps(bytes: Uint8Array): Decoded<OpInfoValue[]> {
  const r = fixedResult(OpsHeader, bytes);
  if (!r.ok) return r;
  const count = r.value.getUint32(OpsHeader.offset.count, true);
  if (bytes.length < opsSize(count)) return fail(Status.EPROTO, `OPS lists ${count} ops in ${bytes.length} bytes`);
  const ops: OpInfoValue[] = [];
  for (let i = 0; i < count; i++) {
    const o = OpsHeader.size + i * OpInfo.size;
    ops.push({
      op: r.value.getUint16(o + OpInfo.offset.op, true),
      privileged: (r.value.getUint16(o + OpInfo.offset.flags, true) & OpInfoFlag.PRIVILEGED) !== 0,
      name: zeroPaddedText(bytes.subarray(o + OpInfo.offset.name, o + OpInfo.offset.name + 24)),
    });
  }
  return ok(ops);
}

// --- VM_INFO -------------------------------------------------------------------------------------

export interface VmInfoValue {
  readonly vcpuCount: number;
  readonly logLevel: number;
  readonly memoryBytes: bigint;
  readonly uptimeNs: bigint;
  readonly vmmName: string;
}
export function encodeVmInfo(info: VmInfoValue, bytes: Uint8Array = new Uint8Array(VmInfo.size), at = 0): Uint8Array {
  const v = viewOf(bytes);
  v.setUint32(at + VmInfo.offset.vcpu_count, info.vcpuCount, true);
  v.setUint32(at + VmInfo.offset.log_level, info.logLevel, true);
  v.setBigUint64(at + VmInfo.offset.memory_bytes, info.memoryBytes, true);
  v.setBigUint64(at + VmInfo.offset.uptime_ns, info.uptimeNs, true);
  putText(bytes, at + VmInfo.offset.vmm_name, 32, info.vmmName);
  return bytes;
}
export function decodeVmInfo(bytes: Uint8Array): Decoded<VmInfoValue> {
  const r = fixedResult(VmInfo, bytes);
  if (!r.ok) return r;
  const v = r.value;
  return ok({
    vcpuCount: v.getUint32(VmInfo.offset.vcpu_count, true),
    logLevel: v.getUint32(VmInfo.offset.log_level, true),
    memoryBytes: v.getBigUint64(VmInfo.offset.memory_bytes, true),
    uptimeNs: v.getBigUint64(VmInfo.offset.uptime_ns, true),
    vmmName: zeroPaddedText(bytes.subarray(VmInfo.offset.vmm_name, VmInfo.offset.vmm_name + 32)),
  });
}

// --- VCPU_REGS result ----------------------------------------------------------------------------

export interface RegsValue {
  readonly vcpu: number;
  readonly state: VcpuState;
  readonly sequence: bigint;
  readonly lastExitReason: number;
  readonly cpl: number;
  /** RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15. */
  readonly gprs: readonly bigint[];
  readonly rip: bigint;
  readonly rflags: bigint;
  readonly cr0: bigint;
  readonly cr2: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly fsBase: bigint;
  readonly gsBase: bigint;
  readonly cs: number;
  readonly ds: number;
  readonly es: number;
  readonly fs: number;
  readonly gs: number;
  readonly ss: number;
}
const REG64 = ['rip', 'rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'efer', 'fsBase', 'gsBase'] as const;
const REG64_OFFSET = {
  rip: RegisterSnapshot.offset.rip, rflags: RegisterSnapshot.offset.rflags, cr0: RegisterSnapshot.offset.cr0,
  cr2: RegisterSnapshot.offset.cr2, cr3: RegisterSnapshot.offset.cr3, cr4: RegisterSnapshot.offset.cr4,
  efer: RegisterSnapshot.offset.efer, fsBase: RegisterSnapshot.offset.fs_base, gsBase: RegisterSnapshot.offset.gs_base,
} as const;
const SELECTORS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const;

export function encodeRegs(regs: RegsValue, bytes: Uint8Array = new Uint8Array(RegisterSnapshot.size), at = 0): Uint8Array {
  const v = viewOf(bytes);
  v.setUint32(at + RegisterSnapshot.offset.vcpu, regs.vcpu, true);
  v.setUint32(at + RegisterSnapshot.offset.state, regs.state, true);
  v.setBigUint64(at + RegisterSnapshot.offset.sequence, regs.sequence, true);
  v.setUint32(at + RegisterSnapshot.offset.last_exit_reason, regs.lastExitReason, true);
  v.setUint32(at + RegisterSnapshot.offset.cpl, regs.cpl, true);
  for (let i = 0; i < 16; i++) v.setBigUint64(at + RegisterSnapshot.offset.gprs + i * 8, regs.gprs[i] ?? 0n, true);
  for (const name of REG64) v.setBigUint64(at + REG64_OFFSET[name], regs[name], true);
  for (const name of SELECTORS) v.setUint16(at + RegisterSnapshot.offset[name], regs[name], true);
  v.setUint32(at + RegisterSnapshot.offset.reserved0, 0, true);
  return bytes;
}
export function decodeRegs(bytes: Uint8Array): Decoded<RegsValue> {
  const r = fixedResult(RegisterSnapshot, bytes);
  if (!r.ok) return r;
  const v = r.value;
  const state = v.getUint32(RegisterSnapshot.offset.state, true);
  if (state > VcpuState.STOPPED) return fail(Status.EPROTO, `vCPU state ${state} is not defined`);
  const cpl = v.getUint32(RegisterSnapshot.offset.cpl, true);
  if (cpl !== 0 && cpl !== 3) return fail(Status.EPROTO, `CPL ${cpl} is not 0 or 3`);
  const gprs: bigint[] = [];
  for (let i = 0; i < 16; i++) gprs.push(v.getBigUint64(RegisterSnapshot.offset.gprs + i * 8, true));
  const reg64 = Object.fromEntries(REG64.map((name) => [name, v.getBigUint64(REG64_OFFSET[name], true)])) as Record<(typeof REG64)[number], bigint>;
  const selectors = Object.fromEntries(SELECTORS.map((name) => [name, v.getUint16(RegisterSnapshot.offset[name], true)])) as Record<(typeof SELECTORS)[number], number>;
  return ok({
    vcpu: v.getUint32(RegisterSnapshot.offset.vcpu, true),
    state: state as VcpuState,
    sequence: v.getBigUint64(RegisterSnapshot.offset.sequence, true),
    lastExitReason: v.getUint32(RegisterSnapshot.offset.last_exit_reason, true),
    cpl,
    gprs,
    ...reg64,
    ...selectors,
  });
}

// --- EXIT_STATS ----------------------------------------------------------------------------------

export interface ExitStatsValue {
  readonly vcpu: number;
  readonly total: bigint;
  /** Non-zero counts, by reason. */
  readonly counts: readonly { readonly reason: number; readonly count: bigint }[];
}
export function exitStatsSize(nonZero: number): number {
  return ExitStatsHeader.size + nonZero * ExitCount.size;
}
/** Encode from a per-reason count array (index = reason); zero counts are left out. */
export function encodeExitStats(vcpu: number, countsByReason: ArrayLike<number | bigint>, bytes: Uint8Array, at = 0): void {
  const v = viewOf(bytes);
  let n = 0;
  let total = 0n;
  for (let reason = 0; reason < countsByReason.length; reason++) {
    const count = BigInt(countsByReason[reason] ?? 0);
    if (count === 0n) continue;
    const o = at + ExitStatsHeader.size + n * ExitCount.size;
    v.setUint32(o + ExitCount.offset.reason, reason, true);
    v.setUint32(o + ExitCount.offset.reserved0, 0, true);
    v.setBigUint64(o + ExitCount.offset.count, count, true);
    total += count;
    n++;
  }
  v.setUint32(at + ExitStatsHeader.offset.vcpu, vcpu >>> 0, true);
  v.setUint32(at + ExitStatsHeader.offset.count, n, true);
  v.setBigUint64(at + ExitStatsHeader.offset.total, total, true);
}
export function decodeExitStats(bytes: Uint8Array): Decoded<ExitStatsValue> {
  const r = fixedResult(ExitStatsHeader, bytes);
  if (!r.ok) return r;
  const count = r.value.getUint32(ExitStatsHeader.offset.count, true);
  if (bytes.length < exitStatsSize(count)) return fail(Status.EPROTO, `EXIT_STATS lists ${count} reasons in ${bytes.length} bytes`);
  const counts = [];
  for (let i = 0; i < count; i++) {
    const o = ExitStatsHeader.size + i * ExitCount.size;
    counts.push({ reason: r.value.getUint32(o + ExitCount.offset.reason, true), count: r.value.getBigUint64(o + ExitCount.offset.count, true) });
  }
  return ok({ vcpu: r.value.getUint32(ExitStatsHeader.offset.vcpu, true), total: r.value.getBigUint64(ExitStatsHeader.offset.total, true), counts });
}

// --- LOG_READ ------------------------------------------------------------------------------------

export interface LogReadArgsValue {
  readonly cursor: bigint;
  readonly maxRecords: number;
}
export function encodeLogReadArgs(args: LogReadArgsValue): Uint8Array {
  const bytes = new Uint8Array(LogReadArgs.size);
  const v = viewOf(bytes);
  v.setBigUint64(LogReadArgs.offset.cursor, args.cursor, true);
  v.setUint32(LogReadArgs.offset.max_records, args.maxRecords, true);
  return bytes;
}
export function decodeLogReadArgs(bytes: Uint8Array): Decoded<LogReadArgsValue> {
  const r = fixedArgs(LogReadArgs, bytes);
  if (!r.ok) return r;
  const maxRecords = r.value.getUint32(LogReadArgs.offset.max_records, true);
  if (maxRecords < 1 || maxRecords > MAX_LOG_RECORDS) return fail(Status.EINVAL, `max_records ${maxRecords} is not 1..${MAX_LOG_RECORDS}`);
  return ok({ cursor: r.value.getBigUint64(LogReadArgs.offset.cursor, true), maxRecords });
}

export interface LogRecordValue {
  readonly sequence: bigint;
  readonly timeNs: bigint;
  readonly level: number;
  readonly scope: string;
  readonly message: string;
}
export interface LogReadValue {
  readonly nextCursor: bigint;
  readonly lost: bigint;
  readonly records: readonly LogRecordValue[];
}
/** Encode a LOG_READ result; scope and message are cut to 65535 bytes each. */
export function encodeLogRead(result: LogReadValue): Uint8Array {
  const encoded = result.records.map((r) => ({ r, scope: utf8.encode(r.scope).subarray(0, 0xffff), message: utf8.encode(r.message).subarray(0, 0xffff) }));
  const size = encoded.reduce((n, e) => n + LogRecordHeader.size + align8(e.scope.length + e.message.length), LogReadHeader.size);
  const bytes = new Uint8Array(size);
  const v = viewOf(bytes);
  v.setBigUint64(LogReadHeader.offset.next_cursor, result.nextCursor, true);
  v.setBigUint64(LogReadHeader.offset.lost, result.lost, true);
  v.setUint32(LogReadHeader.offset.count, encoded.length, true);
  let at = LogReadHeader.size;
  for (const { r, scope, message } of encoded) {
    v.setBigUint64(at + LogRecordHeader.offset.sequence, r.sequence, true);
    v.setBigUint64(at + LogRecordHeader.offset.time_ns, r.timeNs, true);
    v.setUint32(at + LogRecordHeader.offset.level, r.level, true);
    v.setUint16(at + LogRecordHeader.offset.scope_length, scope.length, true);
    v.setUint16(at + LogRecordHeader.offset.message_length, message.length, true);
    bytes.set(scope, at + LogRecordHeader.size);
    bytes.set(message, at + LogRecordHeader.size + scope.length);
    at += LogRecordHeader.size + align8(scope.length + message.length);
  }
  return bytes;
}
export function decodeLogRead(bytes: Uint8Array): Decoded<LogReadValue> {
  const r = fixedResult(LogReadHeader, bytes);
  if (!r.ok) return r;
  const v = r.value;
  const count = v.getUint32(LogReadHeader.offset.count, true);
  const records: LogRecordValue[] = [];
  let at = LogReadHeader.size;
  for (let i = 0; i < count; i++) {
    if (at + LogRecordHeader.size > bytes.length) return fail(Status.EPROTO, `log record ${i} runs past the result`);
    const scopeLength = v.getUint16(at + LogRecordHeader.offset.scope_length, true);
    const messageLength = v.getUint16(at + LogRecordHeader.offset.message_length, true);
    const textAt = at + LogRecordHeader.size;
    if (textAt + scopeLength + messageLength > bytes.length) return fail(Status.EPROTO, `log record ${i} text runs past the result`);
    records.push({
      sequence: v.getBigUint64(at + LogRecordHeader.offset.sequence, true),
      timeNs: v.getBigUint64(at + LogRecordHeader.offset.time_ns, true),
      level: v.getUint32(at + LogRecordHeader.offset.level, true),
      scope: utf8Decoder.decode(bytes.subarray(textAt, textAt + scopeLength)),
      message: utf8Decoder.decode(bytes.subarray(textAt + scopeLength, textAt + scopeLength + messageLength)),
    });
    at = textAt + align8(scopeLength + messageLength);
  }
  return ok({ nextCursor: v.getBigUint64(LogReadHeader.offset.next_cursor, true), lost: v.getBigUint64(LogReadHeader.offset.lost, true), records });
}

// --- TRANSLATE -----------------------------------------------------------------------------------

export function encodeAddressArgs(address: bigint): Uint8Array {
  const bytes = new Uint8Array(AddressArgs.size);
  viewOf(bytes).setBigUint64(AddressArgs.offset.address, address, true);
  return bytes;
}
export function decodeAddressArgs(bytes: Uint8Array): Decoded<bigint> {
  const r = fixedArgs(AddressArgs, bytes);
  return r.ok ? ok(r.value.getBigUint64(AddressArgs.offset.address, true)) : r;
}
export interface TranslationValue {
  readonly gpa: bigint;
  readonly pageSize: bigint;
  readonly flags: number;
}
export function encodeTranslation(t: TranslationValue): Uint8Array {
  const bytes = new Uint8Array(Translation.size);
  const v = viewOf(bytes);
  v.setBigUint64(Translation.offset.gpa, t.gpa, true);
  v.setBigUint64(Translation.offset.page_size, t.pageSize, true);
  v.setUint32(Translation.offset.flags, t.flags, true);
  return bytes;
}
export function decodeTranslation(bytes: Uint8Array): Decoded<TranslationValue> {
  const r = fixedResult(Translation, bytes);
  if (!r.ok) return r;
  return ok({
    gpa: r.value.getBigUint64(Translation.offset.gpa, true),
    pageSize: r.value.getBigUint64(Translation.offset.page_size, true),
    flags: r.value.getUint32(Translation.offset.flags, true),
  });
}

// --- MEM_READ ------------------------------------------------------------------------------------

export interface MemReadArgsValue {
  readonly gpa: bigint;
  readonly length: number;
}
export function encodeMemReadArgs(args: MemReadArgsValue): Uint8Array {
  const bytes = new Uint8Array(MemReadArgs.size);
  const v = viewOf(bytes);
  v.setBigUint64(MemReadArgs.offset.gpa, args.gpa, true);
  v.setUint32(MemReadArgs.offset.length, args.length, true);
  return bytes;
}
/** Decode MEM_READ arguments; EINVAL for length 0, E2BIG above MAX_MEM_READ_BYTES. */
export function decodeMemReadArgs(bytes: Uint8Array): Decoded<MemReadArgsValue> {
  const r = fixedArgs(MemReadArgs, bytes);
  if (!r.ok) return r;
  const length = r.value.getUint32(MemReadArgs.offset.length, true);
  if (length === 0) return fail(Status.EINVAL, 'MEM_READ of 0 bytes');
  if (length > MAX_MEM_READ_BYTES) return fail(Status.E2BIG, `MEM_READ of ${length} bytes exceeds ${MAX_MEM_READ_BYTES}`);
  return ok({ gpa: r.value.getBigUint64(MemReadArgs.offset.gpa, true), length });
}

// --- PROTECT / UNPROTECT / PROTECTED -------------------------------------------------------------

export interface RangeValue {
  readonly gpa: bigint;
  readonly length: bigint;
}
export function encodeRangeArgs(range: RangeValue): Uint8Array {
  const bytes = new Uint8Array(RangeArgs.size);
  const v = viewOf(bytes);
  v.setBigUint64(RangeArgs.offset.gpa, range.gpa, true);
  v.setBigUint64(RangeArgs.offset.length, range.length, true);
  return bytes;
}
/** Decode a range; EINVAL unless page-aligned, non-empty and not wrapping past 2^64. */
export function decodeRangeArgs(bytes: Uint8Array): Decoded<RangeValue> {
  const r = fixedArgs(RangeArgs, bytes);
  if (!r.ok) return r;
  const gpa = r.value.getBigUint64(RangeArgs.offset.gpa, true);
  const length = r.value.getBigUint64(RangeArgs.offset.length, true);
  const page = BigInt(PAGE_SIZE);
  if (length === 0n || gpa % page !== 0n || length % page !== 0n) return fail(Status.EINVAL, 'range must be page-aligned and non-empty');
  if (gpa + length > 1n << 64n) return fail(Status.EINVAL, 'range wraps past 2^64');
  return ok({ gpa, length });
}
export interface ProtectedRangeValue extends RangeValue {
  readonly violations: bigint;
  /** Made by SEAL. A 1.0 VMM sends no flags: its ranges read as not sealed. */
  readonly sealed: boolean;
}
export function protectedSize(count: number): number {
  return ProtectedHeader.size + count * (ProtectedRange.size + ProtectedFlags.size);
}
/** The ranges, then (ABI 1.1) one ymir_vmc_protected_flags per range in the same order. */
export function encodeProtected(ranges: readonly ProtectedRangeValue[]): Uint8Array {
  const bytes = new Uint8Array(protectedSize(ranges.length));
  const v = viewOf(bytes);
  v.setUint32(ProtectedHeader.offset.count, ranges.length, true);
  const flagsAt = ProtectedHeader.size + ranges.length * ProtectedRange.size;
  ranges.forEach((range, i) => {
    const o = ProtectedHeader.size + i * ProtectedRange.size;
    v.setBigUint64(o + ProtectedRange.offset.gpa, range.gpa, true);
    v.setBigUint64(o + ProtectedRange.offset.length, range.length, true);
    v.setBigUint64(o + ProtectedRange.offset.violations, range.violations, true);
    v.setUint32(flagsAt + i * ProtectedFlags.size + ProtectedFlags.offset.flags, range.sealed ? ProtectedFlag.SEALED : 0, true);
  });
  return bytes;
}
export function decodeProtected(bytes: Uint8Array): Decoded<ProtectedRangeValue[]> {
  const r = fixedResult(ProtectedHeader, bytes);
  if (!r.ok) return r;
  const count = r.value.getUint32(ProtectedHeader.offset.count, true);
  const flagsAt = ProtectedHeader.size + count * ProtectedRange.size;
  if (bytes.length < flagsAt) return fail(Status.EPROTO, `PROTECTED lists ${count} ranges in ${bytes.length} bytes`);
  const hasFlags = bytes.length >= protectedSize(count);
  const ranges: ProtectedRangeValue[] = [];
  for (let i = 0; i < count; i++) {
    const o = ProtectedHeader.size + i * ProtectedRange.size;
    const flags = hasFlags ? r.value.getUint32(flagsAt + i * ProtectedFlags.size + ProtectedFlags.offset.flags, true) : 0;
    ranges.push({
      gpa: r.value.getBigUint64(o + ProtectedRange.offset.gpa, true),
      length: r.value.getBigUint64(o + ProtectedRange.offset.length, true),
      violations: r.value.getBigUint64(o + ProtectedRange.offset.violations, true),
      sealed: (flags & ProtectedFlag.SEALED) !== 0,
    });
  }
  return ok(ranges);
}

// --- DIS -----------------------------------------------------------------------------------------

export interface DisArgsValue {
  readonly address: bigint;
  readonly count: number;
  readonly syntax: DisSyntax;
}
export function encodeDisArgs(args: DisArgsValue): Uint8Array {
  const bytes = new Uint8Array(DisArgs.size);
  const v = viewOf(bytes);
  v.setBigUint64(DisArgs.offset.address, args.address, true);
  v.setUint32(DisArgs.offset.count, args.count, true);
  v.setUint16(DisArgs.offset.syntax, args.syntax, true);
  return bytes;
}
/** Decode DIS arguments; EINVAL for a count of 0 or an unknown syntax, E2BIG above MAX_DIS_INSTRUCTIONS. */
export function decodeDisArgs(bytes: Uint8Array): Decoded<DisArgsValue> {
  const r = fixedArgs(DisArgs, bytes);
  if (!r.ok) return r;
  const count = r.value.getUint32(DisArgs.offset.count, true);
  const syntax = r.value.getUint16(DisArgs.offset.syntax, true);
  if (count === 0) return fail(Status.EINVAL, 'DIS of 0 instructions');
  if (syntax !== DisSyntax.INTEL && syntax !== DisSyntax.ATT) return fail(Status.EINVAL, `DIS syntax ${syntax} does not exist`);
  if (count > MAX_DIS_INSTRUCTIONS) return fail(Status.E2BIG, `DIS of ${count} instructions exceeds ${MAX_DIS_INSTRUCTIONS}`);
  return ok({ address: r.value.getBigUint64(DisArgs.offset.address, true), count, syntax: syntax as DisSyntax });
}

export interface DisInsnValue {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly invalid: boolean;
  readonly text: string;
}
export interface DisValue {
  readonly nextAddress: bigint;
  readonly stop: DisStop;
  readonly instructions: readonly DisInsnValue[];
}
export function encodeDis(result: DisValue): Uint8Array {
  const texts = result.instructions.map((insn) => utf8.encode(insn.text).subarray(0, 0xffff));
  const size = result.instructions.reduce((n, insn, i) => n + DisInsn.size + align8(insn.bytes.length + texts[i]!.length), DisHeader.size);
  const bytes = new Uint8Array(size);
  const v = viewOf(bytes);
  v.setBigUint64(DisHeader.offset.next_address, result.nextAddress, true);
  v.setUint32(DisHeader.offset.count, result.instructions.length, true);
  v.setUint32(DisHeader.offset.stop, result.stop, true);
  let at = DisHeader.size;
  result.instructions.forEach((insn, i) => {
    const text = texts[i]!;
    v.setBigUint64(at + DisInsn.offset.address, insn.address, true);
    v.setUint8(at + DisInsn.offset.length, insn.bytes.length);
    v.setUint8(at + DisInsn.offset.flags, insn.invalid ? DisInsnFlag.INVALID : 0);
    v.setUint16(at + DisInsn.offset.text_length, text.length, true);
    bytes.set(insn.bytes, at + DisInsn.size);
    bytes.set(text, at + DisInsn.size + insn.bytes.length);
    at += DisInsn.size + align8(insn.bytes.length + text.length);
  });
  return bytes;
}
export function decodeDis(bytes: Uint8Array): Decoded<DisValue> {
  const r = fixedResult(DisHeader, bytes);
  if (!r.ok) return r;
  const v = r.value;
  const count = v.getUint32(DisHeader.offset.count, true);
  const instructions: DisInsnValue[] = [];
  let at = DisHeader.size;
  for (let i = 0; i < count; i++) {
    if (at + DisInsn.size > bytes.length) return fail(Status.EPROTO, `instruction ${i} runs past the result`);
    const length = v.getUint8(at + DisInsn.offset.length);
    const textLength = v.getUint16(at + DisInsn.offset.text_length, true);
    const start = at + DisInsn.size;
    if (length < 1 || length > MAX_INSTRUCTION_BYTES) return fail(Status.EPROTO, `instruction ${i} is ${length} bytes long`);
    if (start + length + textLength > bytes.length) return fail(Status.EPROTO, `instruction ${i} text runs past the result`);
    instructions.push({
      address: v.getBigUint64(at + DisInsn.offset.address, true),
      bytes: bytes.subarray(start, start + length),
      invalid: (v.getUint8(at + DisInsn.offset.flags) & DisInsnFlag.INVALID) !== 0,
      text: utf8Decoder.decode(bytes.subarray(start + length, start + length + textLength)),
    });
    at = start + align8(length + textLength);
  }
  return ok({ nextAddress: v.getBigUint64(DisHeader.offset.next_address, true), stop: v.getUint32(DisHeader.offset.stop, true) as DisStop, instructions });
}

// --- BT ------------------------------------------------------------------------------------------

export interface BtArgsValue {
  readonly vcpu: number;
  readonly maxFrames: number;
}
export function encodeBtArgs(args: BtArgsValue): Uint8Array {
  const bytes = new Uint8Array(BtArgs.size);
  const v = viewOf(bytes);
  v.setUint32(BtArgs.offset.vcpu, args.vcpu >>> 0, true);
  v.setUint32(BtArgs.offset.max_frames, args.maxFrames, true);
  return bytes;
}
/** Decode BT arguments; EINVAL for ALL_VCPUS or 0 frames, E2BIG above MAX_BT_FRAMES. */
export function decodeBtArgs(bytes: Uint8Array): Decoded<BtArgsValue> {
  const r = fixedArgs(BtArgs, bytes);
  if (!r.ok) return r;
  const vcpu = r.value.getUint32(BtArgs.offset.vcpu, true);
  const maxFrames = r.value.getUint32(BtArgs.offset.max_frames, true);
  if (vcpu === ALL_VCPUS) return fail(Status.EINVAL, 'BT walks one vCPU, not ALL_VCPUS');
  if (maxFrames === 0) return fail(Status.EINVAL, 'BT of 0 frames');
  if (maxFrames > MAX_BT_FRAMES) return fail(Status.E2BIG, `BT of ${maxFrames} frames exceeds ${MAX_BT_FRAMES}`);
  return ok({ vcpu, maxFrames });
}

export interface BtFrameValue {
  readonly address: bigint;
  readonly frame: bigint;
}
export interface BtValue {
  readonly vcpu: number;
  readonly stop: BtStop;
  readonly sequence: bigint;
  readonly frames: readonly BtFrameValue[];
}
export function btSize(frames: number): number {
  return BtHeader.size + frames * BtFrame.size;
}
export function encodeBt(result: BtValue, bytes: Uint8Array = new Uint8Array(btSize(result.frames.length)), at = 0): Uint8Array {
  const v = viewOf(bytes);
  v.setUint32(at + BtHeader.offset.vcpu, result.vcpu, true);
  v.setUint32(at + BtHeader.offset.count, result.frames.length, true);
  v.setUint32(at + BtHeader.offset.stop, result.stop, true);
  v.setUint32(at + BtHeader.offset.reserved0, 0, true);
  v.setBigUint64(at + BtHeader.offset.sequence, result.sequence, true);
  result.frames.forEach((f, i) => {
    const o = at + BtHeader.size + i * BtFrame.size;
    v.setBigUint64(o + BtFrame.offset.address, f.address, true);
    v.setBigUint64(o + BtFrame.offset.frame, f.frame, true);
  });
  return bytes;
}
export function decodeBt(bytes: Uint8Array): Decoded<BtValue> {
  const r = fixedResult(BtHeader, bytes);
  if (!r.ok) return r;
  const v = r.value;
  const count = v.getUint32(BtHeader.offset.count, true);
  if (bytes.length < btSize(count)) return fail(Status.EPROTO, `BT lists ${count} frames in ${bytes.length} bytes`);
  const frames: BtFrameValue[] = [];
  for (let i = 0; i < count; i++) {
    const o = BtHeader.size + i * BtFrame.size;
    frames.push({ address: v.getBigUint64(o + BtFrame.offset.address, true), frame: v.getBigUint64(o + BtFrame.offset.frame, true) });
  }
  return ok({ vcpu: v.getUint32(BtHeader.offset.vcpu, true), stop: v.getUint32(BtHeader.offset.stop, true) as BtStop, sequence: v.getBigUint64(BtHeader.offset.sequence, true), frames });
}

// --- LOG_LEVEL -----------------------------------------------------------------------------------

export function encodeLogLevelArgs(level: number): Uint8Array {
  const bytes = new Uint8Array(LogLevelArgs.size);
  viewOf(bytes).setUint32(LogLevelArgs.offset.level, level >>> 0, true);
  return bytes;
}
/** The level to set, or LOG_LEVEL_QUERY; EINVAL for a level that does not exist. */
export function decodeLogLevelArgs(bytes: Uint8Array): Decoded<number> {
  const r = fixedArgs(LogLevelArgs, bytes);
  if (!r.ok) return r;
  const level = r.value.getUint32(LogLevelArgs.offset.level, true);
  if (level !== LOG_LEVEL_QUERY && level > LogLevel.ERROR) return fail(Status.EINVAL, `log level ${level} does not exist`);
  return ok(level);
}
export function encodeLogLevelResult(previous: number, current: number): Uint8Array {
  const bytes = new Uint8Array(LogLevelResult.size);
  const v = viewOf(bytes);
  v.setUint32(LogLevelResult.offset.previous, previous, true);
  v.setUint32(LogLevelResult.offset.current, current, true);
  return bytes;
}
export function decodeLogLevelResult(bytes: Uint8Array): Decoded<{ previous: number; current: number }> {
  const r = fixedResult(LogLevelResult, bytes);
  if (!r.ok) return r;
  return ok({ previous: r.value.getUint32(LogLevelResult.offset.previous, true), current: r.value.getUint32(LogLevelResult.offset.current, true) });
}

// --- the MAP_SHARED counter page -----------------------------------------------------------------

/** vCPUs whose rows fit in one page after the header (6 with 76 exit reasons). */
export const SHARED_PAGE_MAX_VCPUS = Math.floor((PAGE_SIZE - SharedPageHeader.size) / SharedVcpuCounters.size);

/** Byte offset of a vCPU's row (its `total`) in the shared page. */
export function sharedTotalOffset(vcpu: number): number {
  return SharedPageHeader.size + vcpu * SharedVcpuCounters.size + SharedVcpuCounters.offset.total;
}
/** Byte offset of a vCPU's counter for one exit reason in the shared page. */
export function sharedCounterOffset(vcpu: number, reason: number): number {
  return SharedPageHeader.size + vcpu * SharedVcpuCounters.size + SharedVcpuCounters.offset.counts + reason * 8;
}
export function writeSharedPageHeader(page: Uint8Array, totalVcpus: number, sequence: bigint): void {
  const v = viewOf(page);
  v.setUint32(SharedPageHeader.offset.magic, SHARED_PAGE_MAGIC, true);
  v.setUint16(SharedPageHeader.offset.version_major, ABI_MAJOR, true);
  v.setUint16(SharedPageHeader.offset.version_minor, ABI_MINOR, true);
  v.setUint32(SharedPageHeader.offset.vcpu_count, Math.min(totalVcpus, SHARED_PAGE_MAX_VCPUS), true);
  v.setUint32(SharedPageHeader.offset.reason_count, EXIT_REASON_COUNT, true);
  v.setBigUint64(SharedPageHeader.offset.sequence, sequence, true);
  v.setUint32(SharedPageHeader.offset.total_vcpus, totalVcpus, true);
  v.setUint32(SharedPageHeader.offset.reserved0, 0, true);
}
/** Write a whole page (header and the first SHARED_PAGE_MAX_VCPUS rows) into a page-sized buffer. */
export function encodeSharedPage(value: SharedPageValue, page: Uint8Array = new Uint8Array(PAGE_SIZE)): Uint8Array {
  page.fill(0, 0, PAGE_SIZE);
  writeSharedPageHeader(page, value.totalVcpus, value.sequence);
  const v = viewOf(page);
  const rows = Math.min(value.counts.length, SHARED_PAGE_MAX_VCPUS);
  for (let vcpu = 0; vcpu < rows; vcpu++) {
    const row = value.counts[vcpu]!;
    for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) v.setBigUint64(sharedCounterOffset(vcpu, reason), row[reason] ?? 0n, true);
    v.setBigUint64(sharedTotalOffset(vcpu), value.totals[vcpu] ?? 0n, true);
  }
  return page;
}
export interface SharedPageValue {
  readonly sequence: bigint;
  readonly totalVcpus: number;
  /** counts[vcpu][reason] for the mirrored vCPUs. */
  readonly counts: readonly (readonly bigint[])[];
  /** totals[vcpu]: every exit of that vCPU (the sum of its row). */
  readonly totals: readonly bigint[];
}
export function decodeSharedPage(page: Uint8Array): Decoded<SharedPageValue> {
  if (page.length < PAGE_SIZE) return fail(Status.EPROTO, 'shared page is shorter than a page');
  const v = viewOf(page);
  if (v.getUint32(SharedPageHeader.offset.magic, true) !== SHARED_PAGE_MAGIC) return fail(Status.EPROTO, 'shared page has no magic (not mapped?)');
  if (v.getUint16(SharedPageHeader.offset.version_major, true) !== ABI_MAJOR) return fail(Status.EPROTO, 'shared page is not ABI major 1');
  const mirrored = v.getUint32(SharedPageHeader.offset.vcpu_count, true);
  const reasons = v.getUint32(SharedPageHeader.offset.reason_count, true);
  const totalVcpus = v.getUint32(SharedPageHeader.offset.total_vcpus, true);
  if (mirrored > SHARED_PAGE_MAX_VCPUS || mirrored > totalVcpus || reasons !== EXIT_REASON_COUNT) return fail(Status.EPROTO, 'shared page geometry is not ABI v1');
  const counts: bigint[][] = [];
  const totals: bigint[] = [];
  for (let vcpu = 0; vcpu < mirrored; vcpu++) {
    const row: bigint[] = [];
    for (let reason = 0; reason < reasons; reason++) row.push(v.getBigUint64(sharedCounterOffset(vcpu, reason), true));
    counts.push(row);
    totals.push(v.getBigUint64(sharedTotalOffset(vcpu), true));
  }
  return ok({ sequence: v.getBigUint64(SharedPageHeader.offset.sequence, true), totalVcpus, counts, totals });
}

// --- every op: the argument and result rules of spec.md section 4, by op number ------------------

type Check = (bytes: Uint8Array) => Decoded<unknown>;

const noArgs: Check = (bytes) => (bytes.length === 0 ? ok(undefined) : fail(Status.EINVAL, `op takes no arguments, got ${bytes.length} bytes`));
const noData: Check = (bytes) => (bytes.length === 0 ? ok(undefined) : fail(Status.EPROTO, `op answers no data, got ${bytes.length} bytes`));
const anyBytes: Check = ok;

const ARG_RULES: Record<OpName, Check> = {
  HELLO: noArgs,
  OPS: noArgs,
  VM_INFO: noArgs,
  VCPU_REGS: (bytes) => {
    const vcpu = decodeVcpuArgs(bytes);
    return vcpu.ok && vcpu.value === ALL_VCPUS ? fail(Status.EINVAL, 'VCPU_REGS takes one vCPU, not ALL_VCPUS') : vcpu;
  },
  EXIT_STATS: decodeVcpuArgs,
  LOG_READ: decodeLogReadArgs,
  TRANSLATE: decodeAddressArgs,
  MEM_READ: decodeMemReadArgs,
  PROTECT: decodeRangeArgs,
  UNPROTECT: decodeRangeArgs,
  PROTECTED: noArgs,
  STATS_RESET: decodeVcpuArgs,
  LOG_LEVEL: decodeLogLevelArgs,
  ECHO: decodeEchoArgs,
  DIS: decodeDisArgs,
  BT: decodeBtArgs,
  SEAL: decodeRangeArgs,
};

const RESULT_RULES: Record<OpName, Check> = {
  HELLO: anyBytes,
  OPS: decodeOps,
  VM_INFO: decodeVmInfo,
  VCPU_REGS: decodeRegs,
  EXIT_STATS: decodeExitStats,
  LOG_READ: decodeLogRead,
  TRANSLATE: decodeTranslation,
  MEM_READ: anyBytes,
  PROTECT: noData,
  UNPROTECT: noData,
  PROTECTED: decodeProtected,
  STATS_RESET: noData,
  LOG_LEVEL: decodeLogLevelResult,
  ECHO: anyBytes,
  DIS: decodeDis,
  BT: decodeBt,
  SEAL: noData,
};

/**
 * The status an entry's arguments earn before any VM state is consulted: OK, ENOSYS for an
 * unknown op, EINVAL or E2BIG. A VMM may still answer EPERM, EFAULT, ... when it runs the op.
 */
export function checkArgs(op: number, args: Uint8Array): Decoded<unknown> {
  const name = opKey(op);
  return name ? ARG_RULES[name](args) : fail(Status.ENOSYS, `op ${op} does not exist`);
}

/** Whether an OK entry's data is a well-formed result of its op: OK, EPROTO, or ENOSYS for an unknown op. */
export function checkResult(op: number, data: Uint8Array): Decoded<unknown> {
  const name = opKey(op);
  return name ? RESULT_RULES[name](data) : fail(Status.ENOSYS, `op ${op} does not exist`);
}
