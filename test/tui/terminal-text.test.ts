/**
 * Every text path a guest's bytes take to the host — the TUI's console screen, `ymir console`'s
 * filter, the plain lines of `ymir run`, `top` and transcripts — ends a hostile sequence where a
 * terminal would and shows bidi controls instead of obeying them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TerminalFilter } from '../../tui/console.js';
import { ConsoleScreen } from '../../tui/console-screen.js';
import { LineText, MAX_STRING_SEQUENCE, sanitize } from '../../tui/terminal-text.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The text each path shows for the same guest output. */
const paths: readonly [string, (text: string) => string][] = [
  ['the TUI console', (text) => { const s = new ConsoleScreen(); s.write(bytes(text)); return s.text(); }],
  ['ymir console', (text) => new TerminalFilter().filter(bytes(text)).replace(/\r\n/g, '\n')],
  ['ymir run, top and transcripts', (text) => sanitize(bytes(text))],
];

const WARNING = '[WARN ] io      | OUT to unknown port 0x80: ignored';

describe.each(paths)('%s', (_, show) => {
  it('ends an unterminated OSC at CAN or SUB, so the VMM warning after it is shown', () => {
    for (const cancel of ['\x18', '\x1a']) expect(show(`\x1b]0;pwned${cancel}${WARNING}\n`)).toBe(`${WARNING}\n`);
  });

  it('ends an unterminated OSC or DCS after a length bound instead of swallowing the rest of the output', () => {
    for (const opener of ['\x1b]52;c;', '\x1bP+q']) {
      const shown = show(`${opener}${'A'.repeat(MAX_STRING_SEQUENCE + 10)}\n${WARNING}\n`);
      expect(shown).toContain(`${WARNING}\n`);
      expect(shown.length).toBeLessThan(100); // the body up to the bound was swallowed, the rest is plain text
    }
  });

  it('ends a string sequence at an ESC that is not ST and reads what follows as a new sequence', () => {
    expect(show(`\x1b]0;title\x1b[?25l${WARNING}\n`)).toBe(`${WARNING}\n`);
  });

  it('shows bidi controls escaped instead of letting them reorder the line', () => {
    const trojan = 'access = "user\u202e \u2066// admin\u2069\u2066"';
    expect(show(`${trojan}\n`)).toBe('access = "user<U+202E> <U+2066>// admin<U+2069><U+2066>"\n');
  });
});

describe('the plain-text line model', () => {
  it('gives lines ending in LF alone, whatever line endings the guest used', () => {
    const lines: string[] = [];
    const text = new LineText((line) => lines.push(line));
    text.write(bytes('one\r\ntwo\n\rthree\r\r\nfour'));
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(text.pending).toBe('four');
  });

  it('never passes a control character or escape, whatever the bytes', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const lines: string[] = [];
      const text = new LineText((line) => lines.push(line));
      for (const chunk of chunks) text.write(chunk);
      expect([...lines, text.pending].join('\n')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    }));
  });
});

describe("ymir console's filter", () => {
  it('passes the cursor movements, erases and position report a line editor uses, and nothing else', () => {
    const filter = new TerminalFilter();
    expect(filter.filter(bytes('a\x1b[3D\x1b[K\x1b[2J\x1b[6n\x1b[10C'))).toBe('a\x1b[3D\x1b[K\x1b[2J\x1b[6n\x1b[10C');
    expect(filter.filter(bytes('\x1b[?1049h\x1b[31m\x1b[5n\x1b[3J\x1b[1;1H\x1b[>c'))).toBe('');
  });
});
