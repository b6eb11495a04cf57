import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_VCPUS, BtStop, DisStop, DisSyntax, EXIT_REASON_COUNT, MAX_BT_FRAMES, MAX_DIS_INSTRUCTIONS, ExitReason, LOG_LEVEL_QUERY, LogLevel, MAX_ECHO_BYTES, MAX_LOG_RECORDS, MAX_MEM_READ_BYTES, Op,
  type OpName, PAGE_SIZE, RegisterSnapshot, ResponseWriter, SHARED_PAGE_MAX_VCPUS, Status, VcpuState,
  checkArgs, checkResult, decodeAddressArgs, decodeExitStats, decodeLogLevelArgs, decodeLogLevelResult, decodeLogRead,
  decodeLogReadArgs, decodeMemReadArgs, decodeOps, decodeProtected, decodeRangeArgs, decodeRegs, decodeRequest,
  decodeResponse, decodeSharedPage, decodeTranslation, decodeVcpuArgs, decodeVmInfo, encodeAddressArgs,
  encodeExitStats, encodeLogLevelArgs, encodeLogLevelResult, encodeLogRead, encodeLogReadArgs, encodeMemReadArgs,
  encodeOps, encodeProtected, encodeRangeArgs, encodeRegs, encodeRequest, encodeSharedPage, encodeText,
  encodeTranslation, encodeVcpuArgs, encodeVmInfo, exitStatsSize, isStatus, opsSize, sharedCounterOffset,
  sharedTotalOffset, decodeDisArgs, encodeDisArgs, decodeBtArgs, encodeBtArgs, decodeDis, encodeDis, decodeBt, encodeBt,
} from '../../shell-protocol/index.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** NUL-free ASCII, so fixed-size NUL-padded text fields round-trip exactly. */
const ascii = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
const page = BigInt(PAGE_SIZE);

const vcpuArgs = u32.map((vcpu) => ({ vcpu }));
const logReadArgs = fc.record({ cursor: u64, maxRecords: fc.integer({ min: 1, max: MAX_LOG_RECORDS }) });
const memReadArgs = fc.record({ gpa: u64, length: fc.integer({ min: 1, max: MAX_MEM_READ_BYTES }) });
const range = fc.record({ gpa: fc.bigInt({ min: 0n, max: 1n << 40n }).map((p) => p * page), length: fc.bigInt({ min: 1n, max: 1n << 20n }).map((p) => p * page) });
const disArgs = fc.record({ address: u64, count: fc.integer({ min: 1, max: MAX_DIS_INSTRUCTIONS }), syntax: fc.constantFrom(DisSyntax.INTEL, DisSyntax.ATT) });
const btArgs = fc.record({ vcpu: fc.nat({ max: 0xfffffffe }), maxFrames: fc.integer({ min: 1, max: MAX_BT_FRAMES }) });
const protectedRange = fc.record({ gpa: u64, length: u64, violations: u64, sealed: fc.boolean() });
const disResult = fc.record({
  nextAddress: u64,
  stop: fc.constantFrom(DisStop.COUNT, DisStop.UNMAPPED),
  instructions: fc.array(fc.record({ address: u64, bytes: fc.uint8Array({ minLength: 1, maxLength: 15 }), invalid: fc.boolean(), text: ascii(60) }), { minLength: 1, maxLength: 8 }),
});
const btResult = fc.record({
  vcpu: u32, stop: fc.constantFrom(...Object.values(BtStop)), sequence: u64,
  frames: fc.array(fc.record({ address: u64, frame: u64 }), { minLength: 1, maxLength: MAX_BT_FRAMES }),
});
const logLevel = fc.constantFrom(LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR, LOG_LEVEL_QUERY);

const regs = fc.record({
  vcpu: u32, state: fc.constantFrom(...Object.values(VcpuState)), sequence: u64, lastExitReason: u32, cpl: fc.constantFrom(0, 3),
  gprs: fc.array(u64, { minLength: 16, maxLength: 16 }), rip: u64, rflags: u64, cr0: u64, cr2: u64, cr3: u64, cr4: u64, efer: u64,
  fsBase: u64, gsBase: u64, cs: u16, ds: u16, es: u16, fs: u16, gs: u16, ss: u16,
});
const logRecord = fc.record({ sequence: u64, timeNs: u64, level: fc.constantFrom(...Object.values(LogLevel)), scope: fc.string({ maxLength: 12 }), message: fc.string({ maxLength: 120 }) });
const sharedPage = fc.integer({ min: 1, max: 16 }).chain((totalVcpus) => {
  const rows = Math.min(totalVcpus, SHARED_PAGE_MAX_VCPUS);
  return fc.record({
    sequence: u64,
    totalVcpus: fc.constant(totalVcpus),
    counts: fc.array(fc.array(u64, { minLength: EXIT_REASON_COUNT, maxLength: EXIT_REASON_COUNT }), { minLength: rows, maxLength: rows }),
    totals: fc.array(u64, { minLength: rows, maxLength: rows }),
  });
});

function unwrap<T>(decoded: { ok: true; value: T } | { ok: false; error: { reason: string } }): T {
  if (!decoded.ok) throw new Error(decoded.error.reason);
  return decoded.value;
}

describe('op arguments', () => {
  it('round-trip VCPU_REGS, EXIT_STATS and STATS_RESET vCPU indexes', () => {
    fc.assert(fc.property(vcpuArgs, ({ vcpu }) => { expect(unwrap(decodeVcpuArgs(encodeVcpuArgs(vcpu)))).toBe(vcpu); }));
  });
  it('round-trip LOG_READ, TRANSLATE, MEM_READ, PROTECT and LOG_LEVEL arguments', () => {
    fc.assert(fc.property(logReadArgs, (a) => { expect(unwrap(decodeLogReadArgs(encodeLogReadArgs(a)))).toEqual(a); }));
    fc.assert(fc.property(u64, (a) => { expect(unwrap(decodeAddressArgs(encodeAddressArgs(a)))).toBe(a); }));
    fc.assert(fc.property(memReadArgs, (a) => { expect(unwrap(decodeMemReadArgs(encodeMemReadArgs(a)))).toEqual(a); }));
    fc.assert(fc.property(range, (a) => { expect(unwrap(decodeRangeArgs(encodeRangeArgs(a)))).toEqual(a); }));
    fc.assert(fc.property(logLevel, (a) => { expect(unwrap(decodeLogLevelArgs(encodeLogLevelArgs(a)))).toBe(a); }));
  });
  it('round-trip DIS and BT arguments, and refuse zero, huge and unknown values', () => {
    fc.assert(fc.property(disArgs, (a) => { expect(unwrap(decodeDisArgs(encodeDisArgs(a)))).toEqual(a); }));
    fc.assert(fc.property(btArgs, (a) => { expect(unwrap(decodeBtArgs(encodeBtArgs(a)))).toEqual(a); }));
    const status = (d: { ok: boolean; error?: { status: number } }): number | undefined => d.error?.status;
    expect(status(decodeDisArgs(encodeDisArgs({ address: 0n, count: 0, syntax: DisSyntax.INTEL })))).toBe(Status.EINVAL);
    expect(status(decodeDisArgs(encodeDisArgs({ address: 0n, count: MAX_DIS_INSTRUCTIONS + 1, syntax: DisSyntax.INTEL })))).toBe(Status.E2BIG);
    expect(status(decodeDisArgs(encodeDisArgs({ address: 0n, count: 0xffffffff, syntax: DisSyntax.ATT })))).toBe(Status.E2BIG);
    expect(status(decodeDisArgs(encodeDisArgs({ address: 0n, count: 1, syntax: 2 as DisSyntax })))).toBe(Status.EINVAL);
    expect(status(decodeBtArgs(encodeBtArgs({ vcpu: ALL_VCPUS, maxFrames: 4 })))).toBe(Status.EINVAL);
    expect(status(decodeBtArgs(encodeBtArgs({ vcpu: 0, maxFrames: 0 })))).toBe(Status.EINVAL);
    expect(status(decodeBtArgs(encodeBtArgs({ vcpu: 0, maxFrames: MAX_BT_FRAMES + 1 })))).toBe(Status.E2BIG);
  });

  it('accept a range that ends exactly at 2^64 and refuse one that wraps past it', () => {
    expect(decodeRangeArgs(encodeRangeArgs({ gpa: (1n << 64n) - page, length: page })).ok).toBe(true);
    const wraps = decodeRangeArgs(encodeRangeArgs({ gpa: (1n << 64n) - page, length: 2n * page }));
    expect(wraps.ok ? 0 : wraps.error.status).toBe(Status.EINVAL);
  });

  it('give the statuses of spec section 4 for out-of-range values', () => {
    const status = (op: number, args: Uint8Array): number => { const c = checkArgs(op, args); return c.ok ? 0 : c.error.status; };
    expect(status(Op.VCPU_REGS, encodeVcpuArgs(ALL_VCPUS))).toBe(Status.EINVAL);
    expect(status(Op.EXIT_STATS, encodeVcpuArgs(ALL_VCPUS))).toBe(0);
    expect(status(Op.MEM_READ, encodeMemReadArgs({ gpa: 0n, length: MAX_MEM_READ_BYTES + 1 }))).toBe(Status.E2BIG);
    expect(status(Op.MEM_READ, encodeMemReadArgs({ gpa: 0n, length: 0 }))).toBe(Status.EINVAL);
    expect(status(Op.ECHO, new Uint8Array(MAX_ECHO_BYTES))).toBe(0);
    expect(status(Op.ECHO, new Uint8Array(MAX_ECHO_BYTES + 1))).toBe(Status.E2BIG);
    expect(status(Op.LOG_LEVEL, encodeLogLevelArgs(LogLevel.ERROR + 1))).toBe(Status.EINVAL);
    expect(status(Op.OPS, new Uint8Array(1))).toBe(Status.EINVAL);
    expect(status(0, new Uint8Array(0))).toBe(Status.ENOSYS);
    expect(status(Op.SEAL + 1, new Uint8Array(0))).toBe(Status.ENOSYS);
  });
});

describe('op results', () => {
  it('round-trip OPS, VM_INFO, TRANSLATE, PROTECTED and LOG_LEVEL results', () => {
    fc.assert(fc.property(fc.array(fc.record({ op: u16, name: ascii(24), privileged: fc.boolean() }), { maxLength: 20 }), (ops) => {
      const bytes = new Uint8Array(opsSize(ops.length));
      encodeOps(ops, bytes);
      expect(unwrap(decodeOps(bytes))).toEqual(ops);
    }));
    fc.assert(fc.property(fc.record({ vcpuCount: u32, logLevel: u32, memoryBytes: u64, uptimeNs: u64, vmmName: ascii(32) }), (info) => {
      expect(unwrap(decodeVmInfo(encodeVmInfo(info)))).toEqual(info);
    }));
    fc.assert(fc.property(fc.record({ gpa: u64, pageSize: u64, flags: u32 }), (t) => { expect(unwrap(decodeTranslation(encodeTranslation(t)))).toEqual(t); }));
    fc.assert(fc.property(fc.array(protectedRange, { maxLength: 64 }), (ranges) => {
      expect(unwrap(decodeProtected(encodeProtected(ranges)))).toEqual(ranges);
    }));
    fc.assert(fc.property(u32, u32, (previous, current) => { expect(unwrap(decodeLogLevelResult(encodeLogLevelResult(previous, current)))).toEqual({ previous, current }); }));
  });

  it('read a 1.0 VMM\'s PROTECTED answer, which has no per-range flags, as ranges that are not sealed', () => {
    const ranges = [{ gpa: 0x100000n, length: 0x2000n, violations: 3n, sealed: true }];
    const v11 = encodeProtected(ranges);
    expect(unwrap(decodeProtected(v11.subarray(0, 8 + 24)))).toEqual([{ ...ranges[0], sealed: false }]);
  });

  it('round-trip DIS and BT results', () => {
    fc.assert(fc.property(disResult, (r) => {
      const decoded = unwrap(decodeDis(encodeDis(r)));
      expect({ ...decoded, instructions: decoded.instructions.map((i) => ({ ...i, bytes: Uint8Array.from(i.bytes) })) }).toEqual(r);
    }));
    fc.assert(fc.property(btResult, (r) => { expect(unwrap(decodeBt(encodeBt(r)))).toEqual(r); }));
  });

  it('round-trip a register snapshot field by field', () => {
    fc.assert(fc.property(regs, (r) => {
      const bytes = encodeRegs(r);
      expect(bytes.length).toBe(RegisterSnapshot.size);
      expect(unwrap(decodeRegs(bytes))).toEqual(r);
    }));
  });

  it('round-trip EXIT_STATS, leaving out zero counts and summing the total', () => {
    fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: 1n << 48n }), { minLength: EXIT_REASON_COUNT, maxLength: EXIT_REASON_COUNT }), u32, (counts, vcpu) => {
      const nonZero = counts.flatMap((count, reason) => (count === 0n ? [] : [{ reason, count }]));
      const bytes = new Uint8Array(exitStatsSize(nonZero.length));
      encodeExitStats(vcpu, counts, bytes);
      expect(unwrap(decodeExitStats(bytes))).toEqual({ vcpu, total: counts.reduce((a, b) => a + b, 0n), counts: nonZero });
    }));
  });

  it('round-trip LOG_READ records with any text', () => {
    fc.assert(fc.property(u64, u64, fc.array(logRecord, { maxLength: 10 }), (nextCursor, lost, records) => {
      expect(unwrap(decodeLogRead(encodeLogRead({ nextCursor, lost, records })))).toEqual({ nextCursor, lost, records });
    }));
  });

  it('round-trip the MAP_SHARED page, and put each counter and total where the spec says', () => {
    fc.assert(fc.property(sharedPage, (value) => {
      const bytes = encodeSharedPage(value);
      expect(unwrap(decodeSharedPage(bytes))).toEqual(value);
      const view = new DataView(bytes.buffer);
      value.counts.forEach((row, v) => {
        expect(view.getBigUint64(32 + 616 * v, true)).toBe(value.totals[v]);
        expect(view.getBigUint64(32 + 616 * v + 8 + 8 * ExitReason.HLT, true)).toBe(row[ExitReason.HLT]);
      });
    }), { numRuns: 50 });
    expect([sharedTotalOffset(1), sharedCounterOffset(1, 0), sharedCounterOffset(5, EXIT_REASON_COUNT - 1) + 8]).toEqual([648, 656, 32 + 6 * 616]);
    expect(SHARED_PAGE_MAX_VCPUS).toBe(6);
  });
});

/** One valid argument encoding per op, from random values. */
const ARGS: Record<OpName, fc.Arbitrary<Uint8Array>> = {
  HELLO: fc.constant(new Uint8Array(0)),
  OPS: fc.constant(new Uint8Array(0)),
  VM_INFO: fc.constant(new Uint8Array(0)),
  VCPU_REGS: fc.nat({ max: 0xfffffffe }).map(encodeVcpuArgs),
  EXIT_STATS: u32.map(encodeVcpuArgs),
  LOG_READ: logReadArgs.map(encodeLogReadArgs),
  TRANSLATE: u64.map(encodeAddressArgs),
  MEM_READ: memReadArgs.map(encodeMemReadArgs),
  PROTECT: range.map(encodeRangeArgs),
  UNPROTECT: range.map(encodeRangeArgs),
  PROTECTED: fc.constant(new Uint8Array(0)),
  STATS_RESET: u32.map(encodeVcpuArgs),
  LOG_LEVEL: logLevel.map(encodeLogLevelArgs),
  ECHO: fc.uint8Array({ maxLength: 256 }),
  DIS: disArgs.map(encodeDisArgs),
  BT: btArgs.map(encodeBtArgs),
  SEAL: range.map(encodeRangeArgs),
};
/** One valid result encoding per op, from random values. */
const RESULTS: Record<OpName, fc.Arbitrary<Uint8Array>> = {
  HELLO: fc.string().map(encodeText),
  OPS: fc.array(fc.record({ op: u16, name: ascii(24), privileged: fc.boolean() }), { maxLength: 14 }).map((ops) => { const b = new Uint8Array(opsSize(ops.length)); encodeOps(ops, b); return b; }),
  VM_INFO: fc.record({ vcpuCount: u32, logLevel: u32, memoryBytes: u64, uptimeNs: u64, vmmName: ascii(32) }).map((i) => encodeVmInfo(i)),
  VCPU_REGS: regs.map((r) => encodeRegs(r)),
  EXIT_STATS: fc.array(fc.nat(), { maxLength: EXIT_REASON_COUNT }).map((c) => { const b = new Uint8Array(exitStatsSize(c.filter((n) => n !== 0).length)); encodeExitStats(0, c, b); return b; }),
  LOG_READ: fc.array(logRecord, { maxLength: 4 }).map((records) => encodeLogRead({ nextCursor: 0n, lost: 0n, records })),
  TRANSLATE: fc.record({ gpa: u64, pageSize: u64, flags: u32 }).map(encodeTranslation),
  MEM_READ: fc.uint8Array({ maxLength: 256 }),
  PROTECT: fc.constant(new Uint8Array(0)),
  UNPROTECT: fc.constant(new Uint8Array(0)),
  PROTECTED: fc.array(protectedRange, { maxLength: 8 }).map(encodeProtected),
  STATS_RESET: fc.constant(new Uint8Array(0)),
  LOG_LEVEL: fc.tuple(u32, u32).map(([a, b]) => encodeLogLevelResult(a, b)),
  ECHO: fc.uint8Array({ maxLength: 256 }),
  DIS: disResult.map(encodeDis),
  BT: btResult.map((r) => encodeBt(r)),
  SEAL: fc.constant(new Uint8Array(0)),
};
const opNames = Object.keys(Op) as OpName[];
const requestEntry = fc.constantFrom(...opNames).chain((name) => ARGS[name].map((args) => ({ op: Op[name], args })));
const responseEntry = fc.constantFrom(...opNames).chain((name) => RESULTS[name].map((data) => ({ op: Op[name], data })));

describe('whole messages of every op', () => {
  it('round-trip requests whose entries carry valid arguments, each passing checkArgs', () => {
    fc.assert(fc.property(fc.array(requestEntry, { maxLength: 30 }), (entries) => {
      const decoded = unwrap(decodeRequest(encodeRequest(entries)));
      expect(decoded.entries.map((e) => ({ op: e.op, args: Uint8Array.from(e.args) }))).toEqual(entries);
      for (const e of decoded.entries) expect(checkArgs(e.op, e.args).ok, `op ${e.op}`).toBe(true);
    }));
  });

  it('round-trip responses whose entries carry valid results, each passing checkResult', () => {
    fc.assert(fc.property(fc.array(responseEntry, { maxLength: 12 }), (answers) => {
      const writer = new ResponseWriter(new Uint8Array(64 * 1024));
      for (const a of answers) expect(writer.data(a.op, a.data)).toBe(true);
      const decoded = unwrap(decodeResponse(writer.bytes.subarray(0, writer.finish())));
      expect(decoded.entries.map((e) => ({ op: e.op, data: Uint8Array.from(e.data) }))).toEqual(answers);
      for (const e of decoded.entries) expect(checkResult(e.op, e.data).ok, `op ${e.op}`).toBe(true);
    }));
  });
});

describe('hostile bytes in op payloads', () => {
  const anyOp = fc.integer({ min: 0, max: 20 });
  it('never make checkArgs or checkResult throw, and always map to a defined status', () => {
    fc.assert(fc.property(anyOp, fc.uint8Array({ maxLength: 300 }), (op, bytes) => {
      for (const checked of [checkArgs(op, bytes), checkResult(op, bytes)]) {
        if (!checked.ok) expect(isStatus(checked.error.status)).toBe(true);
      }
    }), { numRuns: 3000 });
  });

  it('never make checkResult throw on valid results with bytes flipped or cut', () => {
    fc.assert(fc.property(responseEntry, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), ({ op, data }, flips, cut) => {
      const bytes = data.slice(0, data.length === 0 ? 0 : cut % (data.length + 1));
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      const checked = checkResult(op, bytes);
      if (!checked.ok) expect(checked.error.status).toBe(Status.EPROTO);
    }), { numRuns: 2000 });
  });

  it('never make the shared page decoder throw on a random page', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }), sharedPage, fc.nat({ max: 63 }), (noise, value, header) => {
      const bytes = encodeSharedPage(value);
      bytes.set(noise.subarray(0, header % 32));
      const decoded = decodeSharedPage(bytes);
      if (!decoded.ok) expect(decoded.error.status).toBe(Status.EPROTO);
      else expect(decoded.value.counts.length).toBeLessThanOrEqual(SHARED_PAGE_MAX_VCPUS);
    }), { numRuns: 300 });
  });
});
