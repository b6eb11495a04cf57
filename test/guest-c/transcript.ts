/**
 * A booted guest's console as a test reads it: everything received (CR LF as the tty writes it),
 * waiting for text to appear, and typing a line to wait for the next prompt. QEMU's and the ymir
 * VMM's guests share it so one set of assertions runs on both machines.
 */
export const PROMPT = '~ # ';

export abstract class Transcript {
  private output = '';
  private waiters: (() => void)[] = [];

  /** Send keys to the guest's COM1. */
  abstract type(keys: string): void;
  /** Whether the machine has ended (nothing more will arrive). */
  protected abstract ended(): boolean;

  protected received(chunk: string): void {
    this.output += chunk;
    this.wake();
  }

  protected wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Everything the console printed. */
  text(): string {
    return this.output;
  }

  /** Wait until the output after `from` contains pattern; returns that output. */
  async waitFor(pattern: string | RegExp, from = 0, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.output.slice(from);
      if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
      const left = deadline - Date.now();
      if (left <= 0 || this.ended()) throw new Error(`no ${String(pattern)} on the console; it shows:\n${text.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Type a line and wait for the next prompt; returns what the console showed after the line's own echo. */
  async run(line: string, until: string | RegExp = PROMPT): Promise<string> {
    const from = this.output.length;
    this.type(line);
    const text = await this.waitFor(until, from);
    const echoEnd = text.indexOf('\r\n');
    return echoEnd < 0 ? text : text.slice(echoEnd + 2);
  }
}
