/**
 * Draws the TUI's frames on the terminal by rewriting only the rows that changed. Ink, left to
 * itself, clears the whole terminal whenever its output is as tall as the screen, which a
 * full-screen TUI always is: every update flickered. Here Ink renders whole frames (its debug
 * mode) into a stand-in stdout, and this writer compares each frame with the last one, row by
 * row, and moves the cursor to each changed row to redraw it. Updates go inside a synchronized
 * update (DEC mode 2026), which terminals that know it show at once.
 */
import { EventEmitter } from 'node:events';
import stringWidth from 'string-width';

const BEGIN_SYNC = '\x1b[?2026h';
const END_SYNC = '\x1b[?2026l';

export interface TerminalOutput {
  write(text: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
}

export class FrameWriter {
  private previous: string[] = [];
  /** Bytes written to the terminal so far (what the no-flicker tests and the bench measure). */
  bytesWritten = 0;

  constructor(private readonly terminal: TerminalOutput) {}

  /** A whole frame (rows joined by LF): only the rows that differ from the last frame are written. */
  frame(text: string): void {
    const rows = text.split('\n');
    const height = this.terminal.rows ?? rows.length;
    const width = this.terminal.columns ?? Number.POSITIVE_INFINITY;
    let out = '';
    for (let i = 0; i < Math.min(height, Math.max(rows.length, this.previous.length)); i++) {
      const row = rows[i] ?? '';
      if (row === this.previous[i]) continue;
      // Erase what is left of the old row, but not after a row that fills the width: the cursor
      // then waits on the last column, and an erase there would take the row's last character.
      out += `\x1b[${i + 1};1H${row}\x1b[0m${stringWidth(row) < width ? '\x1b[K' : ''}`;
    }
    this.previous = rows;
    if (out !== '') this.write(`${BEGIN_SYNC}${out}${END_SYNC}`);
  }

  /** Forget what is on the screen (after a resize): the next frame is drawn whole on a cleared screen. */
  invalidate(): void {
    this.previous = [];
    this.write('\x1b[2J');
  }

  private write(text: string): void {
    this.bytesWritten += Buffer.byteLength(text);
    this.terminal.write(text);
  }
}

/**
 * The stdout Ink renders into: it reports the real terminal's size and resizes, and hands every
 * frame to the writer. It says it is not a TTY so that Ink writes no cursor controls of its own.
 */
export class FrameStdout extends EventEmitter {
  readonly isTTY = false;

  constructor(private readonly terminal: TerminalOutput & Partial<Pick<NodeJS.WriteStream, 'on' | 'off'>>, readonly writer: FrameWriter) {
    super();
    const onResize = (): void => {
      writer.invalidate();
      this.emit('resize');
    };
    terminal.on?.('resize', onResize);
    this.detach = () => terminal.off?.('resize', onResize);
  }

  readonly detach: () => void;

  get columns(): number {
    return this.terminal.columns ?? 80;
  }

  get rows(): number {
    return this.terminal.rows ?? 24;
  }

  write(frame: string): boolean {
    this.writer.frame(frame);
    return true;
  }
}
