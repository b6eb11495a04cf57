/**
 * A one-line editor for a prompt on a raw terminal (the console's monitor): printable text, BS and
 * DEL, Ctrl-U clears, Ctrl-C abandons the line, Enter ends it. Escape sequences (arrow keys) are
 * skipped. Echo goes to `write`, with what it shows already safe: only the user's own typing.
 */
export class PromptLine {
  private bytes: number[] = [];
  private inEscape = false;

  constructor(private readonly text: string, private readonly write: (text: string) => void) {}

  /** Shows the prompt and what has been typed after it so far. */
  prompt(): void {
    this.write(this.text + Buffer.from(this.bytes).toString('utf8'));
  }

  /** Feeds one input byte; returns the line when Enter ended it. */
  key(byte: number): string | undefined {
    if (this.inEscape) {
      if (byte >= 0x40 && byte <= 0x7e && byte !== 0x5b) this.inEscape = false; // the final byte of ESC [ ... X
      return undefined;
    }
    if (byte === 0x1b) this.inEscape = true;
    else if (byte === 0x0d || byte === 0x0a) {
      const line = Buffer.from(this.bytes).toString('utf8');
      this.bytes = [];
      this.write('\r\n');
      return line;
    } else if (byte === 0x7f || byte === 0x08) {
      if (this.bytes.length === 0) return undefined;
      // Drop one character, and any UTF-8 continuation bytes it had.
      while (this.bytes.length > 0 && (this.bytes.pop()! & 0xc0) === 0x80);
      this.write('\b \b');
    } else if (byte === 0x15 || byte === 0x03) {
      this.write(byte === 0x03 ? '^C\r\n' : '\r\x1b[K');
      this.bytes = [];
      this.prompt();
    } else if (byte >= 0x20) {
      this.bytes.push(byte);
      if (byte < 0x80) this.write(String.fromCharCode(byte));
      else this.flushUtf8();
    }
    return undefined;
  }

  /** Echo a multi-byte character once it is complete. */
  private flushUtf8(): void {
    let start = this.bytes.length - 1;
    while (start > 0 && (this.bytes[start]! & 0xc0) === 0x80) start--;
    const lead = this.bytes[start]!;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (this.bytes.length - start === need) this.write(Buffer.from(this.bytes.slice(start)).toString('utf8'));
  }
}
