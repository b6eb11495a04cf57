/**
 * A client of a VM's monitor socket: connects, reads the greeting, negotiates capabilities and
 * runs commands one reply at a time; events arrive through `onEvent`.
 */
import { type Socket, createConnection } from 'node:net';
import {
  type MonitorEventMessage, type MonitorGreeting, type MonitorReply, LineReader, MonitorCommandError,
} from './protocol.js';

export class MonitorConnectionError extends Error {
  override readonly name = 'MonitorConnectionError';
}

export class MonitorClient {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private readonly eventListeners = new Set<(event: MonitorEventMessage) => void>();
  private closedError: Error | undefined;
  /** Resolves when the connection ends (the VM's process went away, or close()). */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket, readonly greeting: MonitorGreeting) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => {
      this.closedError ??= new MonitorConnectionError('the monitor connection closed');
      for (const waiter of this.pending.splice(0)) waiter.reject(this.closedError);
    });
  }

  /** Connects to the socket at `path` and leaves negotiation; rejects with MonitorConnectionError if nobody answers. */
  static connect(path: string, timeoutMs = 5000): Promise<MonitorClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.setEncoding('utf8');
      let client: MonitorClient | undefined;
      const timer = setTimeout(() => { socket.destroy(); reject(new MonitorConnectionError(`${path}: no greeting from the monitor`)); }, timeoutMs);
      const reader = new LineReader((line) => {
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          socket.destroy();
          return;
        }
        if (!client) {
          clearTimeout(timer);
          if (typeof message !== 'object' || message === null || !('QMP' in message)) {
            socket.destroy();
            reject(new MonitorConnectionError(`${path}: not a ymir monitor (no QMP greeting)`));
            return;
          }
          client = new MonitorClient(socket, message as MonitorGreeting);
          client.execute('qmp_capabilities').then(() => resolve(client!), reject);
          return;
        }
        client.receive(message);
      }, () => socket.destroy());
      socket.on('data', (chunk: string) => reader.push(chunk));
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (!client) reject(new MonitorConnectionError(`${path}: ${error.code ?? error.message}`));
      });
    });
  }

  private receive(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    if ('event' in message) {
      for (const listener of this.eventListeners) listener(message as MonitorEventMessage);
      return;
    }
    const waiter = this.pending.shift();
    if (!waiter) return;
    const reply = message as MonitorReply;
    if ('error' in reply) waiter.reject(new MonitorCommandError(reply.error.class, reply.error.desc));
    else waiter.resolve(reply.return);
  }

  /** Runs a command; resolves with its return value, rejects with MonitorCommandError. */
  execute<T = unknown>(command: string, args?: Readonly<Record<string, unknown>>): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (value: unknown) => void, reject });
      this.socket.write(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
    });
  }

  onEvent(listener: (event: MonitorEventMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  close(): void {
    this.socket.destroy();
  }
}
