import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ENTRIES, Op, RequestFlag, ResponseWriter, Status, decodeRequest, decodeResponse, encodeRequest, isStatus,
} from '../../shell-protocol/index.js';

const anyOp = fc.constantFrom(...Object.values(Op));
const entry = fc.record({ op: anyOp, args: fc.uint8Array({ maxLength: 64 }) });

describe('CALL requests', () => {
  it('round-trip every valid request', () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 40 }), fc.boolean(), (entries, stop) => {
      const bytes = encodeRequest(entries, stop ? RequestFlag.STOP_ON_ERROR : 0);
      const decoded = decodeRequest(bytes);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value.flags).toBe(stop ? RequestFlag.STOP_ON_ERROR : 0);
      expect(decoded.value.entries.map((e) => ({ op: e.op, args: Uint8Array.from(e.args) }))).toEqual(entries);
    }));
  });

  it('never throw on random bytes and always answer a defined status', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const decoded = decodeRequest(bytes);
      if (!decoded.ok) expect(isStatus(decoded.error.status)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('never throw on mutated valid requests and always answer a defined status', () => {
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (entries, flips) => {
      const bytes = encodeRequest(entries).slice();
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      const decoded = decodeRequest(bytes);
      if (!decoded.ok) expect(isStatus(decoded.error.status)).toBe(true);
      else expect(decoded.value.entries.length).toBeLessThanOrEqual(MAX_ENTRIES);
    }), { numRuns: 2000 });
  });
});

describe('CALL responses', () => {
  it('round-trip every set of answers that fits', () => {
    fc.assert(fc.property(fc.array(fc.record({ op: anyOp, data: fc.uint8Array({ maxLength: 100 }), failed: fc.boolean() }), { maxLength: 20 }), (answers) => {
      const writer = new ResponseWriter(new Uint8Array(8192));
      for (const a of answers) expect(a.failed ? writer.status(a.op, Status.EINVAL) : writer.data(a.op, a.data)).toBe(true);
      const length = writer.finish();
      const decoded = decodeResponse(new Uint8Array(writer.bytes.buffer, 0, length));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value.entries.map((e) => ({ op: e.op, status: e.status, data: Uint8Array.from(e.data) }))).toEqual(
        answers.map((a) => ({ op: a.op, status: a.failed ? Status.EINVAL : 0, data: a.failed ? new Uint8Array(0) : a.data })),
      );
      expect(decoded.value.firstError).toBe(answers.some((a) => a.failed) ? Status.EINVAL : 0);
    }));
  });

  it('copy a range of a buffer (an ECHO from the request) exactly as data made of that range', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (source, a, b) => {
      const start = source.length === 0 ? 0 : a % source.length;
      const length = source.length === 0 ? 0 : b % (source.length - start + 1);
      const copied = new ResponseWriter(new Uint8Array(512).fill(0xee));
      const viewed = new ResponseWriter(new Uint8Array(512).fill(0xee));
      expect(copied.copy(Op.ECHO, source, start, length)).toBe(true);
      expect(viewed.data(Op.ECHO, source.slice(start, start + length))).toBe(true);
      expect(copied.finish()).toBe(viewed.finish());
      expect(copied.bytes).toEqual(viewed.bytes);
    }));
  });

  it('report the size an entry needs when the response space runs out, and run nothing after it', () => {
    const writer = new ResponseWriter(new Uint8Array(64));
    expect(writer.data(Op.ECHO, new Uint8Array(8))).toBe(true);
    expect(writer.data(Op.MEM_READ, new Uint8Array(100))).toBe(false);
    expect(writer.exhausted).toBe(true);
    expect(writer.data(Op.ECHO, new Uint8Array(0))).toBe(false);
    const bytes = new Uint8Array(64);
    const length = writer.finish();
    bytes.set(writer.bytes.subarray(0, length));
    const decoded = decodeResponse(bytes.subarray(0, length));
    expect(decoded.ok && decoded.value.entries.map((e) => [e.op, e.status, e.data.length, e.neededLength])).toEqual([[Op.ECHO, 0, 8, 8], [Op.MEM_READ, Status.ENOSPC, 0, 100]]);
  });

  it('never write outside the capacity given, and stop with ENOSPC and the size needed when space runs out', () => {
    const answer = fc.record({ op: anyOp, data: fc.uint8Array({ maxLength: 200 }) });
    fc.assert(fc.property(fc.array(answer, { maxLength: 12 }), fc.nat({ max: 600 }), (answers, capacity) => {
      const canary = 0xa5;
      const memory = new Uint8Array(capacity + 32).fill(canary);
      const writer = new ResponseWriter(memory.subarray(16, 16 + capacity));
      const started = writer.reset();
      let completed = 0;
      for (const a of answers) {
        if (!writer.data(a.op, a.data)) break;
        completed++;
      }
      const length = writer.finish();
      expect(memory.subarray(0, 16).every((b) => b === canary) && memory.subarray(16 + capacity).every((b) => b === canary)).toBe(true);
      expect(length).toBeLessThanOrEqual(capacity);
      if (!started) {
        expect(length).toBe(0);
        return;
      }
      const decoded = decodeResponse(memory.subarray(16, 16 + length));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const entries = decoded.value.entries;
      expect(entries.slice(0, completed).map((e) => e.op)).toEqual(answers.slice(0, completed).map((a) => a.op));
      if (entries.length > completed) {
        // The entry that did not fit: its header only, saying how much data it needed.
        expect(entries.length).toBe(completed + 1);
        expect(entries[completed]).toMatchObject({ status: Status.ENOSPC, neededLength: answers[completed]!.data.length });
        expect(decoded.value.firstError).toBe(Status.ENOSPC);
      }
    }), { numRuns: 1000 });
  });

  it('refuse an entry that claims less needed space than the data it carries', () => {
    const writer = new ResponseWriter(new Uint8Array(64));
    writer.data(Op.ECHO, new Uint8Array(8));
    const bytes = writer.bytes.subarray(0, writer.finish());
    new DataView(bytes.buffer).setUint32(24 + 12, 4, true);
    const decoded = decodeResponse(bytes);
    expect(decoded.ok ? 0 : decoded.error.status).toBe(Status.EPROTO);
  });

  it('never throw on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const decoded = decodeResponse(bytes);
      if (!decoded.ok) expect(decoded.error.status).toBe(Status.EPROTO);
    }), { numRuns: 2000 });
  });
});
