/**
 * The cpio "newc" format as Linux's initramfs takes it (Documentation/driver-api/early-userspace/
 * buffer-format.rst): per entry a 110-byte ASCII header, the NUL-terminated name and the data, each
 * padded to 4 bytes; a TRAILER!!! entry ends the archive. Written by scripts/mkcpio.ts for the
 * committed image and by `ymir --add` for a user's own files (a second boot module).
 */
export const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000, S_IFBLK = 0o060000;

export interface NewcEntry {
  /** The path inside the archive, without a leading slash. */
  readonly name: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly data: Uint8Array;
  readonly rdevMajor: number;
  readonly rdevMinor: number;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(fields: readonly number[]): string {
  return `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`;
}

/** One record: header, NUL-terminated name, padding, data, padding. */
function record(ino: number, e: NewcEntry, mtime: number): Buffer {
  const name = Buffer.from(`${e.name}\0`);
  const nlink = (e.mode & S_IFMT) === S_IFDIR ? 2 : 1;
  const head = Buffer.from(header([ino, e.mode, e.uid, e.gid, nlink, mtime, e.data.length, 0, 0, e.rdevMajor, e.rdevMinor, name.length, 0]));
  return Buffer.concat([head, name, Buffer.alloc(pad4(head.length + name.length)), e.data, Buffer.alloc(pad4(e.data.length))]);
}

/** The archive of `entries` in the order given, inode numbers from 721 up (as gen_init_cpio's), every mtime `mtime`. */
export function writeNewc(entries: readonly NewcEntry[], mtime: number): Buffer {
  const trailer: NewcEntry = { name: 'TRAILER!!!', mode: 0, uid: 0, gid: 0, data: new Uint8Array(0), rdevMajor: 0, rdevMinor: 0 };
  const parts = entries.map((e, i) => record(721 + i, e, mtime));
  parts.push(record(0, trailer, 0));
  return Buffer.concat(parts);
}
