/**
 * `ymir console`: COM1 on the terminal with no TUI, like `qemu -nographic`. Input goes to the
 * guest byte for byte, in order, and no faster than the guest takes it; Ctrl-A X quits, Ctrl-A C
 * switches to the monitor and back (as QEMU's mux), Ctrl-A Ctrl-A sends a Ctrl-A. Guest output
 * is passed through a filter that keeps text and the line editing a serial line needs.
 */
import type { VmMonitor } from '../vmm/monitor-api.js';
import type { Hmp } from './monitor/hmp.js';
import { PromptLine } from './prompt-line.js';
import { EscapeParser, type TerminalSink } from './terminal-text.js';

const CTRL_A = 0x01;
const MONITOR_PROMPT = '(ymir) ';

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

  /** The last thing passed was a CR: an LF after it needs no CR of its own. */
  private afterCr = false;

  print(text: string): void {
    this.out += text;
    this.afterCr = false;
  }

  execute(code: number): void {
    if (code === 0x0a) this.out += this.afterCr ? '\n' : '\r\n';
    else if (code === 0x0d || code === 0x08 || code === 0x09) this.out += String.fromCharCode(code);
    else return;
    this.afterCr = code === 0x0d;
  }

  csi(params: string, final: string): void {
    if (!CONSOLE_CSI.test(params + final)) return;
    this.out += `\x1b[${params}${final}`;
    this.afterCr = false;
  }
}

export interface ConsoleIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
}

/**
 * Runs the console until Ctrl-A X or the VM stops. Input reaches COM1 in order: the next chunk of
 * stdin is read only once the last one is in the guest's receive ring. Input that ends (a pipe)
 * leaves the VM running until it stops by itself.
 */
export async function runConsole(vm: VmMonitor, io: ConsoleIo, hmp: Hmp): Promise<void> {
  const { stdin, stdout } = io;
  const filter = new TerminalFilter();
  const show = (bytes: Uint8Array): void => { stdout.write(filter.filter(bytes)); };
  let unsubscribe = vm.com1.onData(show);
  let escape = false;
  let monitor: PromptLine | undefined;
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => { quit = resolve; });

  // In the monitor the guest's output waits in its ring (the guest blocks when it fills, as on a
  // line with flow control) and shows when the console comes back.
  const toggleMonitor = (): void => {
    if (monitor) {
      monitor = undefined;
      stdout.write('\r\n');
      unsubscribe = vm.com1.onData(show);
      return;
    }
    unsubscribe();
    stdout.write('\r\nymir monitor: help lists the commands; Ctrl-A C goes back to the console.\r\n');
    monitor = new PromptLine(MONITOR_PROMPT, (text) => stdout.write(text));
    monitor.prompt();
  };

  const runMonitorLine = async (line: string): Promise<void> => {
    const answer = await hmp.execute(line);
    if (answer !== '') stdout.write(`${answer.replace(/\n/g, '\r\n')}\r\n`);
    monitor?.prompt();
  };

  const onData = async (data: Buffer): Promise<void> => {
    const out: number[] = [];
    for (const byte of data) {
      if (escape) {
        escape = false;
        if (byte === 0x78 || byte === 0x58) return quit(); // Ctrl-A X
        if (byte === 0x63 || byte === 0x43) { // Ctrl-A C
          if (out.length > 0) await vm.com1.write(Uint8Array.from(out.splice(0)));
          toggleMonitor();
          continue;
        }
        if (byte !== CTRL_A) continue;
      } else if (byte === CTRL_A) {
        escape = true;
        continue;
      }
      if (monitor) {
        const line = monitor.key(byte);
        if (line !== undefined) await runMonitorLine(line);
      } else out.push(byte);
    }
    if (out.length > 0) await vm.com1.write(Uint8Array.from(out));
  };
  stdin.on('data', (data: Buffer) => {
    stdin.pause();
    onData(data).then(() => stdin.resume(), () => undefined); // a stopped VM takes no input: the run ends below
  });
  if ('isTTY' in stdin && stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  stdout.write('ymir console: COM1 of the VM. Ctrl-A X quits, Ctrl-A C opens the monitor.\r\n');
  vm.start();
  await Promise.race([quitting, vm.waitForStop()]);
  unsubscribe();
  if ('isTTY' in stdin && stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
}
