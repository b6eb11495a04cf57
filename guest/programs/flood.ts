/** Test programs: console floods, escape-sequence floods, and faults, for the reliability suite. */
import { gva } from '../../vmm/hw/address.js';
import type { Program } from '../user/program.js';

export const flood: Program = {
  name: 'flood',
  summary: 'flood [BYTES]: print BYTES (default 1 MiB) of numbered lines as fast as possible',
  main(rt, argv) {
    const total = Number(argv[1] ?? 1 << 20);
    if (!Number.isInteger(total) || total < 0) {
      rt.print('usage: flood [BYTES]\n');
      return 2;
    }
    for (const chunk of floodChunks(total)) rt.print(chunk);
    return 0;
  },
};

/** What `flood BYTES` prints, in pieces of about 64 KiB: numbered lines, so a lost, doubled or reordered byte shows. */
export function* floodChunks(total: number): Generator<string> {
  const line = (n: number): string => `flood ${String(n).padStart(8, '0')} ${'abcdefghijklmnopqrstuvwxyz'.repeat(2)}\n`;
  let chunk = '';
  let left = total;
  for (let n = 0; left > 0; n++) {
    const next = line(n).slice(0, left);
    chunk += next;
    left -= next.length;
    if (chunk.length >= 65536 || left === 0) {
      yield chunk;
      chunk = '';
    }
  }
}

export const escflood: Program = {
  name: 'escflood',
  summary: 'print terminal escape sequences a hostile guest might send',
  main(rt, argv) {
    const rounds = Number(argv[1] ?? 200);
    // Clear, home, window title, alternate screen, reset, 8-bit CSI, cursor report, bell, colour,
    // DCS, mouse tracking, bracketed paste, hidden cursor, clipboard write, keypad mode, scroll region.
    const hostile = [
      '\x1b[2J', '\x1b[H', '\x1b]0;pwned\x07', '\x1b[?1049h', '\x1bc', '\x9b31m', '\x1b[6n', '\x07', '\x1b[31;1mred', '\x1bP+q\x1b\\',
      '\x1b[?1000h\x1b[?1003h', '\x1b[?2004h', '\x1b[?25l', '\x1b]52;c;cHduZWQ=\x07', '\x1b=', '\x1b[5;10r',
    ];
    for (let i = 0; i < rounds; i++) rt.print(`${hostile[i % hostile.length]}line ${i}\n`);
    rt.print('escflood done\n');
    return 0;
  },
};

export const fault: Program = {
  name: 'fault',
  summary: 'fault segv|kernel: touch memory the process may not',
  main(rt, argv) {
    switch (argv[1]) {
      case 'segv': rt.cpu.read8(gva(0x10)); break; // an unmapped user address
      case 'kernel': rt.cpu.read8(gva(0xffff888000001000n)); break; // the kernel's direct map, supervisor-only
      default: rt.print('usage: fault segv|kernel\n'); return 2;
    }
    return 0;
  },
};
