/**
 * A GDB remote serial protocol server on the debugger core: `target remote HOST:PORT` from gdb
 * (gdb manual, appendix "GDB Remote Serial Protocol"). All-stop mode; each vCPU is a thread
 * (thread id = vCPU + 1); memory is guest-virtual through the selected thread's page tables.
 *
 * One gdb at a time. When it connects the VM stops (as QEMU's gdbstub stops it); when it detaches
 * or the connection drops, every breakpoint is removed and the VM runs on. `k` stops the VM.
 * Nothing a client sends can throw out of here or stop the VM: bad packets are answered with
 * `-` (checksum) or `E NN`, unknown ones with the empty reply that means "not supported".
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import type { StopReason } from '../monitor-api.js';
import type { Vm } from '../vm.js';
import { type BreakpointKind, type DebugErrorCode, type DebugStop, type Debugger, debuggerFor, isDebugError } from './debugger.js';
import { runMonitorCommand } from './monitor-commands.js';
import { PacketReader, escapeBinary, frame, fromHex, parseHexNumber, toHex, unescapeBinary } from './packets.js';
import { REGISTERS, REGISTER_BYTES, TARGET_XML, type TargetRegister } from './target.js';

export interface GdbServerOptions {
  /** Loopback unless said otherwise. */
  readonly host?: string;
  /** 0: any free port (see `address`). */
  readonly port: number;
  /** Stop the VM before it runs a guest instruction, until gdb continues it (QEMU's -S). */
  readonly waitForDebugger?: boolean;
}

export interface GdbServer {
  readonly address: { readonly host: string; readonly port: number };
  readonly debugger: Debugger;
  /** Stop listening; a connected gdb is detached (the VM runs on). */
  close(): Promise<void>;
}

export interface GdbAddress {
  readonly host: string;
  readonly port: number;
}

/** `--gdb [HOST:]PORT` (QEMU's -gdb tcp::PORT): loopback unless a host is given; an error message otherwise. */
export function parseGdbAddress(text: string): GdbAddress | string {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[\w.-]+):)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) return 'use [HOST:]PORT, e.g. 1234 or 0.0.0.0:1234, with a port from 1 to 65535.';
  return { host: match[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

/** The PacketSize we announce: the longest packet we take, and the cap on what we send. */
export const PACKET_SIZE = 0x4000;
/** Memory bytes per m reply (two hex digits each). */
const MAX_MEMORY_READ = (PACKET_SIZE - 8) / 2;

/** Error replies, with Linux errno numbers as gdbserver uses them. */
const Errors = { EPERM: 'E01', EFAULT: 'E0e', EBUSY: 'E10', EINVAL: 'E16', ENOSPC: 'E1c' } as const;

const DEBUG_ERRORS: Record<DebugErrorCode, string> = {
  'not-stopped': Errors.EPERM, exited: Errors.EPERM, 'no-vcpu': Errors.EINVAL, unmapped: Errors.EFAULT, full: Errors.ENOSPC, invalid: Errors.EINVAL,
};
const BREAKPOINT_KINDS: readonly BreakpointKind[] = ['software', 'hardware', 'write', 'read', 'access'];
const WATCH_NAMES = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;

/** Start a gdb server for `vm` (call it before vm.start() to have waitForDebugger stop the first instruction). */
export async function startGdbServer(vm: Vm, options: GdbServerOptions): Promise<GdbServer> {
  const dbg = debuggerFor(vm);
  if (options.waitForDebugger === true) void dbg.interrupt();
  let session: Session | undefined;
  const server: Server = createServer((socket) => {
    if (session !== undefined && !session.closed) {
      socket.destroy();
      return;
    }
    session = new Session(vm, dbg, socket);
  });
  server.maxConnections = 2;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    debugger: dbg,
    async close(): Promise<void> {
      // The session first: the server's close waits for its connection to end.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await session?.end();
      await closed;
    },
  };
}

type Reply = string | Buffer | undefined;

/** One gdb connection. */
class Session {
  closed = false;
  private noAck = false;
  private lastSent: Buffer | undefined;
  private readonly reader = new PacketReader(PACKET_SIZE);
  /** Packets are handled one after the other, each after the one before has answered. */
  private queue: Promise<void>;
  /** Hg: the thread registers and memory are read through (a vCPU index). */
  private general = 0;
  /** Hc: the thread s and c apply to (-1: every one). */
  private continueThread = -1;
  private running = false;
  /** The stop gdb was last told of (answers `?`). */
  private stop: DebugStop | undefined;
  private initial = true;
  private swbreak = false;
  private hwbreak = false;

  constructor(private readonly vm: Vm, private readonly dbg: Debugger, private readonly socket: Socket) {
    dbg.attach();
    dbg.client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.queue = dbg.interrupt().then((stop) => { this.stop = stop; }, () => undefined);
    socket.setNoDelay(true);
    socket.on('data', (bytes: Buffer) => this.receive(bytes));
    socket.on('error', () => undefined);
    socket.on('close', () => void this.end());
  }

  /** The connection is gone or asked to go: detach unless the VM is already gone. */
  async end(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    await this.queue;
    this.dbg.client = undefined;
    await this.dbg.detach().catch(() => undefined);
  }

  private receive(bytes: Buffer): void {
    for (const event of this.reader.feed(bytes)) {
      switch (event.kind) {
        case 'interrupt':
          if (this.running) void this.dbg.interrupt();
          break;
        case 'nak':
          if (this.lastSent && !this.noAck) this.write(this.lastSent);
          break;
        case 'ack':
          break;
        case 'bad-checksum':
          if (!this.noAck) this.write(Buffer.from('-'));
          break;
        case 'too-long':
          if (!this.noAck) this.write(Buffer.from('+'));
          this.enqueue(() => Errors.EINVAL);
          break;
        case 'packet':
          if (!this.noAck) this.write(Buffer.from('+'));
          this.enqueue(() => this.handle(event.data.toString('latin1'), event.data));
          break;
      }
    }
  }

  private enqueue(handler: () => Reply | Promise<Reply>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      let reply: Reply;
      try {
        reply = await handler();
      } catch (error) {
        reply = isDebugError(error) ? DEBUG_ERRORS[error.code] : Errors.EPERM;
      }
      if (reply !== undefined) this.send(reply);
    });
  }

  private write(bytes: Buffer): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(bytes);
  }

  private send(data: string | Buffer): void {
    const packet = frame(data);
    this.lastSent = packet;
    this.write(packet);
  }

  private get stopped(): boolean {
    return this.dbg.state === 'stopped';
  }

  // --- packets ----------------------------------------------------------------------------------

  private handle(packet: string, raw: Buffer): Reply | Promise<Reply> {
    const head = packet[0];
    if (this.running) return Errors.EBUSY;
    switch (head) {
      case '?': return this.stop ? this.stopReply(this.stop) : 'W00';
      case 'g': return this.readRegisters();
      case 'G': return this.writeRegisters(packet.slice(1));
      case 'p': return this.readRegister(packet.slice(1));
      case 'P': return this.writeRegister(packet.slice(1));
      case 'm': return this.readMemory(packet.slice(1));
      case 'M': return this.writeMemory(packet.slice(1));
      case 'X': return this.writeBinary(raw);
      case 'Z': case 'z': return this.breakpoint(head === 'Z', packet.slice(1));
      case 'c': case 's': case 'C': case 'S': return this.resumeSimple(head, packet.slice(1));
      case 'H': return this.selectThread(packet.slice(1));
      case 'T': return this.thread(packet.slice(1)) === undefined ? Errors.EINVAL : 'OK';
      case 'D': return this.detach();
      case 'k': return this.kill(false);
      case 'q': case 'Q': return this.query(packet);
      case 'v': return this.vPacket(packet);
      default: return '';
    }
  }

  private query(packet: string): Reply {
    if (packet.startsWith('qXfer:')) return this.xfer(packet);
    // NAME, then its arguments after ':' (qSupported) or ',' (qRcmd, qThreadExtraInfo).
    const separator = packet.search(/[:,]/);
    const name = separator < 0 ? packet : packet.slice(0, separator);
    const rest = separator < 0 ? '' : packet.slice(separator + 1);
    switch (name) {
      case 'qSupported': {
        const features = rest.split(';');
        this.swbreak = features.includes('swbreak+');
        this.hwbreak = features.includes('hwbreak+');
        return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+`;
      }
      case 'QStartNoAckMode':
        // This packet was acknowledged and gdb acknowledges the OK; from then on nothing is.
        this.noAck = true;
        return 'OK';
      case 'qfThreadInfo': return `m${Array.from({ length: this.dbg.vcpus }, (_, v) => (v + 1).toString(16)).join(',')}`;
      case 'qsThreadInfo': return 'l';
      case 'qC': return `QC${(this.general + 1).toString(16)}`;
      case 'qAttached': return '1';
      case 'qSymbol': return 'OK';
      case 'qThreadExtraInfo': {
        const vcpu = this.thread(rest);
        if (vcpu === undefined) return Errors.EINVAL;
        return toHex(Buffer.from(`vCPU ${vcpu}${this.dbg.halted(vcpu) ? ' (halted)' : ''}`));
      }
      case 'qRcmd': {
        const command = fromHex(rest);
        if (command === undefined) return Errors.EINVAL;
        const output = runMonitorCommand(this.vm, this.dbg, command.toString('utf8'), this.general);
        const chunk = MAX_MEMORY_READ - 1;
        for (let at = 0; at < output.length; at += chunk) this.send(`O${toHex(Buffer.from(output.slice(at, at + chunk)))}`);
        return 'OK';
      }
      default: return '';
    }
  }

  /** qXfer:features:read:ANNEX:OFFSET,LENGTH */
  private xfer(packet: string): Reply {
    const match = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(packet);
    if (!match) return packet.startsWith('qXfer:features:read:') ? Errors.EINVAL : '';
    if (match[1] !== 'target.xml') return Errors.EINVAL;
    const offset = parseHexNumber(match[2]!);
    const length = parseHexNumber(match[3]!);
    if (offset === undefined || length === undefined) return Errors.EINVAL;
    const document = Buffer.from(TARGET_XML);
    if (offset >= BigInt(document.length)) return 'l';
    const start = Number(offset);
    const end = Math.min(document.length, start + Math.min(Number(length), PACKET_SIZE / 2));
    return Buffer.concat([Buffer.from(end >= document.length ? 'l' : 'm'), escapeBinary(document.subarray(start, end))]);
  }

  private vPacket(packet: string): Reply | Promise<Reply> {
    if (packet === 'vCont?') return 'vCont;c;C;s;S;t';
    if (packet.startsWith('vCont;')) return this.vCont(packet.slice(6));
    if (packet.startsWith('vKill')) return this.kill(true);
    return '';
  }

  // --- run control ------------------------------------------------------------------------------

  private resumeSimple(action: string, args: string): Reply {
    // c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]: the signal means nothing to a VM.
    const address = action === 'c' || action === 's' ? args : args.split(';')[1] ?? '';
    if (!this.stopped) return Errors.EPERM;
    const target = this.continueThread >= 0 ? this.continueThread : this.general;
    if (address !== '') {
      const pc = parseHexNumber(address);
      if (pc === undefined) return Errors.EINVAL;
      this.dbg.setRegister(target, 'rip', pc);
    }
    this.resume(action.toLowerCase() === 's' ? target : undefined);
    return undefined;
  }

  /** vCont;ACTION[:TID];...: a step for a thread steps it alone; otherwise everything continues. */
  private vCont(actions: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    let step: number | undefined;
    let stopOnly = true;
    for (const item of actions.split(';')) {
      const [action = '', tid] = splitOnce(item, ':');
      const kind = action[0];
      if (kind !== 'c' && kind !== 'C' && kind !== 's' && kind !== 'S' && kind !== 't') return Errors.EINVAL;
      if (tid !== undefined && tid !== '-1' && this.thread(tid) === undefined) return Errors.EINVAL;
      if (kind === 't') continue;
      stopOnly = false;
      if ((kind === 's' || kind === 'S') && step === undefined) step = tid === undefined || tid === '-1' ? this.general : this.thread(tid);
    }
    // vCont;t in all-stop: everything is stopped already.
    if (stopOnly) return this.stopReply(this.stop ?? { kind: 'interrupt', vcpu: this.general });
    this.resume(step);
    return undefined;
  }

  /** Continue every vCPU (or step `step` alone); the stop reply goes out when it stops. */
  private resume(step: number | undefined): void {
    this.running = true;
    this.initial = false;
    const stopped = step === undefined ? this.dbg.continue() : this.dbg.step(step);
    void stopped.then(
      (stop) => {
        this.running = false;
        this.stop = stop;
        if (stop.kind !== 'vm-stopped') this.general = stop.kind === 'interrupt' ? this.general : stop.vcpu;
        this.send(this.stopReply(stop));
      },
      () => {
        this.running = false;
        this.send(Errors.EPERM);
      },
    );
  }

  private stopReply(stop: DebugStop): string {
    if (stop.kind === 'vm-stopped') return vmStopReply(stop.reason);
    const vcpu = stop.kind === 'interrupt' ? this.general : stop.vcpu;
    const thread = `thread:${(vcpu + 1).toString(16)};`;
    switch (stop.kind) {
      case 'interrupt': return `${this.initial ? 'T05' : 'T02'}${thread}`;
      case 'step': return `T05${thread}`;
      case 'breakpoint': return `T05${thread}${this.swbreak ? 'swbreak:;' : ''}`;
      case 'hw-breakpoint': return `T05${thread}${this.hwbreak ? 'hwbreak:;' : ''}`;
      case 'watchpoint': return `T05${thread}${WATCH_NAMES[stop.watch]}:${stop.address.toString(16)};`;
    }
  }

  private async detach(): Promise<Reply> {
    this.send('OK');
    this.dbg.client = undefined;
    await this.dbg.detach();
    this.closed = true;
    this.socket.end();
    return undefined;
  }

  private async kill(reply: boolean): Promise<Reply> {
    if (reply) this.send('OK');
    this.dbg.client = undefined;
    this.closed = true;
    this.socket.end();
    await this.vm.stop();
    return undefined;
  }

  // --- threads ----------------------------------------------------------------------------------

  /** A thread id (hex, vCPU + 1; `p1.N` accepted) as a vCPU index, or undefined. */
  private thread(text: string): number | undefined {
    const id = parseHexNumber(text.replace(/^p[0-9a-fA-F]+\./, ''));
    if (id === undefined || id < 1n || id > BigInt(this.dbg.vcpus)) return undefined;
    return Number(id) - 1;
  }

  private selectThread(args: string): Reply {
    const which = args[0];
    const tid = args.slice(1);
    if (which !== 'g' && which !== 'c') return Errors.EINVAL;
    // 0: any thread, -1: all of them.
    const vcpu = tid === '0' ? this.general : tid === '-1' ? -1 : this.thread(tid);
    if (vcpu === undefined || (which === 'g' && vcpu < 0)) return Errors.EINVAL;
    if (which === 'g') this.general = vcpu;
    else this.continueThread = vcpu;
    return 'OK';
  }

  // --- registers --------------------------------------------------------------------------------

  private registerBytes(r: TargetRegister): Buffer {
    const out = Buffer.alloc(r.bits / 8);
    if (r.slot === undefined) return out;
    const regs = this.dbg.registers(this.general);
    const value = registerValue(regs, r.slot);
    if (r.bits === 32) out.writeUInt32LE(Number(value & 0xffffffffn));
    else out.writeBigUInt64LE(value);
    return out;
  }

  private readRegisters(): Reply {
    if (!this.stopped) return Errors.EPERM;
    return toHex(Buffer.concat(REGISTERS.map((r) => this.registerBytes(r))));
  }

  private writeRegisters(hexText: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const bytes = fromHex(hexText);
    if (bytes === undefined || bytes.length !== REGISTER_BYTES) return Errors.EINVAL;
    let at = 0;
    for (const r of REGISTERS) {
      this.storeRegister(r, bytes.subarray(at, at + r.bits / 8));
      at += r.bits / 8;
    }
    return 'OK';
  }

  private readRegister(args: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const n = parseHexNumber(args);
    const r = n === undefined ? undefined : REGISTERS[Number(n)];
    if (r === undefined || n! >= BigInt(REGISTERS.length)) return Errors.EINVAL;
    return toHex(this.registerBytes(r));
  }

  private writeRegister(args: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const [number = '', value = ''] = splitOnce(args, '=');
    const n = parseHexNumber(number);
    const r = n === undefined || n >= BigInt(REGISTERS.length) ? undefined : REGISTERS[Number(n)];
    const bytes = fromHex(value);
    if (r === undefined || bytes === undefined || bytes.length !== r.bits / 8) return Errors.EINVAL;
    this.storeRegister(r, bytes);
    return 'OK';
  }

  /** Write a register from its little-endian bytes, if it changes (x87 registers are not kept). */
  private storeRegister(r: TargetRegister, bytes: Buffer): void {
    if (r.slot === undefined) return;
    const value = r.bits === 32 ? BigInt(bytes.readUInt32LE()) : bytes.readBigUInt64LE();
    const current = registerValue(this.dbg.registers(this.general), r.slot);
    const merged = r.bits === 32 ? (current & ~0xffffffffn) | value : value;
    if (merged !== current) this.dbg.setRegister(this.general, r.slot, merged);
  }

  // --- memory -----------------------------------------------------------------------------------

  /** ADDR,LENGTH as numbers of the protocol. */
  private range(text: string): { address: bigint; length: bigint } | undefined {
    const [a = '', l = ''] = splitOnce(text, ',');
    const address = parseHexNumber(a);
    const length = parseHexNumber(l);
    return address === undefined || length === undefined ? undefined : { address, length };
  }

  private readMemory(args: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const range = this.range(args);
    if (range === undefined) return Errors.EINVAL;
    if (range.length === 0n) return '';
    const length = range.length > BigInt(MAX_MEMORY_READ) ? MAX_MEMORY_READ : Number(range.length);
    const bytes = this.dbg.readMemory(this.general, range.address, length);
    return bytes.length === 0 ? Errors.EFAULT : toHex(bytes);
  }

  private writeMemory(args: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const [where = '', data = ''] = splitOnce(args, ':');
    const range = this.range(where);
    const bytes = fromHex(data);
    if (range === undefined || bytes === undefined || BigInt(bytes.length) !== range.length) return Errors.EINVAL;
    this.dbg.writeMemory(this.general, range.address, bytes);
    return 'OK';
  }

  private writeBinary(raw: Buffer): Reply {
    if (!this.stopped) return Errors.EPERM;
    const colon = raw.indexOf(0x3a);
    if (colon < 0) return Errors.EINVAL;
    const range = this.range(raw.subarray(1, colon).toString('latin1'));
    const bytes = unescapeBinary(raw.subarray(colon + 1));
    if (range === undefined || BigInt(bytes.length) !== range.length) return Errors.EINVAL;
    if (bytes.length > 0) this.dbg.writeMemory(this.general, range.address, bytes);
    return 'OK';
  }

  // --- breakpoints ------------------------------------------------------------------------------

  /** Z/z TYPE,ADDR,KIND[;conditions]: KIND is the length for watchpoints. */
  private breakpoint(insert: boolean, args: string): Reply {
    if (!this.stopped) return Errors.EPERM;
    const [type = '', address = '', kind = ''] = args.split(';')[0]!.split(',');
    const kindOf = BREAKPOINT_KINDS[Number(type)];
    const at = parseHexNumber(address);
    const length = parseHexNumber(kind);
    if (!/^[0-4]$/.test(type)) return '';
    if (kindOf === undefined || at === undefined || length === undefined || length > 0x10000n) return Errors.EINVAL;
    if (insert) this.dbg.addBreakpoint(kindOf, at, Number(length), this.general);
    else this.dbg.removeBreakpoint(kindOf, at, Number(length));
    return 'OK';
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function registerValue(regs: ReturnType<Debugger['registers']>, slot: NonNullable<TargetRegister['slot']>): bigint {
  const gprs: Record<string, number> = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7 };
  if (slot in gprs) return regs.gprs[gprs[slot]!]!;
  if (/^r\d+$/.test(slot)) return regs.gprs[Number(slot.slice(1))]!;
  switch (slot) {
    case 'rip': return regs.rip;
    case 'rflags': return regs.rflags;
    case 'fs_base': return regs.fsBase;
    case 'gs_base': return regs.gsBase;
    case 'cr0': case 'cr2': case 'cr3': case 'cr4': case 'efer': return regs[slot];
    default: return BigInt(regs[slot as 'cs' | 'ss' | 'ds' | 'es' | 'fs' | 'gs']);
  }
}

/** The end of the target: W (exited, with the guest's debug-exit status) or X (killed, with a signal). */
function vmStopReply(reason: StopReason): string {
  switch (reason.kind) {
    case 'debug-exit': return `W${(reason.status & 0xff).toString(16).padStart(2, '0')}`;
    case 'triple-fault': return 'X0b'; // SIGSEGV
    case 'unhandled-exit': case 'internal-error': return 'X06'; // SIGABRT
    case 'host-stop': return 'X09'; // SIGKILL
  }
}
