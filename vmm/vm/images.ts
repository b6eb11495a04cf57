/**
 * Where the committed guest images are, from source (vmm/vm/) or from the build (dist/vmm/vm/):
 * they are firmware-like build outputs at the package root's guest/build/.
 */
import { fileURLToPath } from 'node:url';

const root = new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url);

export const GUEST_BUILD = fileURLToPath(new URL('guest/build/', root));
export const DEFAULT_KERNEL = fileURLToPath(new URL('guest/build/kernel', root));
export const DEFAULT_INITRD = fileURLToPath(new URL('guest/build/initramfs.cpio', root));
