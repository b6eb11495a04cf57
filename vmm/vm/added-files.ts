/** `ymir --add GUEST=HOST`: a user's own files as a second initramfs archive, unpacked over the image's. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type NewcEntry, S_IFDIR, S_IFREG } from './newc.js';

export interface AddedFile {
  /** An absolute path in the guest, e.g. /bin/hello. */
  readonly guestPath: string;
  /** A file, or a directory whose whole tree goes under guestPath. */
  readonly hostPath: string;
}

/**
 * The entries for `added`, host modes kept (so executables stay executable), owned by root; or
 * what could not be added: an unreadable path, or one that is neither a file nor a directory.
 */
export function addedEntries(added: readonly AddedFile[]): NewcEntry[] | string {
  const entries: NewcEntry[] = [];
  const walk = (guest: string, host: string): string | undefined => {
    const stat = statSync(host);
    const base = { name: guest.replace(/^\/+/, ''), uid: 0, gid: 0, rdevMajor: 0, rdevMinor: 0 };
    if (stat.isFile()) {
      entries.push({ ...base, mode: S_IFREG | (stat.mode & 0o7777), data: readFileSync(host) });
      return undefined;
    }
    if (!stat.isDirectory()) return `cannot add ${host}: not a file or directory`;
    entries.push({ ...base, mode: S_IFDIR | (stat.mode & 0o7777), data: new Uint8Array(0) });
    for (const child of readdirSync(host).sort()) {
      const refused = walk(`${guest}/${child}`, join(host, child));
      if (refused !== undefined) return refused;
    }
    return undefined;
  };
  try {
    for (const { guestPath, hostPath } of added) {
      const refused = walk(guestPath.replace(/\/+$/, ''), hostPath);
      if (refused !== undefined) return refused;
    }
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    return `cannot add ${path ?? 'a file'}: ${code ?? String(error)}`;
  }
  return entries;
}
