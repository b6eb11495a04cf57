/**
 * `ymir console`: COM1 on the terminal with no TUI, like `qemu -nographic`. Input goes to the
 * guest byte for byte; Ctrl-A X quits, Ctrl-A Ctrl-A sends a Ctrl-A. Guest output is passed through
 * a filter that keeps text, CR/LF/BS/TAB and drops every other control and escape sequence.
 */
import type { VmMonitor } from '../vmm/monitor-api.js';
import { EscapeParser, type TerminalSink } from './terminal-text.js';

const CTRL_A = 0x01;

/**
 * Guest bytes for the user's own terminal, as a serial console shows them: text, CR, LF (as CR LF),
 * BS and TAB, and the few CSI sequences a line editor needs on a serial line — cursor movement
 * (A B C D G), erase in line or display (K, J) and the cursor position report (6 n), whose answer
 * the terminal sends back to the guest. Every other control, escape or string sequence is dropped.
 */
const CONSOLE_CSI = /^(\d{0,4}[ABCDG]|[012]?[KJ]|6n)$/;

export class TerminalFilter implements TerminalSink {
  private out = '';
  private readonly parser = new EscapeParser(this);

  filter(bytes: Uint8Array): string {
    this.parser.write(bytes);
    const out = this.out;
    this.out = '';
    return out;
  }

  print(text: string): void {
    this.out += text;
  }

  execute(code: number): void {
    if (code === 0x0a) this.out += '\r\n';
    else if (code === 0x0d || code === 0x08 || code === 0x09) this.out += String.fromCharCode(code);
  }

  csi(params: string, final: string): void {
    if (CONSOLE_CSI.test(params + final)) this.out += `\x1b[${params}${final}`;
  }
}

/** Run the console until Ctrl-A X or the VM stops; resolves with the VM's stop reason. */
export async function runConsole(vm: VmMonitor, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Promise<void> {
  const filter = new TerminalFilter();
  vm.com1.onData((bytes) => stdout.write(filter.filter(bytes)));
  let escape = false;
  const quit = new Promise<void>((resolve) => {
    stdin.on('data', (data: Buffer) => {
      const out: number[] = [];
      for (const byte of data) {
        if (escape) {
          escape = false;
          if (byte === 0x78 || byte === 0x58) return resolve(); // Ctrl-A X
          if (byte === CTRL_A) out.push(CTRL_A);
        } else if (byte === CTRL_A) escape = true;
        else out.push(byte);
      }
      if (out.length > 0) void vm.com1.write(Uint8Array.from(out)).catch(() => undefined);
    });
  });
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  stdout.write('ymir console: COM1 of the VM. Ctrl-A X quits.\r\n');
  vm.start();
  await Promise.race([quit, vm.waitForStop()]);
  if (stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
}
