/**
 * The VMM log ring: a bounded ring of records in shared memory that readers consume by cursor
 * (the record sequence number). When writers lap a reader, the reader is told how many records it
 * lost and continues with the oldest record still kept.
 */
import type { LogLevel, LogReadResult, LogRecord } from './monitor-api.js';

const NEXT = 0;
const LOCK = 1;
const SLOT_BYTES = 1024;
/** Slot layout: u32 sequence+1 (0 = empty), u32 level, f64 time, u16 scope length, u16 message length, text. */
const TEXT_OFFSET = 20;
export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogRingHandle {
  readonly header: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LogRing {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  readonly slotCount: number;

  static create(slots: number): LogRing {
    return new LogRing({ header: new SharedArrayBuffer(8), slots: new SharedArrayBuffer(slots * SLOT_BYTES) });
  }

  constructor(readonly handle: LogRingHandle) {
    this.header = new Int32Array(handle.header);
    this.bytes = new Uint8Array(handle.slots);
    this.view = new DataView(handle.slots);
    this.slotCount = this.bytes.length / SLOT_BYTES;
  }

  /** Records written so far: the cursor a reader that wants only new records starts at. */
  get next(): number {
    return Atomics.load(this.header, NEXT);
  }

  /** Append a record; text longer than a slot is cut (the serial console still has all of it). */
  append(level: LogLevel, scope: string, message: string, timeMs: number): void {
    const scopeBytes = encoder.encode(scope).subarray(0, 32);
    const messageBytes = encoder.encode(message).subarray(0, SLOT_BYTES - TEXT_OFFSET - scopeBytes.length);
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
    const sequence = Atomics.load(this.header, NEXT);
    const at = (sequence % this.slotCount) * SLOT_BYTES;
    this.view.setUint32(at, 0, true); // mark the slot as being rewritten
    this.view.setUint32(at + 4, LEVELS.indexOf(level), true);
    this.view.setFloat64(at + 8, timeMs, true);
    this.view.setUint16(at + 16, scopeBytes.length, true);
    this.view.setUint16(at + 18, messageBytes.length, true);
    this.bytes.set(scopeBytes, at + TEXT_OFFSET);
    this.bytes.set(messageBytes, at + TEXT_OFFSET + scopeBytes.length);
    this.view.setUint32(at, sequence + 1, true);
    Atomics.store(this.header, NEXT, sequence + 1);
    Atomics.store(this.header, LOCK, 0);
  }

  /** Read from `cursor` on, at most `max` records. */
  read(cursor: number, max = this.slotCount): LogReadResult {
    const next = Atomics.load(this.header, NEXT);
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
    if (this.view.getUint32(at, true) !== sequence + 1) return undefined;
    const scopeLength = this.view.getUint16(at + 16, true);
    const messageLength = this.view.getUint16(at + 18, true);
    const record: LogRecord = {
      sequence,
      level: LEVELS[this.view.getUint32(at + 4, true)] ?? 'error',
      timeMs: this.view.getFloat64(at + 8, true),
      scope: decoder.decode(this.bytes.slice(at + TEXT_OFFSET, at + TEXT_OFFSET + scopeLength)),
      message: decoder.decode(this.bytes.slice(at + TEXT_OFFSET + scopeLength, at + TEXT_OFFSET + scopeLength + messageLength)),
    };
    // A writer that reused the slot meanwhile changed its sequence: the copy may be torn.
    return this.view.getUint32(at, true) === sequence + 1 ? record : undefined;
  }
}
