/**
 * `ymir run`: boot headless, hand the script to ymirsh in the guest, and report what it printed
 * and how it ended. The script travels the way a person would send it: typed into the console with
 * `cat > /tmp/session.ysh` and Ctrl-D, then `ymirsh FILE; poweroff $?` ends the VM with ymirsh's
 * status through the debug-exit port.
 */
import type { StopReason, VmMonitor } from '../vmm/monitor-api.js';
import { sanitize } from './terminal-text.js';

export const SCRIPT_PATH = '/tmp/session.ysh';
export const SHELL_PROMPT = '~ # ';
/** timeout(1)'s status when the time runs out. */
export const EXIT_TIMEOUT = 124;

export interface RunRequest {
  /** The script's lines, checked by `parseScript`. */
  readonly lines: readonly string[];
  readonly json: boolean;
  readonly keepGoing: boolean;
  readonly timeoutMs: number;
}

export interface RunResult {
  /** The process exit status: the guest's, 124 on timeout, 1 when the VM stopped otherwise. */
  readonly status: number;
  /** COM1 text ymirsh printed, sanitised. */
  readonly text: string;
  /** JSON lines from COM2 (with --json). */
  readonly json: readonly string[];
  /** Everything COM1 carried, raw. */
  readonly transcript: Uint8Array;
  readonly stop: StopReason | undefined;
}

class Collector {
  private readonly chunks: Buffer[] = [];
  private waiters: (() => void)[] = [];
  constructor(port: VmMonitor['com1']) {
    port.onData((bytes) => {
      this.chunks.push(Buffer.from(bytes));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  async waitFor(text: string, from: number): Promise<number> {
    for (;;) {
      const at = this.bytes().indexOf(text, from);
      if (at >= 0) return at + text.length;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

export type ParsedScript = { readonly ok: true; readonly lines: string[] } | { readonly ok: false; readonly error: string };

/**
 * A script file's bytes as lines to type into the guest's tty. It must be UTF-8 text without control
 * characters other than tab: the tty acts on those (Ctrl-C, Ctrl-D, ESC), so one would not arrive
 * as written. Refused with the line and the character, never silently changed.
 */
export function parseScript(bytes: Uint8Array): ParsedScript {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, error: 'the script is not UTF-8 text' };
  }
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const bad = /[\x00-\x08\x0b-\x1f\x7f]/.exec(line);
    if (bad) return { ok: false, error: `line ${i + 1}: control character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} is not allowed in a script` };
  }
  return { ok: true, lines };
}

export async function runScript(vm: VmMonitor, request: RunRequest): Promise<RunResult> {
  const console1 = new Collector(vm.com1);
  const json: string[] = [];
  let pending = '';
  vm.com2.onData((bytes) => {
    pending += Buffer.from(bytes).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    json.push(...lines.filter((l) => l.trim() !== ''));
  });
  const session = async (): Promise<number> => {
    let at = await console1.waitFor(SHELL_PROMPT, 0);
    await vm.com1.write(`cat > ${SCRIPT_PATH}\r`);
    for (const line of request.lines) await vm.com1.write(`${line}\r`);
    await vm.com1.write('\x04');
    at = await console1.waitFor(SHELL_PROMPT, at);
    const flags = `${request.json ? ' --json' : ''}${request.keepGoing ? ' -k' : ''}`;
    const command = `ymirsh${flags} ${SCRIPT_PATH}; poweroff $?`;
    await vm.com1.write(`${command}\r`);
    return console1.waitFor(`${command}\r\n`, at);
  };
  vm.start();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), request.timeoutMs); });
  const started = session();
  const outcome = await Promise.race([vm.waitForStop(), timedOut]);
  clearTimeout(timer);
  const stop = outcome === 'timeout' ? await vm.stop() : outcome;
  const transcript = console1.bytes();
  const from = await Promise.race([started, Promise.resolve(-1)]);
  const output = from >= 0 ? transcript.subarray(from) : transcript;
  const end = output.indexOf('reboot: Power down');
  const text = sanitize(end >= 0 ? output.subarray(0, output.lastIndexOf('\n', end) + 1) : output);
  const status = outcome === 'timeout' ? EXIT_TIMEOUT : stop.kind === 'debug-exit' ? stop.status : 1;
  return { status, text, json, transcript, stop: outcome === 'timeout' ? undefined : stop };
}
