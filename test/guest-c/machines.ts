/**
 * The two machines the committed guest boots on, behind one interface so the same assertions
 * run on both: QEMU's TCG (the reference PC) and the ymir VMM (our CPU and devices).
 */
import { QemuGuest } from './qemu.js';
import type { Transcript } from './transcript.js';
import { YmirGuest } from './ymir.js';

export interface BootedGuest extends Transcript {
  /** What the guest wrote to COM2 (/dev/ttyS1). */
  com2(): string;
  /** The status the guest powered off with (the debug-exit port), or undefined if it ended otherwise. */
  powerOff(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export interface Machine {
  readonly name: string;
  /** Boot the committed images; `init` is the words after `--` on the kernel command line. */
  boot(options?: { readonly init?: string; readonly cpus?: number }): BootedGuest;
}

/** QEMU's isa-debug-exit makes QEMU exit with (value << 1) | 1. */
const qemuStatus = (code: number | null): number | undefined => (code !== null && (code & 1) === 1 ? code >> 1 : undefined);

export const QEMU: Machine = {
  name: 'QEMU TCG',
  boot({ init, cpus = 2 } = {}) {
    const guest = new QemuGuest({ append: init === undefined ? 'console=ttyS0' : `console=ttyS0 -- ${init}`, smp: cpus, com2: true });
    return Object.assign(guest, { powerOff: async () => qemuStatus(await guest.exited) });
  },
};

export const YMIR: Machine = {
  name: 'the ymir VMM',
  boot({ init, cpus = 2 } = {}) {
    const guest = new YmirGuest({ commandLine: init === undefined ? '' : `-- ${init}`, vcpus: cpus });
    return Object.assign(guest, {
      powerOff: async () => {
        const reason = await guest.exited;
        return reason.kind === 'debug-exit' ? reason.status : undefined;
      },
    });
  },
};

export const MACHINES = [QEMU, YMIR];
