/**
 * The serial console as lines of text, fed with raw guest bytes. It interprets what a dumb
 * terminal does — CR, LF, BS, TAB — and the few cursor controls ymirsh uses to redraw in place
 * (CSI n A, CSI K, CSI J); every other control or escape sequence (OSC, DCS, mode changes, device
 * queries, C1 controls, bells) is dropped, so guest bytes never reach the host terminal raw.
 * Scrollback is bounded: it keeps at least `maxLines` lines, dropping the oldest in batches.
 */
const ESC = 0x1b;
const CSI_C1 = 0x9b;
/** C0 and C1 controls and DEL: what the parser must look at; everything else is plain text. */
const SPECIAL = /[\x00-\x1f\x7f-\x9f]/g;
/** Lines kept beyond maxLines before the oldest are dropped, so they go in batches, not one by one. */
const TRIM_SLACK = 1024;

type ParseState = 'text' | 'escape' | 'csi' | 'string' | 'string-escape';

export class ConsoleScreen {
  private lines: string[] = [''];
  private row = 0;
  private column = 0;
  private state: ParseState = 'text';
  private csiParams = '';
  private readonly decoder = new TextDecoder('utf-8');
  /** Lines dropped off the top of the scrollback. */
  dropped = 0;
  /** Bumped on every change, so a renderer knows when to redraw. */
  version = 0;

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
    const text = this.decoder.decode(bytes, { stream: true });
    let at = 0;
    while (at < text.length) {
      // Runs of printable text go onto the line at once; controls go through the parser one by one.
      if (this.state === 'text') {
        SPECIAL.lastIndex = at;
        const special = SPECIAL.exec(text);
        const end = special ? special.index : text.length;
        if (end > at) {
          this.put(text.slice(at, end));
          at = end;
          continue;
        }
      }
      const char = String.fromCodePoint(text.codePointAt(at)!);
      this.feed(char);
      at += char.length;
    }
    this.version++;
  }

  private feed(char: string): void {
    const code = char.codePointAt(0)!;
    switch (this.state) {
      case 'escape':
        if (char === '[') {
          this.state = 'csi';
          this.csiParams = '';
        } else if (char === ']' || char === 'P' || char === '_' || char === '^' || char === 'X') this.state = 'string';
        else this.state = 'text'; // a two-byte escape (ESC c, ESC 7, ...): dropped
        return;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) {
          this.state = 'text';
          this.csi(char, this.csiParams);
        } else if (code >= 0x20 && code <= 0x3f) this.csiParams += char;
        else this.state = 'text';
        return;
      case 'string': // OSC/DCS/APC/PM/SOS bodies end at BEL or ST (ESC \)
        if (code === 0x07 || code === 0x9c) this.state = 'text';
        else if (code === ESC) this.state = 'string-escape';
        return;
      case 'string-escape':
        this.state = char === '\\' ? 'text' : 'string';
        return;
      case 'text':
        break;
    }
    if (code === ESC) this.state = 'escape';
    else if (code === CSI_C1) {
      this.state = 'csi';
      this.csiParams = '';
    } else if (code === 0x0a) this.newline();
    else if (code === 0x0d) this.column = 0;
    else if (code === 0x08) this.column = Math.max(0, this.column - 1);
    else if (code === 0x09) this.put(' '.repeat(8 - (this.column % 8)));
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return; // other controls: dropped
    else this.put(char);
  }

  private csi(final: string, params: string): void {
    const n = Math.max(1, Number.parseInt(params || '1', 10) || 1);
    switch (final) {
      case 'A': this.row = Math.max(0, this.row - n); break;
      case 'K': this.setLine(this.current().slice(0, this.column)); break;
      case 'J':
        this.setLine(this.current().slice(0, this.column));
        this.lines.length = this.row + 1;
        break;
      default: break; // colours, modes, queries: not for a guest to set on our terminal
    }
  }

  private current(): string {
    return this.lines[this.row] ?? '';
  }

  private setLine(text: string): void {
    this.lines[this.row] = text;
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

/** Text with every control and escape sequence removed (for one-line uses such as `ymir run`). */
export function sanitize(bytes: Uint8Array): string {
  const screen = new ConsoleScreen(Number.MAX_SAFE_INTEGER);
  screen.write(bytes);
  return screen.text();
}
