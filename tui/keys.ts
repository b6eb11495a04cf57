/** Ink key events turned into the bytes a terminal would send, for raw mode. */
import type { Key } from 'ink';

export function keyBytes(input: string, key: Key): string {
  if (key.return) return '\r';
  if (key.backspace || key.delete) return '\x7f';
  if (key.tab) return '\t';
  if (key.escape) return '\x1b';
  if (key.upArrow) return '\x1b[A';
  if (key.downArrow) return '\x1b[B';
  if (key.rightArrow) return '\x1b[C';
  if (key.leftArrow) return '\x1b[D';
  if (key.ctrl && input.length === 1) {
    const code = input.toLowerCase().charCodeAt(0);
    if (code >= 0x61 && code <= 0x7a) return String.fromCharCode(code - 0x60);
  }
  return input;
}
