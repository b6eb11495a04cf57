/**
 * The TUI in a real terminal (tmux), driven as a person would: `npm start`, type into the input
 * line, read the screen, and what the terminal received (tmux pipe-pane). These boot the guest
 * and use what every guest offers: the `~ # ` prompt, echo, poweroff N, ymirsh's regs, exits, ping.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { TmuxTerminal } from '../support/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const terminals: TmuxTerminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.kill();
});
function open(command: string, columns: number, rows: number, environment: Record<string, string> = {}): TmuxTerminal {
  const t = new TmuxTerminal(command, columns, rows, ROOT, environment);
  terminals.push(t);
  return t;
}

/** `line` cut at display column `column` (wide characters take two). */
function splitAt(line: string, column: number): [string, string] {
  let width = 0;
  let at = 0;
  for (const char of line) {
    if (width >= column) break;
    width += stringWidth(char);
    at += char.length;
  }
  return [line.slice(0, at), line.slice(at)];
}

/** The screen split at the side panes' left border (wide layouts): the console's text and the side panes'. */
function panes(screen: string): { console: string; side: string } {
  const lines = screen.split('\n');
  const edge = lines[0]!.search(/[╔┌]/); // the registers pane's top-left corner (the title row is all narrow characters)
  const rows = lines.slice(0, 40);
  if (edge < 0) return { console: rows.join('\n'), side: '' };
  const parts = rows.map((l) => splitAt(l, edge));
  return { console: parts.map(([c]) => c.trimEnd()).join('\n'), side: parts.map(([, s]) => s).join('\n') };
}

/** Whether the console shows `text` (its lines are right-trimmed: a prompt is `~ #`). */
const consoleHas = (text: string) => (screen: string): boolean => panes(screen).console.includes(text);

/** The count the exits pane shows for a reason, or undefined. */
function paneCount(screen: string, reason: string): number | undefined {
  const match = new RegExp(`[│║]${reason}\\s+(\\d+)\\s`).exec(panes(screen).side);
  return match ? Number(match[1]) : undefined;
}

/** The pid of the ymir process a terminal runs (a child of the pane's shell). */
function ymirPid(t: TmuxTerminal): number {
  const shell = t.pane('pane_pid');
  return Number(execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim().split(/\s+/)[0]);
}

/** Modes a guest must never be able to switch on in the host's terminal. */
const TERMINAL_STATE = [
  'pane_title', 'alternate_on', 'mouse_any_flag', 'mouse_all_flag', 'mouse_button_flag', 'mouse_standard_flag', 'mouse_sgr_flag',
  'keypad_flag', 'keypad_cursor_flag', 'insert_flag', 'origin_flag', 'wrap_flag', 'scroll_region_upper', 'scroll_region_lower', 'buffer_size',
];

describe('ymir, the TUI in a real terminal', () => {
  it('boots from npm start; ymirsh regs and exits on the console agree with the panes', async () => {
    const t = open('npm start', 120, 40);
    await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 120_000);
    t.type('ymirsh', 'Enter');
    await t.waitFor(consoleHas('\nymirsh>'), 'the ymirsh prompt');
    t.type('regs', 'Enter');
    const afterRegs = await t.waitFor(consoleHas('CR4='), 'the register dump');
    const cr3 = /CR3=([0-9a-f]{16})/.exec(panes(afterRegs).console)?.[1];
    expect(cr3, 'CR3 on the console').toBeDefined();
    // ymirsh runs on vCPU 0 (the init shell's CPU), the vCPU the registers pane shows first; its
    // later rows are a scroll away once it has focus.
    t.type('', 'Tab', ...Array<string>(20).fill('Down'));
    await t.waitFor((s) => panes(s).side.includes(`CR3     ${cr3}`), `CR3 ${cr3} in the registers pane`);
    t.type('', 'Tab', 'Tab', 'Tab', 'Tab'); // focus back on the console

    t.type('exits', 'Enter');
    const afterExits = await t.waitFor(consoleHas('TOTAL'), 'the exit table');
    const table = panes(afterExits).console;
    // Reasons an idle guest does not add to: the pane (most recent first, its top rows) must show
    // ymirsh's counts exactly.
    const stable = ['VMCALL', 'CPUID'].map((reason) => ({ reason, count: Number(new RegExp(`^${reason}\\s+\\d+\\s+(\\d+)`, 'm').exec(table)?.[1]) }));
    for (const { reason, count } of stable) expect(count, `${reason} on the console`).toBeGreaterThan(0);
    const agreed = await t.waitFor((s) => stable.every(({ reason, count }) => paneCount(s, reason) === count), `the exits pane to show ${JSON.stringify(stable)}`);
    expect(agreed).toMatch(/VM running · up <1m · [\d.]+[kMG]? exits\/s/);

    t.type('', 'C-q');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM stopped by the host\nexit status 0');
  }, 180_000);

  it('keeps the host terminal unharmed while a guest floods escape sequences', async () => {
    const t = open('node dist/tui/main.js', 120, 40);
    await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 60_000);
    const before = Object.fromEntries(TERMINAL_STATE.map((v) => [v, t.pane(v)]));
    expect(before.alternate_on).toBe('1'); // the TUI's own alternate screen

    t.type('escflood 480', 'Enter');
    const screen = await t.waitFor(consoleHas('escflood done'), 'the flood to end', 60_000);
    expect(Object.fromEntries(TERMINAL_STATE.map((v) => [v, t.pane(v)]))).toEqual(before);
    for (const title of ['COM1 console', 'VM exits', 'VMM log', 'VM running']) expect(screen).toContain(title);
    // The sequences are shown, harmless, instead of being acted on.
    expect(panes(screen).console).toMatch(/line 479/);
    expect(panes(screen).console).not.toContain('\x1b');
    expect(screen).not.toContain('pwned\n');
    // The flood's position queries were answered (a few a second), as a terminal answers them, and
    // the answers reached the guest's shell as input: end that line before typing.
    t.type('', 'Enter');
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.type('echo still here', 'Enter');
    await t.waitFor(consoleHas('still here\n~ #'), 'the shell to answer');

    t.type('', 'C-q');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM stopped by the host\nexit status 0');
    expect(t.pane('alternate_on')).toBe('0');
  }, 120_000);

  for (const [columns, rows] of [[80, 24], [200, 60]] as const) {
    it(`is readable at ${columns}x${rows}: the console full width, nothing past the edge, even with CI set`, async () => {
      // CI=true is what CI machines set; Ink would draw only its last frame if the TUI let it see it.
      const t = open('node dist/tui/main.js', columns, rows, { CI: 'true' });
      await t.waitFor((s) => s.includes('\n~ #'), 'the init shell prompt', 60_000);
      t.type('ymirsh', 'Enter');
      await t.waitFor((s) => s.includes('\nymirsh>'), 'ymirsh');
      t.type('help', 'Enter');
      // ymirsh's help lines are one row each, not folded; the top of the list may be a page back.
      const consoleText = (s: string): string => `${panes(s).console}\n`;
      const screen = await t.waitFor((s) => /\n {2}dis +disassemble guest-virtual memory \(decoded by the VMM\)\n/.test(consoleText(s)) && /exit +leave ymirsh/.test(s), 'ymirsh help, unfolded');
      const lines = screen.replace(/\n$/, '').split('\n');
      expect(lines.length).toBe(rows);
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
      t.type('', 'PageUp');
      await t.waitFor((s) => /\n {2}hello +VMCALL service 0: the VMM logs its greeting \(the seed's ymirsh\)\n/.test(consoleText(s)), 'the longest help line (77 columns), whole');
      t.type('', 'End');
      const titles = columns >= 118 ? ['vCPU 0/1', 'code AT&T', 'VM exits', 'VMM log'] : ['VM exits, all vCPUs, by recent · Tab: registers, code, log'];
      for (const title of ['COM1 console', ...titles, 'VM running', '^Q quit']) expect(screen).toContain(title);
      expect(lines.at(-1)).toMatch(/^ VM running · up <1m · [\d.]+[kMG]? exits\/s {2}\^G help · \^Q quit · Tab focus · \^T raw/); // not cut
      // What ymirsh just caused is among the rows the strip shows (at its next refresh).
      if (columns < 118) await t.waitFor((s) => /(^|│ )VMCALL +\d/m.test(s.split('\n').slice(-8, -3).join('\n')), 'VMCALL in the exits strip');
      t.type('', 'C-q');
      expect(await t.waitFor((s) => s.includes('exit status'), 'ymir to exit')).toContain('exit status 0');
    }, 90_000);
  }

  it('redraws only what changed: no clearing of the screen, nothing written while idle, a key redraws a row or two', async () => {
    const t = open('node dist/tui/main.js', 120, 40);
    await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the boot's last log records and rates settle
    const out = join(mkdtempSync(join(tmpdir(), 'ymir-pipe-')), 'pane.bin');
    execFileSync('tmux', ['pipe-pane', '-o', '-t', t.name, `cat > '${out}'`]);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // idle: nothing moves
    const idle = readFileSync(out);
    t.type('e');
    await t.waitFor((s) => s.includes('› e'), 'the key on the input line');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = readFileSync(out).toString('latin1');
    const key = all.slice(idle.length);
    expect(all).not.toMatch(/\x1b\[[23]?J/); // never a clear: ED is what Ink's redraws did many times a second
    expect(idle.length).toBeLessThan(100); // nothing changed, so (almost) nothing is drawn
    expect(key.length).toBeGreaterThan(0);
    expect(key.length).toBeLessThan(400); // the input line, not a screen
    t.type('', 'C-q');
    await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
  }, 90_000);

  it('sends non-ASCII input to the guest as UTF-8', async () => {
    const t = open('node dist/tui/main.js', 120, 40);
    await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 60_000);
    t.type('echo héllo ☃ 日本', 'Enter');
    await t.waitFor(consoleHas('\nhéllo ☃ 日本\n~ #'), 'the guest to echo it whole');
    t.type('', 'C-q');
    await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
  }, 90_000);

  it('says when the guest powered off, keeps the screen until a key, and exits with its status', async () => {
    const t = open('node dist/tui/main.js', 80, 24);
    await t.waitFor((s) => s.includes('\n~ #'), 'the init shell prompt', 60_000);
    t.type('echo last words', 'Enter');
    t.type('poweroff 7', 'Enter');
    const stopped = await t.waitFor((s) => s.includes('VM powered off, status 7 · press any key to exit'), 'the power-off message');
    expect(stopped).toContain('last words');
    expect(t.pane('alternate_on')).toBe('1');
    t.type('x');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM the guest powered off with status 7\nexit status 7');
  }, 90_000);

  it('gives the terminal back and exits 129 on SIGHUP', async () => {
    const t = open('node dist/tui/main.js', 80, 24);
    await t.waitFor((s) => s.includes('\n~ #'), 'the init shell prompt', 60_000);
    process.kill(ymirPid(t), 'SIGHUP');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM stopped by SIGHUP\nexit status 129');
    expect(t.pane('alternate_on')).toBe('0');
    expect(t.pane('cursor_flag')).toBe('1');
  }, 90_000);

  it('refuses a terminal smaller than 80x24 and says why', async () => {
    const t = open('node dist/tui/main.js', 70, 20);
    const screen = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit', 30_000);
    expect(screen.replace(/\n/g, '')).toContain('the terminal is 70x20; the TUI needs at least 80x24');
    expect(screen).toContain('exit status 2');
  }, 60_000);
});

describe('ymir top beside a TUI', () => {
  it('attaches to the running VM and moves while a ping loop runs in the TUI', async () => {
    const env = { XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'ymir-e2e-runtime-')) };
    const tui = open('node dist/tui/main.js', 120, 40, env);
    await tui.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 60_000);
    const top = open('node dist/tui/main.js top --interval 0.5', 120, 40, env);
    await top.waitFor((s) => s.includes('ymir top  VM running'), 'top to attach');
    tui.type('ymirsh', 'Enter');
    await tui.waitFor(consoleHas('\nymirsh>'), 'the ymirsh prompt');
    tui.type(Array<string>(20).fill('ping 1000000').join('; '), 'Enter'); // a ping loop: ymirsh runs ;-separated commands in turn
    const total = (s: string): number => Number(/ (\d+) exits {2}/.exec(s)?.[1] ?? -1);
    const first = await top.waitFor((s) => /VMCALL +[\d.]+k/.test(s), 'VMCALL in the legend at thousands a second');
    await top.waitFor((s) => total(s) > total(first), 'the exit total to grow');
    const screen = top.screen();
    expect(screen).toMatch(/VMCALL +█+ +[\d.]+[kM]?/); // the totals bars, by SDM name
    top.type('q');
    expect(await top.waitFor((s) => s.includes('exit status'), 'top to exit')).toMatch(/ymir top: detached; the VM \(pid \d+\) keeps running\nexit status 0/);
    tui.type('', 'C-c');
    tui.type('', 'C-q');
    await tui.waitFor((s) => s.includes('exit status'), 'the TUI to exit');
  }, 120_000);
});
