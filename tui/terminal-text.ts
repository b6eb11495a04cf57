/**
 * Guest bytes on their way to a host terminal or file: one streaming parser of ECMA-48 control
 * sequences for every text path (the TUI's console, `ymir console`, `ymir run`, `top`, transcripts),
 * so that none of them can be steered by what a guest prints.
 *
 * The parser hands its sink printable text, C0 controls and CSI sequences (the print, execute and
 * csi-dispatch actions of the VT500 parser at vt100.net); every string sequence
 * (OSC, DCS, APC, PM, SOS) and every other escape is swallowed. A sequence ends where the
 * terminal would end it, at CAN or SUB (which cancel it, ECMA-48 8.3.6/8.3.148), or at a length
 * bound: an unterminated OSC cannot swallow the output after it. Bidirectional formatting
 * controls (U+202A–U+202E, U+2066–U+2069), which reorder what a reader sees, arrive as visible
 * text such as `<U+202E>`.
 */
const ESC = 0x1b;
const CAN = 0x18;
const SUB = 0x1a;
const BEL = 0x07;
/** The 8-bit forms of CSI and ST; other C1 controls are dropped. */
const C1_CSI = 0x9b;
const C1_ST = 0x9c;
/** C0 and C1 controls, DEL and the bidi controls: what the parser looks at one by one; everything else is plain text. */
const SPECIAL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const BIDI = /^[\u202a-\u202e\u2066-\u2069]$/;
/** Longest string-sequence body and CSI parameter list a terminal would plausibly need; longer ones end there. */
export const MAX_STRING_SEQUENCE = 4096;
export const MAX_CSI_PARAMETERS = 64;

export interface TerminalSink {
  /** A run of printable characters (the "print" action of a VT parser). */
  print(text: string): void;
  /** A C0 control (LF, CR, BS, TAB, BEL, ...) or DEL ("execute"). */
  execute(code: number): void;
  /** CSI `params` `final` (params: parameter and intermediate bytes, e.g. `2` for CSI 2 J, `?25` for CSI ? 25 l). */
  csi(params: string, final: string): void;
}

type State = 'text' | 'escape' | 'csi' | 'string' | 'string-escape';

export class EscapeParser {
  private state: State = 'text';
  private params = '';
  private stringLength = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly sink: TerminalSink) {}

  /** Feed guest bytes (UTF-8, decoded across calls; malformed bytes become U+FFFD). */
  write(bytes: Uint8Array): void {
    this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  feed(text: string): void {
    let at = 0;
    while (at < text.length) {
      if (this.state === 'text') {
        SPECIAL.lastIndex = at;
        const special = SPECIAL.exec(text);
        const end = special ? special.index : text.length;
        if (end > at) {
          this.sink.print(text.slice(at, end));
          at = end;
          continue;
        }
      }
      const code = text.codePointAt(at)!;
      this.step(code, text[at]!);
      at += code > 0xffff ? 2 : 1;
    }
  }

  private step(code: number, char: string): void {
    if (code === CAN || code === SUB) {
      this.state = 'text'; // cancels any sequence in progress, and is itself not shown
      return;
    }
    switch (this.state) {
      case 'escape':
        if (char === '[') this.startCsi();
        else if (char === ']' || char === 'P' || char === '_' || char === '^' || char === 'X') this.startString();
        else if (code === ESC) return;
        else this.state = 'text'; // a two-byte escape (ESC c, ESC 7, ...): dropped
        return;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) {
          this.state = 'text';
          this.sink.csi(this.params, char);
        } else if (code >= 0x20 && code <= 0x3f && this.params.length < MAX_CSI_PARAMETERS) this.params += char;
        else if (code === ESC) this.state = 'escape';
        else this.state = 'text'; // malformed or too long: what follows is text again
        return;
      case 'string':
        if (code === BEL || code === C1_ST) this.state = 'text';
        else if (code === ESC) this.state = 'string-escape';
        else if (++this.stringLength > MAX_STRING_SEQUENCE) this.state = 'text';
        return;
      case 'string-escape':
        // ESC \ is ST; an ESC followed by anything else ends the string and starts a new sequence.
        if (char === '\\') this.state = 'text';
        else {
          this.state = 'escape';
          this.step(code, char);
        }
        return;
      case 'text':
        break;
    }
    if (code === ESC) this.state = 'escape';
    else if (code === C1_CSI) this.startCsi();
    else if (code < 0x20 || code === 0x7f) this.sink.execute(code);
    else if (BIDI.test(char)) this.sink.print(`<U+${code.toString(16).toUpperCase()}>`);
    // other C1 controls: dropped
  }

  private startCsi(): void {
    this.state = 'csi';
    this.params = '';
  }

  private startString(): void {
    this.state = 'string';
    this.stringLength = 0;
  }
}

/**
 * Guest output as plain lines, as a file or a log shows them: CR and BS move within the line,
 * CSI K erases to its end, tabs become spaces, every other control or sequence is dropped, and
 * every line ends with LF alone. `onLine` gets each line as it ends.
 */
export class LineText implements TerminalSink {
  private line = '';
  private column = 0;
  private readonly parser = new EscapeParser(this);

  constructor(private readonly onLine: (line: string) => void) {}

  write(bytes: Uint8Array): void {
    this.parser.write(bytes);
  }

  /** The line in progress (not yet ended by LF). */
  get pending(): string {
    return this.line;
  }

  print(text: string): void {
    if (this.column === this.line.length) this.line += text;
    else this.line = this.line.padEnd(this.column, ' ').slice(0, this.column) + text + this.line.slice(this.column + text.length);
    this.column += text.length;
  }

  execute(code: number): void {
    if (code === 0x0a) {
      const line = this.line;
      this.line = '';
      this.column = 0;
      this.onLine(line);
    } else if (code === 0x0d) this.column = 0;
    else if (code === 0x08) this.column = Math.max(0, this.column - 1);
    else if (code === 0x09) this.print(' '.repeat(8 - (this.column % 8)));
  }

  csi(params: string, final: string): void {
    if (final === 'K' && (params === '' || params === '0')) this.line = this.line.slice(0, this.column);
  }
}

/** Guest bytes as plain text lines joined by LF (the unterminated last line included). */
export function sanitize(bytes: Uint8Array): string {
  const lines: string[] = [];
  const text = new LineText((line) => lines.push(line));
  text.write(bytes);
  lines.push(text.pending);
  return lines.join('\n');
}
