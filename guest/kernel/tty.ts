/**
 * The console tty over COM1: output post-processing (ONLCR), input line discipline in cooked mode
 * (echo, backspace, Ctrl-U, Ctrl-W, Ctrl-C, Ctrl-D) or raw bytes for programs that edit lines
 * themselves, and blocking reads that sleep in HLT until the receive interrupt brings input.
 */
import type { GuestCpu } from '../../vmm/hw/guest-cpu.js';
import type { Uart } from './uart.js';
import { haltTickless } from './lapic.js';

export const CTRL_C = 0x03;
export const CTRL_D = 0x04;
const CTRL_U = 0x15;
const CTRL_W = 0x17;
const BACKSPACE = 0x7f;
const CTRL_H = 0x08;
const encoder = new TextEncoder();

export class Tty {
  raw = false;
  /** Bytes ready for read(): completed lines in cooked mode, everything in raw mode. */
  private ready: number[] = [];
  private line: number[] = [];
  private eof = false;
  /** What Ctrl-C does in cooked mode (the kernel kills the foreground process). */
  onInterrupt: () => void = () => {};

  constructor(private readonly cpu: GuestCpu, private readonly uart: Uart) {}

  write(bytes: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0x0a || (i > 0 && bytes[i - 1] === 0x0d)) continue;
      this.uart.write(bytes.subarray(start, i));
      this.uart.write(encoder.encode('\r\n'));
      start = i + 1;
    }
    this.uart.write(bytes.subarray(start));
  }

  print(text: string): void {
    this.write(encoder.encode(text));
  }

  /** The receive interrupt: take the UART's bytes through the line discipline. */
  receiveInterrupt(): void {
    this.uart.receive((byte) => this.input(byte));
  }

  private input(byte: number): void {
    if (this.raw) {
      this.ready.push(byte);
      return;
    }
    switch (byte) {
      case 0x0d:
      case 0x0a:
        this.print('\n');
        this.ready.push(...this.line, 0x0a);
        this.line = [];
        return;
      case BACKSPACE:
      case CTRL_H:
        if (this.line.length > 0) {
          this.line.pop();
          this.print('\b \b');
        }
        return;
      case CTRL_U:
        this.print('\b \b'.repeat(this.line.length));
        this.line = [];
        return;
      case CTRL_W: {
        let n = 0;
        while (this.line.length > 0 && this.line[this.line.length - 1] === 0x20) { this.line.pop(); n++; }
        while (this.line.length > 0 && this.line[this.line.length - 1] !== 0x20) { this.line.pop(); n++; }
        this.print('\b \b'.repeat(n));
        return;
      }
      case CTRL_C:
        this.print('^C\n');
        this.line = [];
        this.ready = [];
        this.onInterrupt();
        return;
      case CTRL_D:
        if (this.line.length === 0) this.eof = true;
        else {
          this.ready.push(...this.line);
          this.line = [];
        }
        return;
      default:
        if (byte >= 0x20 || byte === 0x09) {
          this.line.push(byte);
          this.write(Uint8Array.of(byte));
        }
    }
  }

  /** Bytes a read() would return without sleeping. */
  get available(): number {
    return this.ready.length;
  }

  /**
   * Read up to `max` bytes, sleeping until some arrive: a line in cooked mode. Returns an empty
   * array at end of file (Ctrl-D on an empty line).
   */
  read(max: number): Uint8Array {
    for (;;) {
      this.cpu.cli();
      this.receiveInterrupt(); // bytes that came while interrupts were off
      if (this.ready.length > 0 || this.eof) break;
      this.cpu.sti();
      haltTickless(this.cpu); // only the UART's interrupt can end this wait
    }
    this.cpu.sti();
    if (this.ready.length === 0) {
      this.eof = false;
      return new Uint8Array(0);
    }
    let n = Math.min(max, this.ready.length);
    if (!this.raw) {
      const newline = this.ready.indexOf(0x0a);
      if (newline >= 0) n = Math.min(n, newline + 1);
    }
    return Uint8Array.from(this.ready.splice(0, n));
  }

  /** Forget pending input (a new program starts with a clean line). */
  flush(): void {
    this.ready = [];
    this.line = [];
    this.eof = false;
  }
}
