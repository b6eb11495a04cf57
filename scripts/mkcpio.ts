/**
 * A reproducible initramfs writer: `npx tsx scripts/mkcpio.ts LIST OUT` reads a list in the
 * format of Linux's usr/gen_init_cpio and writes a cpio "newc" archive (Linux's
 * Documentation/driver-api/early-userspace/buffer-format.rst). Entries are sorted by path
 * (so parents precede children), inode numbers count up from 721 in that order (as
 * gen_init_cpio's do), and every mtime is SOURCE_DATE_EPOCH (default 0): the same list and
 * files give the same bytes.
 *
 *   dir NAME MODE UID GID
 *   file NAME LOCATION MODE UID GID
 *   nod NAME MODE UID GID c|b MAJOR MINOR
 *   slink NAME TARGET MODE UID GID
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type NewcEntry as Entry, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFREG, writeNewc } from '../vmm/vm/newc.js';

class ListError extends Error {
  override readonly name = 'ListError';
}

function octal(text: string | undefined, line: number): number {
  if (text === undefined || !/^[0-7]+$/.test(text)) throw new ListError(`line ${line}: bad mode ${text ?? '(missing)'}`);
  return Number.parseInt(text, 8);
}

function decimal(text: string | undefined, line: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new ListError(`line ${line}: bad number ${text ?? '(missing)'}`);
  return Number(text);
}

function parseList(text: string, base: string): Entry[] {
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const words = raw.trim().split(/\s+/);
    if (words[0] === undefined || words[0] === '' || words[0].startsWith('#')) return;
    const [kind, path] = words;
    if (!path?.startsWith('/')) throw new ListError(`line ${line}: the name must be an absolute path`);
    const name = path.replace(/^\/+/, '');
    const entry = (mode: number, uid: string | undefined, gid: string | undefined, data = Buffer.alloc(0), rdev: [number, number] = [0, 0]): Entry => ({
      name, mode, uid: decimal(uid, line), gid: decimal(gid, line), data, rdevMajor: rdev[0], rdevMinor: rdev[1],
    });
    switch (kind) {
      case 'dir':
        entries.push(entry(S_IFDIR | octal(words[2], line), words[3], words[4]));
        break;
      case 'file':
        entries.push(entry(S_IFREG | octal(words[3], line), words[4], words[5], readFileSync(resolve(base, words[2] ?? ''))));
        break;
      case 'slink':
        entries.push(entry(S_IFLNK | octal(words[3], line), words[4], words[5], Buffer.from(words[2] ?? '')));
        break;
      case 'nod': {
        const type = words[5] === 'c' ? S_IFCHR : words[5] === 'b' ? S_IFBLK : undefined;
        if (type === undefined) throw new ListError(`line ${line}: a node is c or b`);
        entries.push(entry(type | octal(words[2], line), words[3], words[4], undefined, [decimal(words[6], line), decimal(words[7], line)]));
        break;
      }
      default:
        throw new ListError(`line ${line}: unknown entry type ${kind}`);
    }
  });
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw new ListError(`/${e.name} is listed twice`);
    names.add(e.name);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function main(argv: readonly string[]): number {
  const [list, out] = argv;
  if (list === undefined || out === undefined) {
    process.stderr.write('usage: mkcpio LIST OUT\n');
    return 2;
  }
  const mtime = Number(process.env['SOURCE_DATE_EPOCH'] ?? '0');
  if (!Number.isInteger(mtime) || mtime < 0) {
    process.stderr.write(`mkcpio: SOURCE_DATE_EPOCH must be a non-negative integer\n`);
    return 2;
  }
  try {
    // Relative locations are relative to the directory make runs in, as gen_init_cpio's are.
    writeFileSync(out, writeNewc(parseList(readFileSync(list, 'utf8'), process.cwd()), mtime));
  } catch (error) {
    process.stderr.write(`mkcpio: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
