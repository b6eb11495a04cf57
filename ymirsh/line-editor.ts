/**
 * ymirsh's line editor over the serial console in raw mode: echo, backspace, Ctrl-U, Ctrl-W,
 * Ctrl-C (cancel the line), Ctrl-D (end on an empty line), history on the arrow keys, tab
 * completion of command names. It redraws with CR and BS only, which every terminal takes.
 */
export interface KeySource {
  /** The next input byte (blocking). */
  readByte(): number;
  write(text: string): void;
}

export type LineResult = { readonly kind: 'line'; readonly text: string } | { readonly kind: 'eof' } | { readonly kind: 'cancel' };

const ESC = 0x1b;

export class LineEditor {
  private readonly history: string[] = [];

  constructor(private readonly keys: KeySource, private readonly complete: (prefix: string) => readonly string[]) {}

  private redraw(prompt: string, old: string, text: string): void {
    const clear = old.length > text.length ? ' '.repeat(old.length - text.length) + '\b'.repeat(old.length - text.length) : '';
    this.keys.write(`\r${prompt}${text}${clear}`);
  }

  read(prompt: string): LineResult {
    const keys = this.keys;
    keys.write(prompt);
    let text = '';
    let recall = this.history.length;
    for (;;) {
      const byte = keys.readByte();
      switch (byte) {
        case 0x0d:
        case 0x0a:
          keys.write('\n');
          if (text.trim() !== '' && this.history[this.history.length - 1] !== text) this.history.push(text);
          return { kind: 'line', text };
        case 0x7f:
        case 0x08:
          if (text.length > 0) {
            text = text.slice(0, -1);
            keys.write('\b \b');
          }
          break;
        case 0x15: // Ctrl-U
          this.redraw(prompt, text, '');
          text = '';
          break;
        case 0x17: { // Ctrl-W: the word before the cursor and the blanks after it
          const next = text.replace(/\S*\s*$/, '');
          this.redraw(prompt, text, next);
          text = next;
          break;
        }
        case 0x03: // Ctrl-C
          keys.write('^C\n');
          return { kind: 'cancel' };
        case 0x04: // Ctrl-D
          if (text === '') {
            keys.write('\n');
            return { kind: 'eof' };
          }
          break;
        case 0x09: { // Tab
          const next = this.completion(text);
          if (next !== undefined) {
            this.redraw(prompt, text, next);
            text = next;
          }
          break;
        }
        case ESC: {
          const arrow = this.readArrow();
          if (arrow === 'up' || arrow === 'down') {
            recall = arrow === 'up' ? Math.max(0, recall - 1) : Math.min(this.history.length, recall + 1);
            const next = this.history[recall] ?? '';
            this.redraw(prompt, text, next);
            text = next;
          }
          break;
        }
        default:
          if (byte >= 0x20 && byte < 0x7f) {
            text += String.fromCharCode(byte);
            keys.write(String.fromCharCode(byte));
          }
      }
    }
  }

  /** ESC [ A/B/C/D (or ESC O A.. in application mode). */
  private readArrow(): 'up' | 'down' | 'right' | 'left' | undefined {
    const introducer = this.keys.readByte();
    if (introducer !== 0x5b && introducer !== 0x4f) return undefined;
    return ({ 0x41: 'up', 0x42: 'down', 0x43: 'right', 0x44: 'left' } as const)[this.keys.readByte() as 0x41] ?? undefined;
  }

  /** Complete the command name being typed: the unique match, or the longest common prefix. */
  private completion(text: string): string | undefined {
    if (text.includes(' ')) return undefined;
    const matches = this.complete(text);
    if (matches.length === 0) return undefined;
    if (matches.length === 1) return `${matches[0]} `;
    let common = matches[0]!;
    for (const m of matches) while (!m.startsWith(common)) common = common.slice(0, -1);
    if (common.length > text.length) return common;
    this.keys.write(`\n${matches.join('  ')}\n`);
    return text;
  }
}
