/**
 * The `ymir` command as a user runs it (the built CLI in a child process): scripted sessions, the
 * console, attaching with stat and monitor, and what happens on bad input and signals. Tests that
 * boot the guest use only what every guest offers: the `~ # ` prompt, echo, poweroff N, ymirsh.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/tui/main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ymir-cli-'));
/** A runtime directory of this test file's own, so discovery sees only the VMs it starts. */
const runtime = mkdtempSync(join(tmpdir(), 'ymir-runtime-'));
const ENV = { ...process.env, XDG_RUNTIME_DIR: runtime, NO_COLOR: '', TERM: 'xterm' };

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `ymir`: its output so far, a wait for text in it, and its end. */
class Ymir {
  stdout = '';
  stderr = '';
  readonly child: ChildProcessWithoutNullStreams;
  readonly ended: Promise<Ran>;
  private waiters: (() => void)[] = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = ENV) {
    // A hung ymir is killed rather than left running after the test gives up on it.
    this.child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 40_000, env });
    this.child.stdout.on('data', (d: Buffer) => { this.stdout += d.toString(); this.wake(); });
    this.child.stderr.on('data', (d: Buffer) => { this.stderr += d.toString(); this.wake(); });
    this.ended = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (status) => resolve({ status, stdout: this.stdout, stderr: this.stderr }));
    });
    running.add(this);
    void this.ended.then(() => running.delete(this));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async waitFor(text: string | RegExp, where: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
    const seen = (): boolean => (typeof text === 'string' ? this[where].includes(text) : text.test(this[where]));
    while (!seen()) {
      if (this.child.exitCode !== null) throw new Error(`ymir ended before ${String(text)}: ${this.stdout}${this.stderr}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 200); });
    }
  }
}

const running = new Set<Ymir>();
afterEach(() => {
  for (const y of running) y.child.kill('SIGKILL');
});

/** Run `ymir ARGS` with `input` on stdin (then closed), stdout and stderr on pipes (no terminal). */
function ymir(args: readonly string[], input = '', env: NodeJS.ProcessEnv = ENV): Promise<Ran> {
  const y = new Ymir(args, env);
  y.child.stdin.end(input);
  return y.ended;
}

/** FNV-1a (32-bit) of a string's UTF-8 bytes, as /bin/linesum prints it. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

const file = (name: string, content: string | Uint8Array): string => {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
};

describe('ymir run', () => {
  it("-c 'hello; exits' --json prints one checked JSON object per command, then a summary, and exits 0", async () => {
    const { status, stdout, stderr } = await ymir(['run', '-c', 'hello; exits', '--json']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const objects = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.slice(0, 2).map((o) => [o.command, o.ok])).toEqual([['hello', true], ['exits', true]]);
    expect(objects[2]).toMatchObject({ summary: { status: 0, outcome: 'guest-exit', commands: 2, results: 2, failed: 0, 'invalid-lines': 0 } });
    expect(objects).toHaveLength(3);
  }, 30_000);

  it('closes --json with an error record and a summary on timeout, and when the VMM is hidden (#UD)', async () => {
    const timeout = await ymir(['run', '-c', 'version; log -f', '--json', '--timeout', '8']);
    expect(timeout.status).toBe(124);
    const lines = timeout.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.at(-2)).toEqual({ command: 'log -f', ok: false, error: 'timed out after 8 s' });
    expect(lines.at(-1)).toMatchObject({ summary: { status: 124, outcome: 'timeout', commands: 2, results: 1, stop: null } });
    const hidden = await ymir(['run', '--stealth', '-c', 'version', '--json']);
    expect(hidden.status).toBe(69);
    const objects = hidden.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toEqual([
      { command: 'version', ok: false, error: 'ymirsh exited with status 69 before it ran' },
      expect.objectContaining({ summary: expect.objectContaining({ status: 69, outcome: 'guest-exit' }) }),
    ]);
  }, 30_000);

  it('prints the text of a script file, # comments skipped; - reads the script from stdin', async () => {
    const script = file('ok.ysh', '# a session\nversion\n\nexits 0\n');
    const { status, stdout } = await ymir(['run', script]);
    expect(status).toBe(0);
    expect(stdout).toContain('ABI 1.1');
    expect(stdout).toMatch(/TOTAL\s+\d+/);
    expect(stdout).not.toContain('a session');
    const piped = await ymir(['run', '-'], 'version\n');
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain('ABI 1.1');
  }, 30_000);

  it('stops at the first failing command with a non-zero status; -k runs the rest', async () => {
    const stops = await ymir(['run', '-c', 'version; frob; exits']);
    expect(stops.status).not.toBe(0);
    expect(stops.stdout).toContain('frob: unknown command');
    expect(stops.stdout).not.toContain('TOTAL');
    const keepsGoing = await ymir(['run', '-k', '-c', 'version; frob; exits']);
    expect(keepsGoing.status).not.toBe(0);
    expect(keepsGoing.stdout).toContain('TOTAL');
  }, 30_000);

  it('streams each command\'s output as it comes; SIGINT keeps it, flushes the transcript and exits 130', async () => {
    const transcript = join(scratch, 'interrupted.txt');
    const y = new Ymir(['run', '-c', 'version; log -f', '--timeout', '0', '--transcript', transcript]);
    y.child.stdin.end();
    await y.waitFor('ABI 1.1'); // printed while `log -f` still runs: nothing waits for the end
    expect(y.child.exitCode).toBeNull();
    y.child.kill('SIGINT');
    const { status, stdout, stderr } = await y.ended;
    expect(status).toBe(130);
    expect(stdout).toContain('ABI 1.1');
    expect(stderr).toContain('ymir run: VM stopped by SIGINT');
    expect(readFileSync(transcript, 'utf8')).toContain('ABI 1.1');
  }, 30_000);

  it('writes the session to --transcript with LF line endings only', async () => {
    const transcript = join(scratch, 'transcript.txt');
    const { status } = await ymir(['run', '-c', 'hello', '--transcript', transcript]);
    expect(status).toBe(0);
    const text = readFileSync(transcript, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^~ # ymirsh .*; poweroff \$\?$/);
    expect(text).toContain('[INFO ] vmc     | GREETINGS FROM VMX-ROOT...');
    expect(text).not.toContain('\r');
    expect(text).not.toContain('Run /init'); // the boot is not the session
  }, 30_000);

  it('refuses an unwritable --transcript before it boots, in one line, with status 2', async () => {
    const { status, stdout, stderr } = await ymir(['run', '-c', 'hello', '--transcript', join(scratch, 'no-such-dir', 'x.txt')]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`ymir run: --transcript: cannot write ${join(scratch, 'no-such-dir', 'x.txt')}: ENOENT\n`);
  }, 30_000);

  it("exits 0 at once for -c '' and gives up with 124 on timeout; --timeout 0 is no limit", async () => {
    const empty = await ymir(['run', '-c', '']);
    expect(empty).toEqual({ status: 0, stdout: '', stderr: '' });
    const { status, stderr } = await ymir(['run', '-c', 'log -f', '--timeout', '1']);
    expect(status).toBe(124);
    expect(stderr).toContain('timed out after 1 s');
  }, 30_000);

  it('exits 2 with one line for an unreadable script, a malformed one, none, or a script and -c both', async () => {
    const missing = await ymir(['run', join(scratch, 'no-such.ysh')]);
    expect(missing).toMatchObject({ status: 2, stdout: '' });
    expect(missing.stderr).toContain('cannot read');
    expect(missing.stderr).toContain('ENOENT');

    const directory = await ymir(['run', scratch]);
    expect(directory.status).toBe(2);
    expect(directory.stderr).toContain('EISDIR');

    const control = await ymir(['run', file('ctrl.ysh', 'version\nexits\x03\n')]);
    expect(control.status).toBe(2);
    expect(control.stderr).toContain('line 2: control character 0x03 is not allowed in a script');

    const binary = await ymir(['run', file('bin.ysh', new Uint8Array([0x76, 0xff, 0xfe, 0x0a]))]);
    expect(binary.status).toBe(2);
    expect(binary.stderr).toContain('not UTF-8 text');

    const nothing = await ymir(['run']);
    expect(nothing).toMatchObject({ status: 2, stderr: "ymir run: give a SCRIPT file, - for stdin, or -c COMMANDS (see 'ymir run --help')\n" });

    const both = await ymir(['run', file('both.ysh', 'version\n'), '-c', 'exits']);
    expect(both).toMatchObject({ status: 2, stderr: "ymir run: give a SCRIPT file or -c COMMANDS, not both (see 'ymir run --help')\n" });
  }, 30_000);
});

describe('ymir console', () => {
  it('keeps type-ahead: lines sent before the guest set up its UART run, and it exits with the guest\'s status', async () => {
    const { status, stdout } = await ymir(['console'], 'echo hi\npoweroff 7\n');
    expect(status).toBe(7);
    expect(stdout).toMatch(/~ # hi\r\n/);
    expect(stdout).toContain('ymir: VM the guest powered off with status 7');
  }, 30_000);

  it('serves gdb with --gdb PORT --gdb-wait: the guest waits at its Multiboot entry, detach lets it boot', async () => {
    const port = await freePort();
    const vm = new Ymir(['console', '--gdb', String(port), '--gdb-wait']);
    await vm.waitFor(`ymir: gdb server on 127.0.0.1:${port}, waiting for gdb`, 'stderr');
    expect(vm.stdout).not.toContain('ymir-guest');
    const gdb = await execFileAsync('gdb', ['-q', '-batch', '-nx', join(ROOT, 'guest/build/kernel.elf'), '-ex', `target remote :${port}`,
      '-ex', 'bt 1', '-ex', 'detach'], { timeout: 30_000 });
    expect(gdb.stdout).toMatch(/#0 +multiboot_entry \(\) at kernel\/boot\.S:\d+/);
    await vm.waitFor('~ # ');
    vm.child.stdin.end('poweroff 5\n');
    expect((await vm.ended).status).toBe(5);
  }, 60_000);

  it('adds the user\'s own files and directories to the initramfs with --add, executables runnable', async () => {
    const tree = mkdtempSync(join(scratch, 'add-'));
    writeFileSync(join(tree, 'notes.txt'), 'added by --add\n');
    const { status, stdout } = await ymir(['console', '--add', `/bin/seedhello=${join(ROOT, 'guest/build/ymirsh-hello')}`, '--add', `/extra=${tree}`],
      'seedhello\nls /extra\npoweroff 4\n');
    expect(status).toBe(4);
    expect(stdout).toContain('This OS is hypervisored by Ymir.');
    expect(stdout).toMatch(/~ # notes\.txt\r\n/);
  }, 30_000);

  it('refuses a bad --gdb or --add, or an unreadable --kernel or added file, with a usage error', async () => {
    for (const [args, message] of [
      [['--gdb', 'nope'], '--gdb nope: use [HOST:]PORT'], [['--kernel', '/nonexistent'], 'cannot read the kernel /nonexistent: ENOENT'],
      [['--add', 'bin=x'], '--add bin=x: use /GUEST/PATH=HOST_FILE'], [['--add', '/bin/x=/nonexistent'], 'cannot add /nonexistent: ENOENT'],
      [['--add', '/bin/x=/dev/null'], 'cannot add /dev/null: not a file or directory'],
    ] as const) {
      const { status, stderr } = await ymir(['console', ...args]);
      expect(status).toBe(2);
      expect(stderr).toContain(message);
    }
  }, 30_000);

  it('delivers a large paste whole and in order', async () => {
    // 2000 lines (106 KB) typed ahead into /bin/linesum, which counts and hashes what it reads.
    const lines = Array.from({ length: 2000 }, (_, i) => `pasted ${String(i).padStart(5, '0')} ${'x'.repeat(40)}\n`).join('');
    const { status, stdout } = await ymir(['console'], `linesum\n${lines}end\npoweroff 3\n`);
    expect(status).toBe(3); // the last command ran
    expect(stdout).toContain(`linesum: 2000 lines, ${lines.length} bytes, fnv1a ${fnv1a(lines)}`);
  }, 120_000);

  it('opens the monitor on Ctrl-A C, which works while the VM is paused, and back to the console', async () => {
    const input = '\x01cstop\ninfo status\nxp/4xb 0x1000\nbogus\ncont\n\x01cpoweroff 4\n';
    const { status, stdout } = await ymir(['console'], input);
    expect(status).toBe(4);
    expect(stdout).toContain('(ymir) info status\r\nVM status: paused');
    expect(stdout).toMatch(/\(ymir\) xp\/4xb 0x1000\r\n0000000000001000: 0x[0-9a-f]{2} 0x[0-9a-f]{2} 0x[0-9a-f]{2} 0x[0-9a-f]{2}\r\n/);
    expect(stdout).toContain("unknown command: 'bogus'");
  }, 30_000);

  it('writes what the guest sends on COM2 to --com2 FILE', async () => {
    const com2 = join(scratch, 'com2.jsonl');
    const y = new Ymir(['console', '--com2', com2]);
    await y.waitFor('~ # ');
    y.child.stdin.write('ymirsh --json -c version\n');
    await y.waitFor('max message');
    y.child.stdin.end('poweroff 4\n');
    expect((await y.ended).status).toBe(4);
    expect(JSON.parse(readFileSync(com2, 'utf8').trim())).toMatchObject({ command: 'version', ok: true });
  }, 30_000);

  it('restores the terminal, prints the last line and exits 143 on SIGTERM', async () => {
    const y = new Ymir(['console']);
    await y.waitFor('~ # ');
    y.child.kill('SIGTERM');
    const { status, stdout } = await y.ended;
    expect(status).toBe(143);
    expect(stdout).toContain('ymir: VM stopped by SIGTERM');
  }, 30_000);
});

describe('attaching to a running VM', () => {
  /** A console VM left running (its stdin stays open) with its monitor at a known path. */
  async function runningVm(name: string): Promise<{ vm: Ymir; socket: string }> {
    const vm = new Ymir(['console', '--name', name]);
    await vm.waitFor('~ # ');
    return { vm, socket: join(runtime, 'ymir', `${vm.child.pid}.sock`) };
  }

  it('ymir monitor runs human monitor commands on it, by name, while the guest is paused, info vmcs too', async () => {
    const { vm, socket } = await runningVm('alpha');
    const byPath = await ymir(['monitor', '--vm', socket], 'info name\n');
    expect(byPath).toMatchObject({ status: 0, stdout: 'alpha\n' });
    const { status, stdout } = await ymir(['monitor', '--vm', 'alpha'], 'stop\ninfo status\ninfo registers\np $rip\ninfo vmcs\ncont\ninfo status\n');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^VM status: paused, up [\d.]+ s\nvCPU 0: /);
    expect(stdout).toMatch(/RIP=[0-9a-f]{16} RFL=/);
    expect(stdout).toMatch(/^GDT= {5}[0-9a-f]{16} 0000004f$/m);
    expect(stdout).toMatch(/^681e GUEST_RIP +[0-9a-f]{16}$/m);
    expect(stdout).toMatch(/VM status: running, up [\d.]+ s\n$/);
    vm.child.stdin.end('poweroff 0\n');
    expect((await vm.ended).status).toBe(0);
  }, 40_000);

  it('ymir stat -1 and -l read its counters; with none given it finds the only VM; SIGTERM detaches with 143', async () => {
    const { vm } = await runningVm('beta');
    const once = await ymir(['stat', '-1', '-s', '0.3']);
    expect(once.status).toBe(0);
    expect(once.stdout).toMatch(/^ymir stat - VM running, up [\d.]+ s, 2 vCPUs$/m);
    expect(once.stdout).toMatch(/^Event\s+Total\s+%Total\s+CurAvg\/s$/m);
    expect(once.stdout).toMatch(/^IO_INSTRUCTION\s+\d+/m);
    expect(once.stdout).toMatch(/^Total\s+\d+\s+100\.0/m);
    expect(once.stdout).not.toContain('\x1b');

    const live = new Ymir(['stat', '--vm', 'beta', '-l', '-c', '-f', '^(HLT|VMCALL)$', '-s', '0.2']);
    await live.waitFor(/timestamp,HLT,VMCALL\n\d{4}-\d\d-\d\d [\d:]+,\d+,\d+\n/);
    live.child.kill('SIGTERM');
    const ended = await live.ended;
    expect(ended.status).toBe(143);
    expect(ended.stderr).toContain('detached (SIGTERM); the VM keeps running');

    const table = new Ymir(['stat', '--vm', 'beta', '-s', '0.2']); // the live table, on a pipe: plain text
    await table.waitFor(/Total[^]*Total[^]*Total/);
    table.child.kill('SIGINT');
    expect((await table.ended).status).toBe(130);
    expect(table.stdout).not.toContain('\x1b');
    vm.child.stdin.end('poweroff 0\n');
    await vm.ended;
  }, 40_000);

  it('ymir stat -l | head ends quietly when head has read enough', async () => {
    const { vm } = await runningVm('gamma');
    const shell = spawn('sh', ['-c', `"${process.execPath}" "${MAIN}" stat --vm gamma -l -s 0.1 | head -n 2`], { env: ENV });
    let stderr = '';
    shell.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const status = await new Promise((resolve) => shell.on('close', resolve));
    expect(status).toBe(0);
    expect(stderr).toBe('');
    vm.child.stdin.end('poweroff 0\n');
    await vm.ended;
  }, 40_000);

  it('says which VMs exist when there is more than one, and that there is none', async () => {
    const empty = { ...ENV, XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'ymir-none-')) };
    const none = await ymir(['stat', '-1'], '', empty);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no running VM to attach to');
    const two = [new Ymir(['console', '--name', 'one']), new Ymir(['console', '--name', 'two'])];
    for (const y of two) await y.waitFor('~ # ');
    const many = await ymir(['stat', '-1']);
    expect(many.status).toBe(2);
    expect(many.stderr).toMatch(/2 VMs are running; choose one with --vm PID or --vm NAME:[^]* one +ymir console\n[^]* two +ymir console/);
    for (const y of two) y.child.stdin.end('poweroff 0\n');
    await Promise.all(two.map((y) => y.ended));
    expect(existsSync(join(runtime, 'ymir', `${two[0]!.child.pid}.sock`))).toBe(false); // removed as the VM ended
  }, 40_000);
});

describe('ymir options and commands', () => {
  it('exits 2 with one line naming an unknown option, a bad value or an unknown command', async () => {
    const unknown = await ymir(['run', '--frobnicate', '-c', 'hello']);
    expect(unknown).toMatchObject({ status: 2, stderr: "ymir run: unknown option '--frobnicate' (see 'ymir run --help')\n" });
    const vcpus = await ymir(['run', '--vcpus', '0', '-c', 'hello']);
    expect(vcpus).toMatchObject({ status: 2, stderr: "ymir run: --vcpus 0: vCPUs must be a whole number from 1 to 64 (see 'ymir run --help')\n" });
    const command = await ymir(['frob']);
    expect(command).toMatchObject({ status: 2, stderr: "ymir: unknown command 'frob' (see 'ymir --help')\n" });
  }, 30_000);

  it('takes memory sizes as QEMU\'s -m does and says what the minimum is', async () => {
    const small = await ymir(['run', '--memory', '4M', '-c', 'info']);
    expect(small).toMatchObject({ status: 2, stderr: "ymir run: --memory 4M: the guest needs at least 8M (see 'ymir run --help')\n" });
    const odd = await ymir(['run', '--memory', '65M', '-c', 'info']);
    expect(odd.stderr).toContain('use a multiple of 2M (64M or 66M)');
    const fraction = await ymir(['run', '--memory', '1.5G', '-c', 'info']);
    expect(fraction.status).toBe(0);
    expect(fraction.stdout).toMatch(/memory:\s+1536 MiB/);
    const minimum = await ymir(['run', '--memory', '8M', '-c', 'info']);
    expect(minimum.status).toBe(0);
    expect(minimum.stdout).toMatch(/memory:\s+8 MiB/);
  }, 60_000);

  it('applies VM options given before the command, and refuses those a command cannot use', async () => {
    const before = await ymir(['--vcpus', '3', '--log-level', 'debug', 'run', '-c', 'info']);
    expect(before.status).toBe(0);
    expect(before.stdout).toMatch(/vCPUs:\s+3/);
    expect(before.stdout).toMatch(/log level:\s+debug/);
    // At debug the VMM traces every exit and VMCALL into its log; `log` stops at the end it found.
    const traced = await ymir(['--log-level', 'debug', 'run', '-c', 'hello; log -n 60']);
    expect(traced.status).toBe(0);
    expect(traced.stdout).toMatch(/\[DEBUG\] exit +\| vCPU \d: VMCALL at rip=0x[0-9a-f]+ qual=0x0\n[\s\S]*GREETINGS FROM VMX-ROOT[\s\S]*\[DEBUG\] vmc +\| vCPU \d: VMCALL HELLO from CPL 3: OK\n/);
    expect(traced.stdout).toMatch(/\[DEBUG\] exit +\| vCPU \d: IO_INSTRUCTION at rip=0xffffffff[0-9a-f]+ qual=0x3f8/);
    const quiet = await ymir(['run', '-c', 'hello; log -n 60']);
    expect(quiet.stdout).not.toContain('[DEBUG] exit');
    const after = await ymir(['run', '--vcpus', '3', '--memory', '128M', '-c', 'info']);
    expect(after.stdout).toMatch(/vCPUs:\s+3/);
    expect(after.stdout).toMatch(/memory:\s+128 MiB/);
    const refused = await ymir(['--vcpus', '4', 'stat']);
    expect(refused).toMatchObject({ status: 2, stderr: "ymir stat: --vcpus does not apply to stat: it watches a running VM (--vm) (see 'ymir stat --help')\n" });
    const com2 = await ymir(['--com2', 'x', 'run', '-c', 'info']);
    expect(com2.status).toBe(2);
    expect(com2.stderr).toContain('--com2 does not apply to run');
  }, 30_000);

  it('prints its version and the help of a command', async () => {
    const version = await ymir(['--version']);
    expect(version).toEqual({ status: 0, stdout: `${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`, stderr: '' });
    const help = await ymir(['help', 'stat']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: ymir stat [options]');
    expect(help.stdout).toContain('--skip-zero-records');
  }, 30_000);

  it('refuses to start the TUI without a terminal and says what to use instead', async () => {
    const { status, stderr } = await ymir([]);
    expect(status).toBe(2);
    expect(stderr).toContain('the TUI needs a terminal');
    expect(stderr).toContain('ymir console');
    expect(stderr).toContain('ymir run');
  }, 30_000);

  it('--stealth hides the VMM: ymirsh says VMCALL is unavailable and exits 69', async () => {
    const { status, stdout } = await ymir(['run', '--stealth', '-c', 'version']);
    expect(status).toBe(69);
    expect(stdout).toContain('#UD');
  }, 30_000);
});

describe('the documentation', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('lists in README every key the TUI\'s Ctrl-G help lists, with the same words', async () => {
    const { HELP_KEYS } = await import('../../tui/components/HelpPane.js');
    for (const [key, what] of HELP_KEYS) expect(readme, key).toContain(`| ${key} | ${what} |`);
  });

  it('describes in README every command and option that --help lists', async () => {
    const top = await ymir(['--help']);
    const commands = [...top.stdout.split('Commands:')[1]!.matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(['console', 'run', 'stat', 'top', 'monitor']);
    for (const command of ['', ...commands]) {
      const help = await ymir(command === '' ? ['--help'] : [command, '--help']);
      for (const [, short, long] of help.stdout.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)) {
        if (long === '--help' || long === '--version') continue;
        expect(readme.includes(`\`${long}`) || (short !== undefined && readme.includes(`\`${short}`)), `${command || 'ymir'} ${long}`).toBe(true);
      }
      if (command !== '') expect(readme).toContain(`\`ymir ${command}`);
    }
  }, 60_000);
});

describe('npm start', () => {
  it('checks the build and leaves it alone when nothing changed', async () => {
    const check = spawn('npm', ['run', '--silent', 'prestart', '--', '--verbose'], { cwd: ROOT, env: process.env });
    let out = '';
    check.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const status = await new Promise((resolve) => check.on('close', resolve));
    expect(status).toBe(0);
    expect(out).toContain("Project 'tsconfig.build.json' is up to date");
  }, 60_000);
});
