/**
 * The VMM log ring: a bounded ring of records in shared memory that readers consume by cursor
 * (the record sequence number). When writers lap a reader, the reader is told how many records it
 * lost and continues with the oldest record still kept.
 *
 * Sequence numbers are 64-bit in the header and exact doubles (below 2^53) in the slots: at ten
 * million records a second a run would need 28 years to exhaust them, where a 32-bit counter
 * wrapped in hours of a guest logging unknown VMCALLs.
 */
import type { LogLevel, LogReadResult, LogRecord } from './monitor-api.js';

/** Header: a BigInt64 record counter, then an Int32 lock. */
const HEADER_BYTES = 16;
const LOCK = 2;
const SLOT_BYTES = 1024;
/** Slot layout: f64 sequence+1 (0 = empty), u32 level, u32 zero, f64 time, u16 scope length, u16 message length, text. */
const LEVEL_OFFSET = 8;
const TIME_OFFSET = 16;
const SCOPE_LENGTH_OFFSET = 24;
const MESSAGE_LENGTH_OFFSET = 26;
const TEXT_OFFSET = 28;
export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogRingHandle {
  readonly header: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LogRing {
  private readonly counter: BigInt64Array;
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  readonly slotCount: number;

  /** A ring of `slots` records whose first record gets `firstSequence` (a VM restored from a snapshot goes on numbering). */
  static create(slots: number, firstSequence = 0): LogRing {
    const ring = new LogRing({ header: new SharedArrayBuffer(HEADER_BYTES), slots: new SharedArrayBuffer(slots * SLOT_BYTES) });
    Atomics.store(ring.counter, 0, BigInt(firstSequence));
    return ring;
  }

  constructor(readonly handle: LogRingHandle) {
    this.counter = new BigInt64Array(handle.header, 0, 1);
    this.header = new Int32Array(handle.header);
    this.bytes = new Uint8Array(handle.slots);
    this.view = new DataView(handle.slots);
    this.slotCount = this.bytes.length / SLOT_BYTES;
  }

  /** Records written so far: the cursor a reader that wants only new records starts at. */
  get next(): number {
    return Number(Atomics.load(this.counter, 0));
  }

  /** Append a record; text longer than a slot is cut (the serial console still has all of it). */
  append(level: LogLevel, scope: string, message: string, timeMs: number): void {
    const scopeBytes = encoder.encode(scope).subarray(0, 32);
    const messageBytes = encoder.encode(message).subarray(0, SLOT_BYTES - TEXT_OFFSET - scopeBytes.length);
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
    const sequence = this.next;
    const at = (sequence % this.slotCount) * SLOT_BYTES;
    this.view.setFloat64(at, 0, true); // mark the slot as being rewritten
    this.view.setUint32(at + LEVEL_OFFSET, LEVELS.indexOf(level), true);
    this.view.setFloat64(at + TIME_OFFSET, timeMs, true);
    this.view.setUint16(at + SCOPE_LENGTH_OFFSET, scopeBytes.length, true);
    this.view.setUint16(at + MESSAGE_LENGTH_OFFSET, messageBytes.length, true);
    this.bytes.set(scopeBytes, at + TEXT_OFFSET);
    this.bytes.set(messageBytes, at + TEXT_OFFSET + scopeBytes.length);
    this.view.setFloat64(at, sequence + 1, true);
    Atomics.store(this.counter, 0, BigInt(sequence + 1));
    Atomics.store(this.header, LOCK, 0);
  }

  /** Read from `cursor` on, at most `max` records. */
  read(cursor: number, max = this.slotCount): LogReadResult {
    const next = this.next;
    const oldest = Math.max(0, next - this.slotCount);
    const start = Math.min(Math.max(cursor, oldest), next);
    let lost = Math.max(0, oldest - cursor);
    const records: LogRecord[] = [];
    let sequence = start;
    for (; sequence < next && records.length < max; sequence++) {
      const at = (sequence % this.slotCount) * SLOT_BYTES;
      const record = this.decode(at, sequence);
      if (record === undefined) {
        lost++; // a writer lapped us while we read this slot
        continue;
      }
      records.push(record);
    }
    return { records, lost, nextCursor: sequence };
  }

  private decode(at: number, sequence: number): LogRecord | undefined {
    if (this.view.getFloat64(at, true) !== sequence + 1) return undefined;
    const scopeLength = this.view.getUint16(at + SCOPE_LENGTH_OFFSET, true);
    const messageLength = this.view.getUint16(at + MESSAGE_LENGTH_OFFSET, true);
    const record: LogRecord = {
      sequence,
      level: LEVELS[this.view.getUint32(at + LEVEL_OFFSET, true)] ?? 'error',
      timeMs: this.view.getFloat64(at + TIME_OFFSET, true),
      scope: decoder.decode(this.bytes.slice(at + TEXT_OFFSET, at + TEXT_OFFSET + scopeLength)),
      message: decoder.decode(this.bytes.slice(at + TEXT_OFFSET + scopeLength, at + TEXT_OFFSET + scopeLength + messageLength)),
    };
    // A writer that reused the slot meanwhile changed its sequence: the copy may be torn.
    return this.view.getFloat64(at, true) === sequence + 1 ? record : undefined;
  }
}
