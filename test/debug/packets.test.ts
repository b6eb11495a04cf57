import { describe, expect, it } from 'vitest';
import { PacketReader, checksum, escapeBinary, frame, fromHex, parseHexNumber, unescapeBinary } from '../../vmm/debug/packets.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('remote protocol framing', () => {
  it('reads a packet split anywhere across reads, with acks and interrupts around it', () => {
    const reader = new PacketReader(64);
    const stream = bytes(`+${frame('qSupported:swbreak+').toString('latin1')}\x03-`);
    for (let cut = 0; cut <= stream.length; cut++) {
      const events = [...reader.feed(stream.subarray(0, cut)), ...reader.feed(stream.subarray(cut))];
      expect(events.map((e) => (e.kind === 'packet' ? e.data.toString() : e.kind))).toEqual(['ack', 'qSupported:swbreak+', 'interrupt', 'nak']);
    }
  });

  it('reports a wrong or non-hex checksum instead of the packet', () => {
    const reader = new PacketReader(64);
    expect(reader.feed(bytes('$g#00'))).toEqual([{ kind: 'bad-checksum' }]);
    expect(reader.feed(bytes('$g#zz'))).toEqual([{ kind: 'bad-checksum' }]);
    expect(reader.feed(bytes('$g#67'))).toEqual([{ kind: 'packet', data: bytes('g') }]);
    expect(reader.feed(bytes('$g#6G'))).toEqual([{ kind: 'bad-checksum' }]);
  });

  it('drops a packet longer than its limit and reads the next one', () => {
    const reader = new PacketReader(16);
    const events = reader.feed(Buffer.concat([bytes(`$${'a'.repeat(1000)}#00`), frame('?')]));
    expect(events).toEqual([{ kind: 'too-long' }, { kind: 'packet', data: bytes('?') }]);
  });

  it('starts again at a $ inside a packet cut short', () => {
    expect(new PacketReader(64).feed(bytes(`$m10${frame('?').toString('latin1')}`))).toEqual([{ kind: 'packet', data: bytes('?') }]);
  });

  it('escapes every byte binary data cannot carry, and unescapes it back', () => {
    const all = Uint8Array.from({ length: 256 }, (_, k) => k);
    const escaped = escapeBinary(all);
    for (const special of [0x23, 0x24, 0x2a]) expect(escaped.includes(special)).toBe(false);
    expect(unescapeBinary(escaped)).toEqual(Buffer.from(all));
    // A packet of escaped data frames and reads back whole.
    const [event] = new PacketReader(1024).feed(frame(Buffer.concat([bytes('X0,100:'), escaped])));
    expect(event?.kind === 'packet' && unescapeBinary(event.data.subarray(7))).toEqual(Buffer.from(all));
  });

  it('frames with the modulo-256 sum of the data', () => {
    expect(frame('OK').toString()).toBe('$OK#9a');
    expect(checksum(bytes('OK'))).toBe(0x9a);
  });

  it('parses hex numbers and strings, refusing what is not one', () => {
    expect(parseHexNumber('ffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(parseHexNumber('10000000000000000')).toBeUndefined();
    expect(parseHexNumber('')).toBeUndefined();
    expect(parseHexNumber('-1')).toBeUndefined();
    expect(fromHex('0aFf')).toEqual(Buffer.from([0x0a, 0xff]));
    expect(fromHex('abc')).toBeUndefined();
    expect(fromHex('zz')).toBeUndefined();
  });
});
