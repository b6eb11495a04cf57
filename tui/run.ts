/**
 * `ymir run`: boot headless, hand the script to ymirsh in the guest, and report what it prints as
 * it prints it, and how it ended. The script travels the way a person would send it: typed into
 * the console with `cat > /tmp/session.ysh` and Ctrl-D, then `ymirsh FILE; poweroff $?` ends the
 * VM with ymirsh's status through the debug-exit port.
 *
 * COM1 after that command line is the session: its lines go to `onLine` (plain text, LF endings)
 * as they end, up to the kernel's power-down line. With --json, COM2 carries one JSON object per
 * command; each line is parsed, and `onJson` gets it re-encoded with every control character
 * escaped, or an error record for a line that is not JSON. A summary object closes the run
 * whatever ended it: the guest's status, a timeout, a fault.
 */
import type { StopReason, VmMonitor } from '../vmm/monitor-api.js';
import { LineText } from './terminal-text.js';

export const SCRIPT_PATH = '/tmp/session.ysh';
export const SHELL_PROMPT = '~ # ';
/** timeout(1)'s status when the time runs out. */
export const EXIT_TIMEOUT = 124;
/** What the guest kernel prints as it powers off: the session ends before this line. */
const POWER_DOWN = /reboot: Power down/;

export interface RunRequest {
  /** The script's lines, checked by `parseScript`. */
  readonly lines: readonly string[];
  readonly json: boolean;
  readonly keepGoing: boolean;
  /** 0: no limit. */
  readonly timeoutMs: number;
  /** A line of the session's COM1 text, as it ends: first the command line typed at the shell, then the output. */
  readonly onLine: (line: string, kind: 'command' | 'output') => void;
  /** A checked JSON line (with --json): ymirsh's objects, error records, the summary. */
  readonly onJson: (line: string) => void;
}

export type RunOutcome = 'guest-exit' | 'timeout' | 'vm-stopped';

export interface RunResult {
  /** The process exit status: the guest's, 124 on timeout, 1 when the VM stopped otherwise. */
  readonly status: number;
  readonly outcome: RunOutcome;
  readonly stop: StopReason | undefined;
  /** Whether the session's command line was reached (false: the VM stopped or timed out during boot). */
  readonly started: boolean;
  /** Boot output, sanitised, when the session never started (to show what went wrong). */
  readonly bootText: string;
}

export type ParsedScript =
  | { readonly ok: true; readonly lines: string[]; readonly commands: string[] }
  | { readonly ok: false; readonly error: string };

/**
 * A script file's bytes as lines to type into the guest's tty. It must be UTF-8 text without control
 * characters other than tab: the tty acts on those (Ctrl-C, Ctrl-D, ESC), so one would not arrive
 * as written. Refused with the line and the character, never silently changed. `commands` are
 * the lines ymirsh runs: `#` comments and blank lines left out.
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
  const commands = lines.map((line) => line.replace(/#.*$/, '').trim()).filter((line) => line !== '');
  return { ok: true, lines, commands };
}

/** JSON text with every character a terminal might act on escaped (JSON.stringify leaves C1, U+2028/9 and bidi controls raw). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Bytes as a JSON-safe string: printable ASCII kept, everything else as \xNN. */
function escapeBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** COM2 as JSON lines: each complete line parsed and passed on checked. */
class JsonChannel {
  private pending: number[] = [];
  results = 0;
  failures = 0;
  invalid = 0;

  constructor(private readonly emit: (line: string) => void) {}

  push(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (byte !== 0x0a) {
        if (this.pending.length < 1 << 20) this.pending.push(byte);
        continue;
      }
      this.line(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  private line(bytes: Uint8Array): void {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      if (bytes.every((b) => b === 0x0d || b === 0x20)) return;
      this.invalid++;
      this.emit(safeJson({ error: 'the guest wrote a line on COM2 that is not JSON', bytes: escapeBytes(bytes) }));
      return;
    }
    if (typeof value === 'object' && value !== null && 'command' in value) {
      this.results++;
      if ((value as { ok?: unknown }).ok !== true) this.failures++;
    }
    this.emit(safeJson(value));
  }
}

/** COM1 until the session's command line, then the session line by line. */
class SessionText {
  private boot: Buffer[] = [];
  private bootBytes = 0;
  private started = false;
  private ended = false;
  private readonly text: LineText;
  private waiters: (() => void)[] = [];
  private lines = 0;

  constructor(private readonly marker: string, private readonly onLine: RunRequest['onLine']) {
    this.text = new LineText((line) => {
      if (this.ended) return;
      if (POWER_DOWN.test(line)) this.ended = true;
      else onLine(line, this.lines++ === 0 ? 'command' : 'output');
    });
  }

  push(bytes: Uint8Array): void {
    if (this.started) {
      this.text.write(bytes);
      return;
    }
    this.boot.push(Buffer.from(bytes));
    this.bootBytes += bytes.length;
    const all = Buffer.concat(this.boot);
    const at = all.indexOf(this.marker);
    if (at >= 0) {
      this.started = true;
      this.boot = [all.subarray(0, at)];
      this.text.write(all.subarray(at));
    } else if (this.bootBytes > 1 << 20) {
      this.boot = [all.subarray(-(1 << 19))]; // a chatty boot: keep its end, which says most
      this.bootBytes = this.boot[0]!.length;
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  get hasStarted(): boolean {
    return this.started;
  }

  bootText(): string {
    const lines: string[] = [];
    const text = new LineText((line) => lines.push(line));
    text.write(Buffer.concat(this.boot));
    return [...lines, text.pending].join('\n');
  }

  /** Resolves once `text` has appeared in the boot output at or after `from` (returns the index after it). */
  async waitFor(text: string, from: number): Promise<number> {
    for (;;) {
      const at = Buffer.concat(this.boot).indexOf(text, from);
      if (at >= 0) return at + text.length;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The session's last, unterminated line, if any. */
  flush(): void {
    if (this.started && !this.ended && this.text.pending !== '') this.onLine(this.text.pending, this.lines++ === 0 ? 'command' : 'output');
  }
}

export function ymirshCommand(request: Pick<RunRequest, 'json' | 'keepGoing'>): string {
  return `ymirsh${request.json ? ' --json' : ''}${request.keepGoing ? ' -k' : ''} ${SCRIPT_PATH}; poweroff $?`;
}

export async function runScript(vm: VmMonitor, request: RunRequest, commands: readonly string[]): Promise<RunResult> {
  const command = ymirshCommand(request);
  const session = new SessionText(`${SHELL_PROMPT}${command}`, request.onLine);
  const json = new JsonChannel(request.onJson);
  vm.com1.onData((bytes) => session.push(bytes));
  vm.com2.onData((bytes) => { if (request.json) json.push(bytes); });
  const started = performance.now();
  const type = async (): Promise<void> => {
    const at = await session.waitFor(SHELL_PROMPT, 0);
    await vm.com1.write(`cat > ${SCRIPT_PATH}\r`);
    for (const line of request.lines) await vm.com1.write(`${line}\r`);
    await vm.com1.write('\x04');
    await session.waitFor(SHELL_PROMPT, at);
    await vm.com1.write(`${command}\r`);
  };
  vm.start();
  type().catch(() => undefined); // a VM that stops while the script is typed ends the run below
  let timer: NodeJS.Timeout | undefined;
  const timedOut = request.timeoutMs > 0
    ? new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), request.timeoutMs); })
    : new Promise<never>(() => undefined);
  const ended = await Promise.race([vm.waitForStop(), timedOut]);
  clearTimeout(timer);
  const stop = ended === 'timeout' ? undefined : ended;
  if (ended === 'timeout') await vm.stop();
  session.flush();
  const outcome: RunOutcome = ended === 'timeout' ? 'timeout' : ended.kind === 'debug-exit' ? 'guest-exit' : 'vm-stopped';
  const status = ended === 'timeout' ? EXIT_TIMEOUT : ended.kind === 'debug-exit' ? ended.status : 1;
  if (request.json) {
    // The command that did not get to answer: it timed out, the VM stopped under it, or ymirsh
    // ended before it without a failure of its own to report (no VMM: #UD).
    const unanswered = commands[json.results];
    const error = outcome === 'timeout' ? `timed out after ${request.timeoutMs / 1000} s`
      : outcome === 'vm-stopped' ? 'the VM stopped before the command ended'
      : status !== 0 && json.failures === 0 ? `ymirsh exited with status ${status} before it ran` : undefined;
    if (error !== undefined) request.onJson(safeJson({ ...(unanswered !== undefined ? { command: unanswered } : {}), ok: false, error }));
    request.onJson(safeJson({
      summary: {
        status, outcome, commands: commands.length, results: json.results, failed: json.failures, 'invalid-lines': json.invalid,
        stop: stop ?? null, seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      },
    }));
  }
  return { status, outcome, stop, started: session.hasStarted, bootText: session.hasStarted ? '' : session.bootText() };
}
