/* The kernel's initramfs unpacker, given archives written by scripts/mkcpio.ts. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INITRAMFS, PROMPT, QemuGuest } from './qemu.js';

const MKCPIO = fileURLToPath(new URL('../../scripts/mkcpio.ts', import.meta.url));

let guest: QemuGuest | undefined;
let dir: string | undefined;
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** An archive that replaces /etc/motd and adds a directory with a symlink to it. */
function extraArchive(): string {
  dir = mkdtempSync(join(tmpdir(), 'ymir-cpio-'));
  writeFileSync(join(dir, 'motd'), 'a motd from the second archive\n');
  writeFileSync(join(dir, 'list'), [
    `file /etc/motd ${join(dir, 'motd')} 0644 0 0`,
    'dir /extra 0755 0 0',
    'slink /extra/motd-link /etc/motd 0777 0 0',
  ].join('\n'));
  execFileSync('npx', ['--no-install', 'tsx', MKCPIO, join(dir, 'list'), join(dir, 'extra.cpio')]);
  return join(dir, 'extra.cpio');
}

describe('the initramfs', () => {
  it('unpacks concatenated archives, a later entry replacing an earlier one, with symlinks', async () => {
    const extra = extraArchive();
    const both = join(dir!, 'both.cpio');
    writeFileSync(both, Buffer.concat([readFileSync(INITRAMFS), readFileSync(extra)]));
    guest = new QemuGuest({ initrd: both, append: 'console=ttyS0' });
    await guest.waitFor(PROMPT);
    expect(guest.text()).toContain('a motd from the second archive');
    expect(guest.text()).not.toContain('Welcome to ymir-guest');
    expect(await guest.run('cat /extra/motd-link\r')).toContain('a motd from the second archive');
    expect(await guest.run('ls -l /extra\r')).toMatch(/^lrwxrwxrwx +1 0 +0 +9 motd-link\r$/m);
  });

  it('unpacks each Multiboot module in turn', async () => {
    const extra = extraArchive();
    guest = new QemuGuest({ initrd: `${INITRAMFS},${extra}`, append: 'console=ttyS0' });
    await guest.waitFor(PROMPT);
    expect(guest.text().match(/Trying to unpack rootfs image as initramfs/g)).toHaveLength(2);
    expect(guest.text()).toContain('a motd from the second archive');
  });

  it('writes the same archive twice from the same list, with fixed inode numbers and mtimes', () => {
    const first = readFileSync(extraArchive());
    const again = join(dir!, 'again.cpio');
    execFileSync('npx', ['--no-install', 'tsx', MKCPIO, join(dir!, 'list'), again]);
    expect(readFileSync(again).equals(first)).toBe(true);
    // newc headers: "070701", then ino, mode, uid, gid, nlink, mtime as 8 hex digits each.
    const text = first.toString('latin1');
    expect(text.startsWith('070701000002d1')).toBe(true); // inode 721 first, as gen_init_cpio
    expect(text.slice(6 + 5 * 8, 6 + 6 * 8)).toBe('00000000');
    expect(text).toContain('TRAILER!!!');
  });
});
