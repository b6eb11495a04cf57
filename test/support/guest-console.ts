/** A test's view of a guest serial port: everything received, and waiting for text to appear. */
import type { SerialPortHost } from '../../vmm/monitor-api.js';

export class GuestConsole {
  private readonly chunks: Buffer[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly port: SerialPortHost) {
    port.onData((bytes) => {
      this.chunks.push(Buffer.from(bytes));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolve once the received text contains `pattern` (after `from`), or reject after `timeoutMs`. */
  async waitFor(pattern: string | RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text().slice(from);
      const found = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
      if (found) return text;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)}; got:\n${text.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** Type into the guest a key at a time, as a person does. */
  async type(text: string): Promise<void> {
    for (const key of text) {
      await this.port.write(key);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Send text in one burst, as a paste does. */
  async paste(text: string): Promise<void> {
    await this.port.write(text);
  }
}
