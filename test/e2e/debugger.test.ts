/**
 * The debugger in the TUI, in a real terminal (tmux): stop the guest with Ctrl-P while a program
 * spins, step it with Ctrl-S, continue; and real gdb attached to the same TUI's `--gdb` server,
 * whose `x/3i $pc` must list what the code pane shows.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.js';
import { TmuxTerminal } from '../support/tmux.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});
function open(command: string, columns: number, rows: number): TmuxTerminal {
  const t = new TmuxTerminal(command, columns, rows, ROOT);
  terminals.push(t);
  return t;
}

interface ListedInstruction {
  readonly address: bigint;
  readonly atRip: boolean;
  readonly text: string;
}

/**
 * The code pane's lines on a screen. Beside the console (a narrow pane) addresses are their low 32
 * bits; below it (the strip, 80 columns or
 * more) they are whole and the bytes come before the text.
 */
function codePane(screen: string): ListedInstruction[] {
  // The high half is in the title, or (when the title names the function instead) in RIP's register row.
  const high = /code (?:AT&T|Intel)[^\n]*· high ([0-9a-f]+)/.exec(screen)?.[1] ?? /RIP +([0-9a-f]{8})[0-9a-f]{8}/.exec(screen)?.[1];
  const listed: ListedInstruction[] = [];
  for (const line of screen.split('\n')) {
    const side = /[│║]([ *])([ >]) ([0-9a-f]{8})  (.*?) *[│║]$/.exec(line);
    if (side) {
      listed.push({ address: (BigInt(`0x${high ?? '0'}`) << 32n) | BigInt(`0x${side[3]!}`), atRip: side[2] === '>', text: side[4]! });
      continue;
    }
    const strip = /^([ *])([ >]) ([0-9a-f]{16})  (?:[0-9a-f]{2} )+…? *(.*?) *$/.exec(line);
    if (strip) listed.push({ address: BigInt(`0x${strip[3]!}`), atRip: strip[2] === '>', text: strip[4]! });
  }
  return listed;
}

const ripLine = (screen: string): ListedInstruction | undefined => codePane(screen).find((i) => i.atRip);

/** An instruction's text with what gdb and iced-x86 write differently made alike: spacing, hex or decimal immediates, symbols. */
function normalized(text: string): string {
  return text.replace(/#.*$/, '').replace(/<[^>]*>/g, '').replace(/\$(0x[0-9a-f]+|\d+)/g, (_, n: string) => `$${BigInt(n)}`).replace(/\s+/g, ' ').trim();
}

describe('the debugger in the TUI', () => {
  it('stops a spinning guest with Ctrl-P, steps it with Ctrl-S down the code pane, and lets it go on', async () => {
    const t = open('node dist/tui/main.js', 120, 40);
    await t.waitFor((s) => s.includes('\n~ #') || /~ # +[│┌]/.test(s), 'the init shell prompt', 60_000);
    t.type('spin', 'Enter');
    await t.waitFor((s) => s.includes('spin: running'), 'spin to run');
    t.type('', 'C-p');
    let screen = await t.waitForStill((s) => s.includes('VM stopped by the debugger: every vCPU stopped'), 'the stop');
    expect(screen).toContain('^P continue · ^S step');
    expect(screen).toMatch(/vCPU 0\/1 stopped CPL[03]/);
    expect(screen).toMatch(/code AT&T · stopped/);
    // Steps go down the listing: each lands on the next line, or where a jump on the line went.
    for (let step = 0; step < 4; step++) {
      const before = ripLine(screen);
      expect(before, `RIP in the code pane:\n${screen}`).toBeDefined();
      const listing = codePane(screen);
      const next = listing[listing.findIndex((i) => i.address === before!.address) + 1];
      t.type('', 'C-s');
      screen = await t.waitForStill((s) => s.includes('stepped vCPU 0') && ripLine(s)?.address !== before!.address, `step ${step + 1}`);
      const after = ripLine(screen)!;
      const direct = /^(?:jmp|call) 0x([0-9a-f]+)$/.exec(before!.text)?.[1];
      if (direct !== undefined) expect(after.address).toBe(BigInt(`0x${direct}`));
      else if (!/^(?:j|call|ret|iret|sys|int|hlt|loop)/.test(before!.text)) expect(after.address, `after ${before!.text}:\n${screen}`).toBe(next?.address);
    }
    t.type('', 'C-p');
    await t.waitFor((s) => s.includes('VM running'), 'the VM to run again');
    t.type('', 'C-c');
    await t.waitFor((s) => /\^C[^\n]*\n~ #/.test(s), 'spin to end');
    t.type('echo after the debugger', 'Enter');
    await t.waitFor((s) => /^after the debugger *[│\n]/m.test(s), 'the shell to answer');
    t.type('', 'C-q');
    await t.waitFor((s) => s.includes('exit status 0'), 'ymir to exit');
  }, 120_000);

  it('shows what a connected gdb stopped: x/3i $pc lists the code pane\'s lines, and the TUI leaves the stop to gdb', async () => {
    const port = await freePort();
    const t = open(`node dist/tui/main.js --gdb ${port}`, 100, 30);
    await t.waitFor((s) => /^~ #/m.test(s), 'the init shell prompt', 60_000);
    t.type('spin', 'Enter');
    await t.waitFor((s) => s.includes('spin: running'), 'spin to run');
    const scratch = mkdtempSync(join(tmpdir(), 'ymir-tui-gdb-'));
    const held = join(scratch, 'held.txt');
    const refused = join(scratch, 'refused.txt');
    // gdb's shell commands run while gdb holds the VM: they read the TUI's screen at that moment.
    const gdb = await execFileAsync('gdb', [
      '-q', '-batch', '-nx', '-ex', 'set architecture i386:x86-64', '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'x/3i $pc',
      '-ex', 'shell sleep 1', '-ex', `shell tmux capture-pane -p -t ${t.name} > ${held}`,
      '-ex', `shell tmux send-keys -t ${t.name} C-s`, '-ex', 'shell sleep 0.5', '-ex', `shell tmux capture-pane -p -t ${t.name} > ${refused}`,
      '-ex', 'detach',
    ], { timeout: 60_000 });
    const shown = [...gdb.stdout.matchAll(/^(=>)? +0x([0-9a-f]+)(?: <[^>]*>)?:\t(.*)$/gm)].map((m) => ({ address: BigInt(`0x${m[2]!}`), atRip: m[1] === '=>', text: normalized(m[3]!) }));
    expect(shown, gdb.stdout).toHaveLength(3);
    const screen = readFileSync(held, 'utf8');
    expect(screen).toMatch(/VM stopped by the debugger: every vCPU stopped · gdb 127\.0\.0\.1:\d+ holds it/);
    const pane = codePane(screen).slice(0, 3).map((i) => ({ ...i, text: normalized(i.text) }));
    expect(pane, screen).toEqual(shown);
    // Ctrl-S under gdb's stop: refused, in words.
    expect(readFileSync(refused, 'utf8')).toMatch(/gdb 127\.0\.0\.1:\d+ holds the VM: step or continue it from gdb/);
    expect(readFileSync(refused, 'utf8')).toContain(`> ${shown[0]!.address.toString(16).padStart(16, '0')}`);
    // Detached, the guest runs on: spin still spins and ^C ends it.
    await t.waitFor((s) => s.includes('VM running'), 'the VM to run after gdb detached');
    t.type('', 'C-c');
    await t.waitFor((s) => /\^C[^\n]*\n~ #/.test(s), 'spin to end');
    t.type('echo after gdb', 'Enter');
    await t.waitFor((s) => /^after gdb *$/m.test(s), 'the shell to answer');
    t.type('', 'C-q');
    await t.waitFor((s) => s.includes('exit status 0'), 'ymir to exit');
  }, 120_000);
});
