import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKET_SIZE, parseGdbAddress } from '../../vmm/debug/gdb-server.js';
import { type PacketEvent, PacketReader, escapeBinary, frame } from '../../vmm/debug/packets.js';
import { TARGET_XML } from '../../vmm/debug/target.js';
import { gpa } from '../../vmm/hw/address.js';
import { type Booted, bootWithServer } from './gdb-session.js';

/** A gdb stand-in on a raw socket: it sends what a test says and reads replies as they come. */
class RawClient {
  private readonly reader = new PacketReader(1 << 20);
  private readonly events: PacketEvent[] = [];
  private wake: () => void = () => undefined;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (data) => {
      this.events.push(...this.reader.feed(data));
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => { resolve(); this.wake(); }));
    socket.on('error', () => undefined);
  }

  static open(b: Booted): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(b.server.address.port, b.server.address.host, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  raw(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next event from the server (an ack, a nak or a packet). */
  async next(timeoutMs = 10_000): Promise<PacketEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.socket.destroyed || Date.now() > deadline) throw new Error('no reply');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.events.shift()!;
  }

  /** Send a packet and return the reply's data, checking the server's ack first (unless no-ack). */
  async request(data: string | Buffer, ack = true): Promise<string> {
    this.raw(frame(data));
    if (ack) expect(await this.next()).toEqual({ kind: 'ack' });
    const reply = await this.next();
    if (reply.kind !== 'packet') throw new Error(`expected a packet, got ${reply.kind}`);
    if (ack) this.raw('+');
    return reply.data.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

let booted: Booted | undefined;
afterEach(async () => {
  await booted?.server.close();
  await booted?.vm.stop();
  booted = undefined;
});

async function boot(vcpus = 1): Promise<Booted> {
  booted = await bootWithServer('debug-loop', { vcpus });
  await booted.console.waitFor('debug-loop up\n');
  return booted;
}

const hex = (n: bigint): string => n.toString(16);

describe('the gdb server on a raw socket', () => {
  it('announces its features and serves target.xml in pieces that make up the description', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    const supported = await client.request('qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+');
    expect(supported.split(';')).toEqual(expect.arrayContaining([`PacketSize=${hex(BigInt(PACKET_SIZE))}`, 'qXfer:features:read+', 'QStartNoAckMode+']));
    let document = '';
    for (;;) {
      const piece = await client.request(`qXfer:features:read:target.xml:${document.length.toString(16)},100`);
      expect(piece[0]).toMatch(/[ml]/);
      document += piece.slice(1);
      if (piece[0] === 'l') break;
    }
    expect(document).toBe(TARGET_XML);
    expect(document).toContain('<architecture>i386:x86-64</architecture>');
    expect(await client.request('vCont?')).toBe('vCont;c;C;s;S;t');
    expect(await client.request('qfThreadInfo')).toBe('m1');
    expect(await client.request('qsThreadInfo')).toBe('l');
    client.close();
  });

  it('NAKs a bad checksum, resends its last reply on a NAK, and stops acking in no-ack mode', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    const stop = await client.request('?');
    expect(stop).toBe('T05thread:1;');
    client.raw('$?#00');
    expect(await client.next()).toEqual({ kind: 'nak' });
    client.raw('-');
    expect(await client.next()).toEqual({ kind: 'packet', data: Buffer.from(stop) });
    client.raw('+');
    expect(await client.request('QStartNoAckMode')).toBe('OK');
    expect(await client.request('qC', false)).toBe('QC1');
    client.close();
  });

  it('answers malformed, out-of-range and unknown requests with errors or "not supported", and the VM lives on', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    const cases: [string, string | RegExp][] = [
      ['mzz,4', 'E16'], ['m100000', 'E16'], ['m100000,zz', 'E16'], ['m1,10000000000000000', 'E16'],
      ['mffff800000000000,4', 'E0e'], ['m7fffffff000,10', 'E0e'],
      ['M100000,4:zz', 'E16'], ['M100000,8:00', 'E16'], ['Mffff800000000000,1:00', 'E0e'],
      ['Xffff800000000000,1:a', 'E0e'], ['X100000,2:a', 'E16'], ['X100000', 'E16'],
      ['G00', 'E16'], ['pffffffff', 'E16'], ['p', 'E16'], ['P0=zz', 'E16'], ['P0=00', 'E16'], ['P1000=0000000000000000', 'E16'],
      ['Z9,0,1', ''], ['Z0,zz,1', 'E16'], ['Z2,102000,ffffffffff', 'E16'], ['Z2,102000,0', 'E16'], ['Z2,ffff800000000000,4', 'E0e'],
      // A breakpoint on a page not mapped yet waits for the mapping; it can be taken out all the same.
      ['Z0,ffff800000000000,1', 'OK'], ['z0,ffff800000000000,1', 'OK'],
      ['z0,100030,1', 'OK'],
      ['Hgffff', 'E16'], ['Hx1', 'E16'], ['Hg-1', 'E16'], ['T99', 'E16'], ['T0', 'E16'],
      ['vCont;x', 'E16'], ['vCont;s:9', 'E16'], ['vFoo', ''],
      ['qXfer:features:read:other.xml:0,10', 'E16'], ['qXfer:features:read:target.xml:zz', 'E16'],
      ['qXfer:features:read:target.xml:ffffffff,10', 'l'], ['qXfer:auxv:read::0,10', ''],
      ['qRcmd,zz', 'E16'], ['qThreadExtraInfo,9', 'E16'], ['cq', 'E16'], ['', ''], ['Jxyz', ''],
    ];
    for (const [packet, expected] of cases) {
      const reply = await client.request(packet);
      if (typeof expected === 'string') expect({ packet, reply }).toEqual({ packet, reply: expected });
      else expect(reply).toMatch(expected);
    }
    // A huge read is cut to what fits a packet.
    const big = await client.request('m100000,ffffffffffffffff');
    expect(big.length).toBeGreaterThan(8000);
    expect(big.length).toBeLessThanOrEqual(PACKET_SIZE);
    expect(b.vm.state).toBe('running');
    expect(await client.request('g')).toMatch(/^[0-9a-f]+$/);
    client.close();
  });

  it('drops a packet longer than PacketSize with an error and reads the next one', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    client.raw(`$${'m'.repeat(100_000)}#00`);
    expect(await client.next()).toEqual({ kind: 'ack' });
    expect(await client.next()).toEqual({ kind: 'packet', data: Buffer.from('E16') });
    client.raw('+');
    client.raw(Buffer.from([0xff, 0x00, 0x80, 0x7d, 0x23]));
    expect(await client.request('?')).toBe('T05thread:1;');
    client.close();
  });

  it('writes memory with X (escaped binary) and M, reads it back with m, breakpoints hidden', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    const page = b.symbol('counter') + 0x100n;
    const data = Buffer.from([0x23, 0x24, 0x7d, 0x2a, 0x00, 0xff]);
    expect(await client.request(Buffer.concat([Buffer.from(`X${hex(page)},6:`), escapeBinary(data)]))).toBe('OK');
    expect(await client.request(`m${hex(page)},6`)).toBe(data.toString('hex'));
    expect(await client.request(`M${hex(page)},2:abcd`)).toBe('OK');
    expect(b.vm.shared.memory.read16(gpa(page))).toBe(0xcdab);
    const bump = b.symbol('bump');
    const code = await client.request(`m${hex(bump)},4`);
    expect(await client.request(`Z0,${hex(bump)},1`)).toBe('OK');
    expect(b.vm.shared.memory.read8(gpa(bump))).toBe(0xcc);
    expect(await client.request(`m${hex(bump)},4`)).toBe(code);
    client.close();
  });

  it('continues, reports a breakpoint and a watchpoint with the thread and the address, and stops on 0x03', async () => {
    const b = await boot(2);
    const client = await RawClient.open(b);
    await client.request('qSupported:swbreak+;hwbreak+');
    const bump = b.symbol('bump');
    expect(await client.request(`Z0,${hex(bump)},1`)).toBe('OK');
    expect(await client.request('vCont;c')).toBe('T05thread:1;swbreak:;');
    expect(await client.request(`z0,${hex(bump)},1`)).toBe('OK');
    const counter = b.symbol('counter');
    expect(await client.request(`Z2,${hex(counter)},8`)).toBe('OK');
    expect(await client.request('c')).toBe(`T05thread:1;watch:${hex(counter)};`);
    expect(await client.request(`z2,${hex(counter)},8`)).toBe('OK');
    expect(await client.request('Hg2')).toBe('OK');
    expect(await client.request('qC')).toBe('QC2');
    expect(await client.request('vCont;s:2;c')).toBe('T05thread:2;');
    client.raw(frame('c'));
    expect(await client.next()).toEqual({ kind: 'ack' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.server.debugger.state).toBe('running');
    client.raw('\x03');
    const reply = await client.next();
    expect(reply).toEqual({ kind: 'packet', data: Buffer.from('T02thread:2;') });
    client.raw('+');
    client.close();
  });

  it('reports the guest\'s exit with its status', async () => {
    const b = await boot();
    const client = await RawClient.open(b);
    expect(await client.request(`M${hex(b.symbol('stop_requested'))},4:01000000`)).toBe('OK');
    expect(await client.request('c')).toBe('W5a');
    expect(await client.request('g')).toBe('E01');
    client.close();
  });

  it('lets the VM run on when the connection drops mid-packet, and takes the next gdb', async () => {
    const b = await boot();
    const bump = b.symbol('bump');
    const original = b.vm.shared.memory.read8(gpa(bump));
    const first = await RawClient.open(b);
    expect(await first.request(`Z0,${hex(bump)},1`)).toBe('OK');
    // Only one gdb at a time: a second connection is closed at once.
    const second = await RawClient.open(b);
    await second.closed;
    first.raw('$m10');
    first.close();
    for (let n = 0; n < 100 && b.server.debugger.state !== 'running'; n++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.server.debugger.state).toBe('running');
    expect(b.vm.shared.memory.read8(gpa(bump))).toBe(original);
    const third = await RawClient.open(b);
    expect(await third.request('?')).toBe('T05thread:1;');
    expect(await third.request('vKill;1')).toBe('OK');
    expect(await b.vm.waitForStop()).toEqual({ kind: 'host-stop' });
  });
});

describe('--gdb [HOST:]PORT', () => {
  it('listens on loopback unless told a host, and refuses what is not an address', () => {
    expect(parseGdbAddress('1234')).toEqual({ host: '127.0.0.1', port: 1234 });
    expect(parseGdbAddress('0.0.0.0:1234')).toEqual({ host: '0.0.0.0', port: 1234 });
    expect(parseGdbAddress('localhost:9')).toEqual({ host: 'localhost', port: 9 });
    expect(parseGdbAddress('[::1]:1234')).toEqual({ host: '::1', port: 1234 });
    for (const bad of ['', 'nope', ':1234', '0', '65536', '1234:', 'host:port', 'a b:1']) expect(typeof parseGdbAddress(bad)).toBe('string');
  });
});
