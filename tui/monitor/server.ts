/**
 * The monitor socket every running VM serves (protocol.ts): a Unix socket, readable and writable
 * by its owner only, speaking QMP-style JSON lines. It runs on the host's main thread and reads
 * the VM's shared state, so it answers while the guest is paused, hung or flooding its console.
 */
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';
import type { VmEvent, VmMonitor } from '../../vmm/monitor-api.js';
import { VERSION, versionTriple } from '../version.js';
import { runCommand } from './commands.js';
import { Hmp } from './hmp.js';
import {
  type MonitorEventMessage, type MonitorGreeting, type MonitorReply, type MonitorVmIdentity, LineReader, MonitorCommandError, hex64,
} from './protocol.js';

/** JSON for replies and events: 64-bit values as hex strings, byte arrays as hex. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? hex64(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

function eventMessage(event: VmEvent): MonitorEventMessage {
  const now = Date.now();
  const timestamp = { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 };
  switch (event.kind) {
    case 'stop': return { event: 'STOP', data: {}, timestamp };
    case 'resume': return { event: 'RESUME', data: {}, timestamp };
    case 'shutdown': return { event: 'SHUTDOWN', data: { guest: event.reason.kind === 'debug-exit' || event.reason.kind === 'triple-fault', reason: event.reason }, timestamp };
  }
}

class Connection {
  private negotiated = false;
  /** Commands run one after another, so replies come back in order. */
  private queue: Promise<void> = Promise.resolve();
  private readonly hmp: Hmp;

  constructor(private readonly socket: Socket, private readonly vm: VmMonitor, private readonly identity: MonitorVmIdentity) {
    this.hmp = new Hmp(vm, identity.name);
    const greeting: MonitorGreeting = { QMP: { version: { ymir: versionTriple(), package: `ymir-dbg ${VERSION}` }, capabilities: [], vm: identity } };
    this.send(greeting);
    const reader = new LineReader(
      (line) => { this.queue = this.queue.then(() => this.handle(line)); },
      () => this.send({ error: { class: 'GenericError', desc: 'the line is too long' } }),
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => reader.push(chunk));
    socket.on('error', () => socket.destroy()); // a client that went away
  }

  close(): void {
    this.socket.destroy();
  }

  event(event: VmEvent): void {
    if (this.negotiated) this.send(eventMessage(event));
  }

  private send(message: MonitorGreeting | MonitorReply | MonitorEventMessage): void {
    if (!this.socket.destroyed) this.socket.write(`${encodeJson(message)}\n`);
  }

  private async handle(line: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.send({ error: { class: 'GenericError', desc: 'JSON parse error: the line is not a JSON object' } });
      return;
    }
    const command = message as { execute?: unknown; arguments?: unknown; id?: unknown };
    const id = typeof command === 'object' && command !== null && 'id' in command ? { id: command.id } : {};
    if (typeof command !== 'object' || command === null || Array.isArray(command) || typeof command.execute !== 'string') {
      this.send({ error: { class: 'GenericError', desc: "QMP input must be an object with a string member 'execute'" }, ...id });
      return;
    }
    if (!this.negotiated && command.execute !== 'qmp_capabilities') {
      this.send({ error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, ...id });
      return;
    }
    try {
      const result = await runCommand({ vm: this.vm, identity: this.identity, hmp: this.hmp }, command.execute, command.arguments);
      if (command.execute === 'qmp_capabilities') this.negotiated = true;
      this.send({ return: result, ...id });
    } catch (error) {
      if (error instanceof MonitorCommandError) this.send({ error: { class: error.errorClass, desc: error.message }, ...id });
      else this.send({ error: { class: 'GenericError', desc: `internal error: ${(error as Error).message}` }, ...id });
    }
  }
}

export class MonitorServer {
  private readonly connections = new Set<Connection>();
  private readonly unsubscribe: () => void;

  private constructor(private readonly server: Server, readonly path: string, vm: VmMonitor, identity: MonitorVmIdentity) {
    server.on('connection', (socket) => {
      const connection = new Connection(socket, vm, identity);
      this.connections.add(connection);
      socket.on('close', () => this.connections.delete(connection));
    });
    this.unsubscribe = vm.onEvent((event) => { for (const c of this.connections) c.event(event); });
  }

  /**
   * Listens at `path`, creating its directory (mode 0700) if needed. A socket file left by a VM
   * that is gone is replaced; one that answers belongs to a running VM and is an error.
   */
  static async listen(path: string, vm: VmMonitor, identity: MonitorVmIdentity): Promise<MonitorServer> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (await answers(path)) throw new Error(`${path} is the monitor socket of a running VM`);
    try {
      unlinkSync(path);
    } catch {
      // nothing there
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    server.unref(); // the VM, not its monitor, keeps the process alive
    return new MonitorServer(server, path, vm, identity);
  }

  /** Stops listening and removes the socket file; connected clients see the connection close. */
  close(): void {
    this.unsubscribe();
    this.server.close();
    for (const connection of this.connections) connection.close();
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

/** Whether something accepts connections at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
