/**
 * `ymir console`: COM1 on the terminal with no TUI, like `qemu -nographic`. Input goes to the
 * guest byte for byte; Ctrl-A X quits, Ctrl-A Ctrl-A sends a Ctrl-A. Guest output is passed through
 * a filter that keeps text, CR/LF/BS/TAB and drops every other control and escape sequence.
 */
import type { VmMonitor } from '../vmm/monitor-api.js';

const CTRL_A = 0x01;

/** A streaming filter for guest bytes on a real terminal: text and basic controls only. */
export class TerminalFilter {
  private state: 'text' | 'escape' | 'csi' | 'string' | 'string-escape' = 'text';
  private readonly decoder = new TextDecoder('utf-8');

  filter(bytes: Uint8Array): string {
    let out = '';
    for (const char of this.decoder.decode(bytes, { stream: true })) {
      const code = char.codePointAt(0)!;
      switch (this.state) {
        case 'escape':
          this.state = char === '[' ? 'csi' : ']P_^X'.includes(char) ? 'string' : 'text';
          continue;
        case 'csi':
          if (code < 0x20 || code > 0x3f) this.state = 'text';
          continue;
        case 'string':
          if (code === 0x07 || code === 0x9c) this.state = 'text';
          else if (code === 0x1b) this.state = 'string-escape';
          continue;
        case 'string-escape':
          this.state = char === '\\' ? 'text' : 'string';
          continue;
        case 'text':
          break;
      }
      if (code === 0x1b) this.state = 'escape';
      else if (code === 0x9b) this.state = 'csi';
      else if (code === 0x0a) out += '\r\n';
      else if (code === 0x0d || code === 0x08 || code === 0x09) out += char;
      else if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) out += char;
    }
    return out.replace(/\r\r\n/g, '\r\n');
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
