import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsoleScreen } from '../../tui/console-screen.js';
import { sanitize } from '../../tui/terminal-text.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const screenOf = (...chunks: (string | Uint8Array)[]): ConsoleScreen => {
  const screen = new ConsoleScreen();
  for (const chunk of chunks) screen.write(typeof chunk === 'string' ? bytes(chunk) : chunk);
  return screen;
};

describe('the console screen', () => {
  it('does what a dumb terminal does with CR, LF, BS and TAB', () => {
    expect(screenOf('ab\tc\r\nxyz\rX\nq\bw').text()).toBe('ab      c\nXyz\nw');
  });

  it('follows the cursor controls ymirsh redraws with: CSI A, CSI K, CSI J', () => {
    expect(screenOf('one\r\ntwo\r\n\x1b[2Athree\x1b[K\r\n').text()).toBe('three\ntwo\n');
    expect(screenOf('ymirsh> regz\r\x1b[Kymirsh> regs').text()).toBe('ymirsh> regs');
    expect(screenOf('a\r\nb\r\nc\x1b[A\r\x1b[J').text()).toBe('a\n');
  });

  it('drops every other escape sequence and control, even split across writes', () => {
    const hostile = ['\x1b]0;pwned\x07', '\x1b[?1049h', '\x1bc', '\x9b31m', '\x1b[6n', '\x07', '\x1bP+q\x1b\\', '\x1b]52;c;cHduZWQ=\x1b\\', '\x1b[?1000h'];
    const text = hostile.map((h, i) => `${h}line ${i}`).join('\r\n');
    const whole = screenOf(text).text();
    expect(whole).toBe(hostile.map((_, i) => `line ${i}`).join('\n'));
    const all = bytes(text);
    const split = screenOf(...Array.from(all, (b) => Uint8Array.of(b))).text();
    expect(split).toBe(whole);
  });

  it('never lets an escape or control character through, whatever the bytes', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const text = screenOf(...chunks).text();
      expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    }));
  });

  it('decodes UTF-8 split across writes', () => {
    const snowman = bytes('☃ ok');
    expect(screenOf(snowman.subarray(0, 1), snowman.subarray(1, 2), snowman.subarray(2)).text()).toBe('☃ ok');
  });

  it('keeps at least maxLines lines of scrollback, dropping the oldest', () => {
    const screen = new ConsoleScreen(100);
    for (let i = 0; i < 5000; i++) screen.write(bytes(`line ${i}\n`));
    expect(screen.lineCount).toBeGreaterThanOrEqual(100);
    expect(screen.dropped + screen.lineCount).toBe(5001);
    const last = screen.slice(screen.lineCount - 3, screen.lineCount);
    expect(last).toEqual(['line 4998', 'line 4999', '']);
    expect(screen.slice(0, 1)[0]).toBe(`line ${screen.dropped}`);
  });

  it('sanitize gives the plain text of a byte stream', () => {
    expect(sanitize(bytes('\x1b[31mred\x1b[0m\r\nok'))).toBe('red\nok');
  });

  it('answers a cursor position report with the column on its folded row, so a guest can learn the width', () => {
    const screen = new ConsoleScreen();
    screen.columns = 78;
    screen.rows = 13;
    const replies: string[] = [];
    screen.onReply = (text) => replies.push(text);
    screen.write(bytes('~ # \x1b[6n')); // linenoise's way: where am I,
    screen.write(bytes('\x1b[999C\x1b[6n')); // then as far right as the terminal goes
    expect(replies).toEqual(['\x1b[13;5R', '\x1b[13;78R']);
    screen.write(bytes('\x1b[999D\x1b[3Gx'));
    expect(screen.text()).toBe('~ x ');
  });

  it('answers a flood of queries only a few times a second, so a guest cannot type much into itself', () => {
    const screen = new ConsoleScreen();
    const replies: string[] = [];
    screen.onReply = (text) => replies.push(text);
    screen.write(bytes('\x1b[6n'.repeat(480)));
    expect(replies).toHaveLength(4);
  });
});
