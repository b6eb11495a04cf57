/**
 * The serial console as lines of text, fed with raw guest bytes through the escape parser
 * (terminal-text.ts). It does what a dumb terminal does — CR, LF, BS, TAB — plus the cursor
 * controls line editors redraw with (CSI n A, C, D, G, K, J) and the cursor position report
 * (CSI 6 n) by which a program on a serial line learns the terminal's width; everything else is
 * dropped, so guest bytes never reach the host terminal raw. Long lines fold at `columns`.
 * Scrollback is bounded: it keeps at least `maxLines` lines, dropping the oldest in batches.
 */
import { EscapeParser, type TerminalSink } from './terminal-text.js';

/** Cursor position reports answered per second at most (see mayReply). */
const REPLIES_PER_SECOND = 4;
/** Lines kept beyond maxLines before the oldest are dropped, so they go in batches, not one by one. */
const TRIM_SLACK = 1024;

export class ConsoleScreen implements TerminalSink {
  private lines: string[] = [''];
  private row = 0;
  private column = 0;
  private readonly parser = new EscapeParser(this);
  /** Lines dropped off the top of the scrollback. */
  dropped = 0;
  /** Bumped on every change, so a renderer knows when to redraw. */
  version = 0;
  /** The console's size on the host's screen: where lines fold, and what a cursor position report says. */
  columns = 80;
  rows = 24;
  private replies: number[] = [];
  /** Where the screen's answers to the guest's queries go (the guest's receive line). */
  onReply: (text: string) => void = () => undefined;

  constructor(readonly maxLines = 10_000) {}

  get lineCount(): number {
    return this.lines.length;
  }

  /** Lines [start, end) of the scrollback. */
  slice(start: number, end: number): string[] {
    return this.lines.slice(Math.max(0, start), Math.max(0, end));
  }

  text(): string {
    return this.lines.join('\n');
  }

  write(bytes: Uint8Array): void {
    this.parser.write(bytes);
    this.version++;
  }

  execute(code: number): void {
    if (code === 0x0a) this.newline();
    else if (code === 0x0d) this.column = 0;
    else if (code === 0x08) this.column = Math.max(0, this.column - 1);
    else if (code === 0x09) this.put(' '.repeat(8 - (this.column % 8)));
    // other controls (BEL, ...): dropped
  }

  csi(params: string, final: string): void {
    const n = Math.max(1, Number.parseInt(params || '1', 10) || 1);
    const rowStart = this.column - (this.column % this.columns); // the folded row the cursor is on
    switch (final) {
      case 'A': this.row = Math.max(0, this.row - n); break;
      case 'C': this.column = Math.min(rowStart + this.columns - 1, this.column + n); break;
      case 'D': this.column = Math.max(rowStart, this.column - n); break;
      case 'G': this.column = rowStart + Math.min(this.columns, n) - 1; break;
      case 'K': this.setLine(this.current().slice(0, this.column)); break;
      case 'J':
        this.setLine(this.current().slice(0, this.column));
        this.lines.length = this.row + 1;
        break;
      case 'n':
        if (params === '6' && this.mayReply()) this.onReply(`\x1b[${this.cursorRow()};${(this.column % this.columns) + 1}R`);
        break;
      default: break; // colours, modes, other queries: not for a guest to set on our terminal
    }
  }

  /**
   * A terminal answers every query, and each answer arrives as input: a guest that floods queries
   * would type them into its own shell. A line editor asks once or twice per line; more than
   * REPLIES_PER_SECOND in a second go unanswered.
   */
  private mayReply(now = performance.now()): boolean {
    this.replies = this.replies.filter((at) => now - at < 1000);
    if (this.replies.length >= REPLIES_PER_SECOND) return false;
    this.replies.push(now);
    return true;
  }

  /** The cursor's row (from 1) among the last `rows` folded rows, as the guest's terminal would show them. */
  private cursorRow(): number {
    const folded = (line: string): number => Math.max(1, Math.ceil(line.length / this.columns));
    let below = folded(this.current()) - Math.floor(this.column / this.columns) - 1;
    for (let i = this.row + 1; i < this.lines.length && below < this.rows; i++) below += folded(this.lines[i]!);
    return Math.max(1, this.rows - below);
  }

  private current(): string {
    return this.lines[this.row] ?? '';
  }

  private setLine(text: string): void {
    this.lines[this.row] = text;
  }

  print(text: string): void {
    this.put(text);
  }

  private put(text: string): void {
    const current = this.current();
    if (this.column === current.length) {
      // The common case, text arriving at the end of the line, without rebuilding it around the cursor.
      this.lines[this.row] = current + text;
      this.column += text.length;
      return;
    }
    const line = current.padEnd(this.column, ' ');
    this.setLine(line.slice(0, this.column) + text + line.slice(this.column + text.length));
    this.column += text.length;
  }

  private newline(): void {
    this.row++;
    this.column = 0;
    if (this.row >= this.lines.length) this.lines.push('');
    if (this.lines.length > this.maxLines + TRIM_SLACK) {
      const excess = this.lines.length - this.maxLines;
      this.lines.splice(0, excess);
      this.row -= excess;
      this.dropped += excess;
    }
  }
}

