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

/** The entries for `added`, host modes kept (so executables stay executable), owned by root; throws the host's error. */
export function addedEntries(added: readonly AddedFile[]): NewcEntry[] {
  const entries: NewcEntry[] = [];
  const walk = (guest: string, host: string): void => {
    const stat = statSync(host);
    const name = guest.replace(/^\/+/, '');
    const base = { name, uid: 0, gid: 0, rdevMajor: 0, rdevMinor: 0 };
    if (stat.isDirectory()) {
      entries.push({ ...base, mode: S_IFDIR | (stat.mode & 0o7777), data: new Uint8Array(0) });
      for (const child of readdirSync(host).sort()) walk(`${guest}/${child}`, join(host, child));
    } else if (stat.isFile()) {
      entries.push({ ...base, mode: S_IFREG | (stat.mode & 0o7777), data: readFileSync(host) });
    }
  };
  for (const { guestPath, hostPath } of added) walk(guestPath.replace(/\/+$/, ''), hostPath);
  return entries;
}
