/**
 * The `ymir` command as a user runs it (the built CLI in a child process): scripted sessions, their
 * output and exit status, and what happens on bad input.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../dist/tui/main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ymir-cli-'));

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `ymir ARGS` with stdin, stdout and stderr on pipes (no terminal). */
function ymir(...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // A hung ymir is killed rather than left running after the test gives up on it.
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 25_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end();
  });
}

const file = (name: string, content: string | Uint8Array): string => {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
};

describe('ymir run', () => {
  it("-c 'hello; exits' --json prints one JSON object per command and exits 0", async () => {
    const { status, stdout, stderr } = await ymir('run', '-c', 'hello; exits', '--json');
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const objects = stdout.trim().split('\n').map((line) => JSON.parse(line) as { command: string; ok: boolean });
    expect(objects.map((o) => [o.command, o.ok])).toEqual([['hello', true], ['exits', true]]);
  }, 30_000);

  it('prints the text of a script file, # comments skipped', async () => {
    const script = file('ok.ysh', '# a session\nversion\n\nexits 0\n');
    const { status, stdout } = await ymir('run', script);
    expect(status).toBe(0);
    expect(stdout).toContain('ABI 1.1');
    expect(stdout).toMatch(/TOTAL\s+\d+/);
    expect(stdout).not.toContain('a session');
  }, 30_000);

  it('stops at the first failing command with a non-zero status; -k runs the rest', async () => {
    const stops = await ymir('run', '-c', 'version; frob; exits');
    expect(stops.status).not.toBe(0);
    expect(stops.stdout).toContain('frob: unknown command');
    expect(stops.stdout).not.toContain('TOTAL');
    const keepsGoing = await ymir('run', '-k', '-c', 'version; frob; exits');
    expect(keepsGoing.status).not.toBe(0);
    expect(keepsGoing.stdout).toContain('TOTAL');
  }, 30_000);

  it('writes the whole COM1 stream with --transcript', async () => {
    const transcript = join(scratch, 'transcript.txt');
    const { status } = await ymir('run', '-c', 'hello', '--transcript', transcript);
    expect(status).toBe(0);
    const text = readFileSync(transcript, 'utf8');
    expect(text).toContain('Linux version');
    expect(text).toContain('[INFO ] vmc     | GREETINGS FROM VMX-ROOT...');
    expect(text).toContain('reboot: Power down');
  }, 30_000);

  it('gives up after --timeout with status 124', async () => {
    const { status, stderr } = await ymir('run', '-c', 'log -f', '--timeout', '1');
    expect(status).toBe(124);
    expect(stderr).toContain('timed out after 1 s');
  }, 30_000);

  it('exits 2 with a message for an unreadable script, a malformed one, or none', async () => {
    const missing = await ymir('run', join(scratch, 'no-such.ysh'));
    expect(missing).toMatchObject({ status: 2, stdout: '' });
    expect(missing.stderr).toContain('cannot read');
    expect(missing.stderr).toContain('ENOENT');

    const directory = await ymir('run', scratch);
    expect(directory.status).toBe(2);
    expect(directory.stderr).toContain('EISDIR');

    const control = await ymir('run', file('ctrl.ysh', 'version\nexits\x03\n'));
    expect(control.status).toBe(2);
    expect(control.stderr).toContain('line 2: control character 0x03 is not allowed in a script');

    const binary = await ymir('run', file('bin.ysh', new Uint8Array([0x76, 0xff, 0xfe, 0x0a])));
    expect(binary.status).toBe(2);
    expect(binary.stderr).toContain('not UTF-8 text');

    const nothing = await ymir('run');
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toContain('give a SCRIPT file or -c COMMANDS');
  }, 30_000);
});

describe('ymir options and commands', () => {
  it('exits 2 naming an unknown option or a bad value', async () => {
    const unknown = await ymir('run', '--frobnicate', '-c', 'hello');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
    const vcpus = await ymir('run', '--vcpus', '0', '-c', 'hello');
    expect(vcpus.status).toBe(2);
    expect(vcpus.stderr).toContain('--vcpus');
    const memory = await ymir('run', '--memory', 'lots', '-c', 'hello');
    expect(memory.status).toBe(2);
    expect(memory.stderr).toContain('--memory');
    const command = await ymir('frob');
    expect(command.status).toBe(2);
  }, 30_000);

  it('refuses to start the TUI without a terminal and says what to use instead', async () => {
    const { status, stderr } = await ymir();
    expect(status).toBe(2);
    expect(stderr).toContain('the TUI needs a terminal');
    expect(stderr).toContain('ymir console');
    expect(stderr).toContain('ymir run');
  }, 30_000);

  it('stat -1 prints the exit counters once, like kvm_stat', async () => {
    const { status, stdout } = await ymir('stat', '-1', '--interval', '0.3');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Event\s+Total\s+%Total\s+CurAvg\/s$/m);
    expect(stdout).toMatch(/^IO_INSTRUCTION\s+\d+/m);
    expect(stdout).toMatch(/^Total\s+\d+\s+100\.0/m);
  }, 30_000);

  it('--stealth hides the VMM: ymirsh says VMCALL is unavailable and exits 69', async () => {
    const { status, stdout } = await ymir('run', '--stealth', '-c', 'version');
    expect(status).toBe(69);
    expect(stdout).toContain('#UD');
  }, 30_000);

  it('gives the VM options after a command to that command', async () => {
    const { status, stdout } = await ymir('run', '--vcpus', '3', '--memory', '128M', '-c', 'info');
    expect(status).toBe(0);
    expect(stdout).toMatch(/vCPUs:\s+3/);
    expect(stdout).toMatch(/memory:\s+128 MiB/);
  }, 30_000);
});
