/**
 * GDB remote serial protocol framing (gdb manual, "Overview" of the remote protocol):
 * `$data#cs` with a modulo-256 checksum in two hex digits, `+`/`-` acknowledgements, 0x03 to
 * interrupt, and `}` escaping of `$`, `#`, `}` and `*` in binary data. A reader never throws: bytes
 * outside a packet are skipped, a packet longer than its limit is reported as too long and its bytes
 * are dropped, a bad checksum is reported as such.
 */

export type PacketEvent =
  | { readonly kind: 'packet'; readonly data: Buffer }
  | { readonly kind: 'bad-checksum' }
  | { readonly kind: 'too-long' }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak' }
  | { readonly kind: 'interrupt' };

const DOLLAR = 0x24;
const HASH = 0x23;
const PLUS = 0x2b;
const MINUS = 0x2d;
const INTERRUPT = 0x03;
const ESCAPE = 0x7d;

const Phase = { IDLE: 0, DATA: 1, CHECKSUM1: 2, CHECKSUM2: 3 } as const;

export class PacketReader {
  private phase: number = Phase.IDLE;
  private readonly buffer: Buffer;
  private length = 0;
  private overflow = false;
  private sum = 0;
  private expected = 0;

  constructor(readonly maxLength: number) {
    this.buffer = Buffer.alloc(maxLength);
  }

  /** Feed received bytes; returns the events they complete, in order. */
  feed(bytes: Uint8Array): PacketEvent[] {
    const events: PacketEvent[] = [];
    for (const byte of bytes) {
      switch (this.phase) {
        case Phase.IDLE:
          if (byte === DOLLAR) this.start();
          else if (byte === PLUS) events.push({ kind: 'ack' });
          else if (byte === MINUS) events.push({ kind: 'nak' });
          else if (byte === INTERRUPT) events.push({ kind: 'interrupt' });
          break;
        case Phase.DATA:
          if (byte === HASH) this.phase = Phase.CHECKSUM1;
          else if (byte === DOLLAR) this.start(); // a packet cut short and restarted
          else {
            this.sum = (this.sum + byte) & 0xff;
            if (this.length < this.maxLength) this.buffer[this.length++] = byte;
            else this.overflow = true;
          }
          break;
        case Phase.CHECKSUM1:
          this.expected = hexValue(byte) << 4;
          this.phase = Phase.CHECKSUM2;
          break;
        case Phase.CHECKSUM2: {
          this.expected |= hexValue(byte);
          this.phase = Phase.IDLE;
          if (this.overflow) events.push({ kind: 'too-long' });
          else if (this.expected !== this.sum) events.push({ kind: 'bad-checksum' });
          else events.push({ kind: 'packet', data: Buffer.from(this.buffer.subarray(0, this.length)) });
          break;
        }
      }
    }
    return events;
  }

  private start(): void {
    this.phase = Phase.DATA;
    this.length = 0;
    this.sum = 0;
    this.overflow = false;
  }
}

/** A hex digit's value; 0x100 for anything else, so a checksum with it never matches. */
function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return 0x100;
}

export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const byte of data) sum = (sum + byte) & 0xff;
  return sum;
}

/** `$data#cs` for a packet to send (data already escaped where it is binary). */
export function frame(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return Buffer.concat([Buffer.from('$'), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, '0')}`)]);
}

/** Escape binary data for a packet: `$`, `#`, `}` and `*` become `}` and the byte XOR 0x20. */
export function escapeBinary(data: Uint8Array): Buffer {
  const out: number[] = [];
  for (const byte of data) {
    if (byte === DOLLAR || byte === HASH || byte === ESCAPE || byte === 0x2a) out.push(ESCAPE, byte ^ 0x20);
    else out.push(byte);
  }
  return Buffer.from(out);
}

/** Undo escapeBinary (the X packet's data); a trailing lone `}` is dropped. */
export function unescapeBinary(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length);
  let n = 0;
  for (let k = 0; k < data.length; k++) {
    if (data[k] === ESCAPE) {
      if (++k < data.length) out[n++] = data[k]! ^ 0x20;
    } else out[n++] = data[k]!;
  }
  return out.subarray(0, n);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Bytes of a hex string, or undefined when it is not one (odd length, other characters). */
export function fromHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

/** A hex number of the protocol (addresses, lengths), or undefined when it is not one or passes 2^64. */
export function parseHexNumber(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return undefined;
  return BigInt(`0x${text}`);
}
