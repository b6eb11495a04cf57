/**
 * The CALL message codec, both sides, on plain byte arrays (guest memory copies and tests alike).
 * The guest encodes requests and decodes responses; the VMM decodes requests and writes responses.
 * Decoding never throws on hostile bytes: it returns a Decoded whose error carries the status.
 */
import {
  ABI_MAJOR, ABI_MINOR, MAX_ENTRIES, MAX_MESSAGE_SIZE, REQUEST_FLAGS_MASK, REQUEST_MAGIC,
  RESPONSE_MAGIC, Status,
} from './constants.js';
import { align8 } from './layout.js';
import { RequestEntry, RequestHeader, ResponseEntry, ResponseHeader } from './structs.js';

/** Why bytes were refused, and the status the spec assigns to it. */
export interface DecodeError {
  readonly status: Status;
  readonly reason: string;
}
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

export function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}
export function fail<T = never>(status: Status, reason: string): Decoded<T> {
  return { ok: false, error: { status, reason } };
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Data up to this many bytes is copied byte by byte: cheaper than making a view for set(). */
const SMALL_COPY = 64;

function paddingIsZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

// --- requests ----------------------------------------------------------------------------------

export interface RequestEntryInput {
  readonly op: number;
  readonly args?: Uint8Array;
}

export interface RequestEntryView {
  readonly op: number;
  /** A view into the request bytes (not a copy). */
  readonly args: Uint8Array;
}

export interface RequestView {
  readonly flags: number;
  readonly versionMinor: number;
  readonly entries: readonly RequestEntryView[];
}

export function requestSize(entries: readonly RequestEntryInput[]): number {
  let size = RequestHeader.size;
  for (const entry of entries) size += RequestEntry.size + align8(entry.args?.length ?? 0);
  return size;
}

/**
 * Encode a request into `out` (from offset 0) or a new array; returns the bytes used.
 * Throws RangeError when `out` is too small: that is the caller's own buffer, not hostile input.
 */
export function encodeRequest(
  entries: readonly RequestEntryInput[],
  flags = 0,
  out?: Uint8Array,
): Uint8Array {
  const size = requestSize(entries);
  const bytes = out ?? new Uint8Array(size);
  if (bytes.length < size) throw new RangeError(`request needs ${size} bytes, buffer has ${bytes.length}`);
  const view = viewOf(bytes);
  view.setUint32(RequestHeader.offset.magic, REQUEST_MAGIC, true);
  view.setUint16(RequestHeader.offset.version_major, ABI_MAJOR, true);
  view.setUint16(RequestHeader.offset.version_minor, ABI_MINOR, true);
  view.setUint32(RequestHeader.offset.flags, flags, true);
  view.setUint32(RequestHeader.offset.entry_count, entries.length, true);
  view.setUint32(RequestHeader.offset.total_length, size, true);
  view.setUint32(RequestHeader.offset.reserved0, 0, true);
  let at = RequestHeader.size;
  for (const entry of entries) {
    const argLength = entry.args?.length ?? 0;
    view.setUint16(at + RequestEntry.offset.op, entry.op, true);
    view.setUint16(at + RequestEntry.offset.flags, 0, true);
    view.setUint32(at + RequestEntry.offset.arg_length, argLength, true);
    at += RequestEntry.size;
    if (entry.args) bytes.set(entry.args, at);
    bytes.fill(0, at + argLength, at + align8(argLength));
    at += align8(argLength);
  }
  return bytes.subarray(0, size);
}

/** Check the header of a request: the `total_length` it claims, or why it is refused. */
export function requestLength(bytes: Uint8Array): Decoded<number> {
  if (bytes.length < RequestHeader.size) return fail(Status.EINVAL, `request of ${bytes.length} bytes is shorter than its ${RequestHeader.size}-byte header`);
  const view = viewOf(bytes);
  const magic = view.getUint32(RequestHeader.offset.magic, true);
  if (magic !== REQUEST_MAGIC) return fail(Status.EPROTO, `bad request magic 0x${magic.toString(16)}`);
  const major = view.getUint16(RequestHeader.offset.version_major, true);
  if (major !== ABI_MAJOR) return fail(Status.EPROTO, `ABI major version ${major} is not ${ABI_MAJOR}`);
  const total = view.getUint32(RequestHeader.offset.total_length, true);
  if (total > MAX_MESSAGE_SIZE) return fail(Status.E2BIG, `request of ${total} bytes exceeds ${MAX_MESSAGE_SIZE}`);
  return ok(total);
}

/**
 * A request's entries walked in place: each entry's op and where its arguments lie, with nothing
 * allocated per entry (the VMM runs a 256-entry CALL off one of these). `next()` trusts the
 * framing, so walk only a request `checkRequest` accepted (or check `following` before each step).
 */
export class RequestEntries {
  op = 0;
  flags = 0;
  /** The current entry's arguments are `bytes[argStart, argStart + argLength)`. */
  argStart = 0;
  argLength = 0;
  /** Where the entry after the current one starts (its arguments padded to 8 bytes). */
  following: number = RequestHeader.size;
  private readonly view: DataView;
  private index = 0;

  constructor(readonly bytes: Uint8Array, readonly count: number) {
    this.view = viewOf(bytes);
  }

  /** Step to the next entry; false after the last. */
  next(): boolean {
    if (this.index === this.count) return false;
    const at = this.following;
    this.op = this.view.getUint16(at + RequestEntry.offset.op, true);
    this.flags = this.view.getUint16(at + RequestEntry.offset.flags, true);
    this.argLength = this.view.getUint32(at + RequestEntry.offset.arg_length, true);
    this.argStart = at + RequestEntry.size;
    this.following = this.argStart + align8(this.argLength);
    this.index++;
    return true;
  }

  /** The current entry's arguments as a view of the request bytes (allocates: for decoders). */
  args(): Uint8Array {
    return this.bytes.subarray(this.argStart, this.argStart + this.argLength);
  }
}

export interface RequestHeaderView {
  readonly flags: number;
  readonly versionMinor: number;
  readonly count: number;
}

/**
 * Check a whole request (VMM side) without copying it: the header, then every entry's framing,
 * before any entry runs. `bytes` must be exactly the request the guest passed.
 */
export function checkRequest(bytes: Uint8Array): Decoded<RequestHeaderView> {
  const length = requestLength(bytes);
  if (!length.ok) return length;
  const view = viewOf(bytes);
  if (length.value !== bytes.length) return fail(Status.EINVAL, `header says ${length.value} bytes, request is ${bytes.length}`);
  const flags = view.getUint32(RequestHeader.offset.flags, true);
  if ((flags & ~REQUEST_FLAGS_MASK) !== 0) return fail(Status.EINVAL, `reserved request flags 0x${flags.toString(16)}`);
  if (view.getUint32(RequestHeader.offset.reserved0, true) !== 0) return fail(Status.EINVAL, 'reserved0 of the request header is not zero');
  const count = view.getUint32(RequestHeader.offset.entry_count, true);
  if (count > MAX_ENTRIES) return fail(Status.E2BIG, `${count} entries exceed ${MAX_ENTRIES}`);
  const walk = new RequestEntries(bytes, count);
  for (let i = 0; i < count; i++) {
    if (walk.following + RequestEntry.size > bytes.length) return fail(Status.EINVAL, `entry ${i} header runs past the request`);
    walk.next();
    if (walk.flags !== 0) return fail(Status.EINVAL, `entry ${i} has reserved flags 0x${walk.flags.toString(16)}`);
    if (walk.following > bytes.length) return fail(Status.EINVAL, `entry ${i} arguments (${walk.argLength} bytes) run past the request`);
    if (!paddingIsZero(bytes, walk.argStart + walk.argLength, walk.following)) return fail(Status.EINVAL, `entry ${i} padding is not zero`);
  }
  if (walk.following !== bytes.length) return fail(Status.EINVAL, `${bytes.length - walk.following} bytes follow the last entry`);
  return ok({ flags, versionMinor: view.getUint16(RequestHeader.offset.version_minor, true), count });
}

/** Decode a whole request into entries (tests and tools; the VMM walks it with RequestEntries). */
export function decodeRequest(bytes: Uint8Array): Decoded<RequestView> {
  const checked = checkRequest(bytes);
  if (!checked.ok) return checked;
  const entries: RequestEntryView[] = [];
  const walk = new RequestEntries(bytes, checked.value.count);
  while (walk.next()) entries.push({ op: walk.op, args: walk.args() });
  return ok({ flags: checked.value.flags, versionMinor: checked.value.versionMinor, entries });
}

// --- responses ---------------------------------------------------------------------------------

/**
 * Writes a response into a fixed-capacity buffer (VMM side). An entry that does not fit is written
 * as ENOSPC with the length it needs, when its header still fits; the writer then refuses more.
 */
export class ResponseWriter {
  private view: DataView;
  private at = ResponseHeader.size;
  private count = 0;
  private firstError = 0;
  /** True once an entry did not fit: later entries are not run. */
  exhausted = false;

  /** The response is written at the start of `bytes`. */
  constructor(readonly bytes: Uint8Array) {
    this.view = viewOf(bytes);
  }

  /** Start again on (a prefix of) the buffer; false when not even the header fits. */
  reset(capacity = this.bytes.length): boolean {
    this.at = ResponseHeader.size;
    this.count = 0;
    this.firstError = 0;
    this.exhausted = capacity < ResponseHeader.size;
    if (capacity !== this.view.byteLength) this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, Math.min(capacity, this.bytes.length));
    return !this.exhausted;
  }

  get entries(): number {
    return this.count;
  }

  /** An entry without data (a status only). */
  status(op: number, status: number): boolean {
    return this.entry(op, status, 0, undefined);
  }

  /** An entry whose data is `data`. */
  data(op: number, data: Uint8Array): boolean {
    return this.copy(op, data, 0, data.length);
  }

  /** An entry whose data is `source[start, start + length)`: a small copy is a loop, not a view and set(). */
  copy(op: number, source: Uint8Array, start: number, length: number): boolean {
    const at = this.place(op, Status.OK, length);
    if (at < 0) return false;
    if (length <= SMALL_COPY) for (let i = 0; i < length; i++) this.bytes[at + i] = source[start + i]!;
    else this.bytes.set(start === 0 && length === source.length ? source : source.subarray(start, start + length), at);
    return true;
  }

  /** An entry with `status` and `length` data bytes that `fill` writes at `at` (the view covers the buffer). */
  entry(op: number, status: number, length: number, fill: ((bytes: Uint8Array, at: number, view: DataView) => void) | undefined): boolean {
    const at = this.place(op, status, length);
    if (at < 0) return false;
    if (fill && length > 0) fill(this.bytes, at, this.view);
    return true;
  }

  /**
   * Write an entry's header and zero its padding; returns where its data goes, or -1 when it did
   * not fit (written as ENOSPC with the length it needs, if its header fits).
   */
  private place(op: number, status: number, length: number): number {
    if (this.exhausted) return -1;
    const capacity = this.view.byteLength;
    const end = this.at + ResponseEntry.size + align8(length);
    if (end > capacity) {
      this.exhausted = true;
      if (this.at + ResponseEntry.size > capacity) return -1;
      this.writeEntryHeader(op, Status.ENOSPC, 0, length);
      this.at += ResponseEntry.size;
      return -1;
    }
    this.writeEntryHeader(op, status, length, length);
    const dataAt = this.at + ResponseEntry.size;
    for (let i = dataAt + length; i < end; i++) this.bytes[i] = 0; // at most 7 bytes: a loop beats fill()
    this.at = end;
    return dataAt;
  }

  private writeEntryHeader(op: number, status: number, dataLength: number, needed: number): void {
    const v = this.view;
    v.setUint16(this.at + ResponseEntry.offset.op, op, true);
    v.setUint16(this.at + ResponseEntry.offset.reserved0, 0, true);
    v.setInt32(this.at + ResponseEntry.offset.status, status, true);
    v.setUint32(this.at + ResponseEntry.offset.data_length, dataLength, true);
    v.setUint32(this.at + ResponseEntry.offset.needed_length, needed, true);
    this.count++;
    if (status !== Status.OK && this.firstError === 0) this.firstError = status;
  }

  /** Write the header; returns the response length (0 when not even the header fit). */
  finish(): number {
    if (this.view.byteLength < ResponseHeader.size) return 0;
    const v = this.view;
    v.setUint32(ResponseHeader.offset.magic, RESPONSE_MAGIC, true);
    v.setUint16(ResponseHeader.offset.version_major, ABI_MAJOR, true);
    v.setUint16(ResponseHeader.offset.version_minor, ABI_MINOR, true);
    v.setUint32(ResponseHeader.offset.entry_count, this.count, true);
    v.setUint32(ResponseHeader.offset.total_length, this.at, true);
    v.setInt32(ResponseHeader.offset.first_error, this.firstError, true);
    v.setUint32(ResponseHeader.offset.reserved0, 0, true);
    return this.at;
  }
}

export interface ResponseEntryView {
  readonly op: number;
  readonly status: number;
  /** A view into the response bytes (not a copy). */
  readonly data: Uint8Array;
  readonly neededLength: number;
}

export interface ResponseView {
  readonly versionMinor: number;
  readonly firstError: number;
  readonly entries: readonly ResponseEntryView[];
}

/** Decode a response (guest side). Trailing bytes past total_length are ignored. */
export function decodeResponse(bytes: Uint8Array): Decoded<ResponseView> {
  if (bytes.length < ResponseHeader.size) return fail(Status.EPROTO, `response of ${bytes.length} bytes is shorter than its header`);
  const view = viewOf(bytes);
  if (view.getUint32(ResponseHeader.offset.magic, true) !== RESPONSE_MAGIC) return fail(Status.EPROTO, 'bad response magic');
  const major = view.getUint16(ResponseHeader.offset.version_major, true);
  if (major !== ABI_MAJOR) return fail(Status.EPROTO, `ABI major version ${major} is not ${ABI_MAJOR}`);
  const total = view.getUint32(ResponseHeader.offset.total_length, true);
  if (total > bytes.length || total < ResponseHeader.size) return fail(Status.EPROTO, `response claims ${total} bytes of ${bytes.length}`);
  const count = view.getUint32(ResponseHeader.offset.entry_count, true);
  if (count > MAX_ENTRIES) return fail(Status.EPROTO, `${count} response entries exceed ${MAX_ENTRIES}`);
  const entries: ResponseEntryView[] = [];
  let at = ResponseHeader.size;
  for (let i = 0; i < count; i++) {
    if (at + ResponseEntry.size > total) return fail(Status.EPROTO, `response entry ${i} runs past the response`);
    const dataLength = view.getUint32(at + ResponseEntry.offset.data_length, true);
    const neededLength = view.getUint32(at + ResponseEntry.offset.needed_length, true);
    const dataStart = at + ResponseEntry.size;
    if (dataStart + align8(dataLength) > total) return fail(Status.EPROTO, `response entry ${i} data runs past the response`);
    if (neededLength < dataLength) return fail(Status.EPROTO, `response entry ${i} needs ${neededLength} bytes but carries ${dataLength}`);
    entries.push({
      op: view.getUint16(at + ResponseEntry.offset.op, true),
      status: view.getInt32(at + ResponseEntry.offset.status, true),
      data: bytes.subarray(dataStart, dataStart + dataLength),
      neededLength,
    });
    at = dataStart + align8(dataLength);
  }
  if (at !== total) return fail(Status.EPROTO, `${total - at} bytes follow the last response entry`);
  return ok({
    versionMinor: view.getUint16(ResponseHeader.offset.version_minor, true),
    firstError: view.getInt32(ResponseHeader.offset.first_error, true),
    entries,
  });
}
