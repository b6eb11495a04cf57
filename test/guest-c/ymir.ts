/**
 * Booting the committed guest images on the ymir VMM for tests, with the same console surface as
 * QemuGuest (qemu.ts): the VMM's COM1 (which also carries the VMM's own log lines, as Ymir's
 * serial port does), COM2 collected, and the VM's stop reason.
 */
import type { LogRecord, StopReason, VmConfig } from '../../vmm/monitor-api.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { INITRAMFS, KERNEL } from './qemu.js';
import { formatLogLine } from '../../vmm/log.js';
import { Transcript } from './transcript.js';

/** VM settings; `commandLine` is what follows the VMM's own `console=ttyS0`. */
export type YmirBootOptions = Partial<VmConfig>;

const decoder = new TextDecoder('latin1');

/**
 * COM1 as the guest wrote it: the VMM's log records (which share the port, as Ymir's do) taken
 * out, each with the newline the VMM put before it when it broke into an unfinished guest line.
 * The records come from the VM's log ring. The guest's tty ends lines with CR LF, so a LF before
 * a record that follows no CR is the VMM's (a guest line left open after a lone CR is the one
 * case this cannot tell).
 */
export function withoutVmmLog(text: string, records: readonly LogRecord[]): string {
  let out = text;
  let from = 0;
  for (const r of records) {
    const line = formatLogLine(r.level, r.scope, r.message);
    const at = out.indexOf(line, from);
    if (at < 0) continue;
    const inserted = at >= 1 && out[at - 1] === '\n' && out[at - 2] !== '\r';
    const start = inserted ? at - 1 : at;
    out = out.slice(0, start) + out.slice(at + line.length);
    from = start;
  }
  return out;
}

export class YmirGuest extends Transcript {
  readonly vm: Vm;
  /** How the VM stopped. */
  readonly exited: Promise<StopReason>;
  private stopped = false;
  private com2Text = '';

  constructor(options: YmirBootOptions = {}) {
    super();
    this.vm = createVm({ kernel: KERNEL, initrd: INITRAMFS, vcpus: 2, ...options });
    this.vm.com1.onData((bytes) => this.received(decoder.decode(bytes)));
    this.vm.com2.onData((bytes) => { this.com2Text += decoder.decode(bytes); });
    this.vm.start();
    this.exited = this.vm.waitForStop().then((reason) => {
      this.stopped = true;
      this.wake();
      return reason;
    });
  }

  protected ended(): boolean {
    return this.stopped;
  }

  type(keys: string): void {
    void this.vm.com1.write(Buffer.from(keys, 'latin1'));
  }

  /** The console as the guest wrote it, without the VMM's log records. */
  guestText(): string {
    return withoutVmmLog(this.text(), this.vm.readLog(0).records);
  }

  com2(): string {
    return this.com2Text;
  }

  /** VM exits so far, summed over reasons and vCPUs. */
  exitCount(): number {
    return this.vm.totalExitCounts().reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    if (!this.stopped) await this.vm.stop();
    await this.exited;
  }
}
