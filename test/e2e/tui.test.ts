/**
 * The TUI in a real terminal (tmux), driven as a person would: `npm start`, type into the input
 * line, read the screen. The panes must agree with what ymirsh prints on the console.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TmuxTerminal } from '../support/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let terminal: TmuxTerminal | undefined;
afterEach(() => {
  terminal?.kill();
  terminal = undefined;
});

/** The screen split at the console pane's right border: the console's text and the side panes'. */
function panes(screen: string): { console: string; side: string } {
  const lines = screen.split('\n');
  const edge = lines[0]!.search(/[╗┐]/); // the console pane's top-right corner
  const consoleRows = lines.slice(0, 40).filter((l) => l.length > edge && /[║│]/.test(l[edge]!));
  return {
    console: consoleRows.map((l) => l.slice(1, edge).trimEnd()).join('\n'),
    side: consoleRows.map((l) => l.slice(edge + 1)).join('\n'),
  };
}

/** Whether the console pane shows `text` (its lines are right-trimmed: a prompt is `~ #`). */
const consoleHas = (text: string) => (screen: string): boolean => panes(screen).console.includes(text);

/** The count the exits pane shows for a reason, or undefined. */
function paneCount(screen: string, reason: string): number | undefined {
  const match = new RegExp(`[│║]${reason}\\s+(\\d+)\\s`).exec(panes(screen).side);
  return match ? Number(match[1]) : undefined;
}

/** Modes a guest must never be able to switch on in the host's terminal. */
const TERMINAL_STATE = [
  'pane_title', 'alternate_on', 'mouse_any_flag', 'mouse_all_flag', 'mouse_button_flag', 'mouse_standard_flag', 'mouse_sgr_flag',
  'keypad_flag', 'keypad_cursor_flag', 'insert_flag', 'origin_flag', 'wrap_flag', 'scroll_region_upper', 'scroll_region_lower', 'buffer_size',
];

describe('ymir, the TUI in a real terminal', () => {
  it('boots from npm start; ymirsh regs and exits on the console agree with the panes', async () => {
    terminal = new TmuxTerminal('npm start', 120, 40, ROOT);
    const t = terminal;
    await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 120_000);
    t.type('ymirsh', 'Enter');
    await t.waitFor(consoleHas('\nymirsh>'), 'the ymirsh prompt');
    t.type('regs', 'Enter');
    const afterRegs = await t.waitFor(consoleHas('CR4='), 'the register dump');
    const cr3 = /CR3=([0-9a-f]{16})/.exec(panes(afterRegs).console)?.[1];
    expect(cr3, 'CR3 on the console').toBeDefined();
    // ymirsh runs on vCPU 0 (the init shell's CPU), the vCPU the registers pane shows first.
    await t.waitFor((s) => panes(s).side.includes(`CR3 ${cr3}`), `CR3 ${cr3} in the registers pane`);

    t.type('exits', 'Enter');
    const afterExits = await t.waitFor(consoleHas('TOTAL'), 'the exit table');
    const table = panes(afterExits).console;
    // Reasons an idle guest does not add to: the pane must show ymirsh's counts exactly.
    const stable = ['VMCALL', 'CPUID', 'CR_ACCESS'].map((reason) => ({ reason, count: Number(new RegExp(`^${reason}\\s+\\d+\\s+(\\d+)`, 'm').exec(table)?.[1]) }));
    for (const { reason, count } of stable) expect(count, `${reason} on the console`).toBeGreaterThan(0);
    const agreed = await t.waitFor((s) => stable.every(({ reason, count }) => paneCount(s, reason) === count), `the exits pane to show ${JSON.stringify(stable)}`);
    expect(agreed).toMatch(/VM running · up \d+\.\ds · \d+ exits\/s/);

    t.type('', 'C-q');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM stopped by the host\nexit status 0');
  }, 180_000);

  it('keeps the host terminal unharmed while a guest floods escape sequences', async () => {
    terminal = new TmuxTerminal('node dist/tui/main.js', 120, 40, ROOT);
    const t = terminal;
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
    t.type('echo still here', 'Enter');
    await t.waitFor(consoleHas('still here\n~ #'), 'the shell to answer');

    t.type('', 'C-q');
    const last = await t.waitFor((s) => s.includes('exit status'), 'ymir to exit');
    expect(last).toContain('ymir: VM stopped by the host\nexit status 0');
    expect(t.pane('alternate_on')).toBe('0');
  }, 120_000);

  for (const [columns, rows] of [[80, 24], [200, 60]] as const) {
    it(`is readable at ${columns}x${rows}: every pane shown, nothing past the edge, even with CI set`, async () => {
      // CI=true is what CI machines set; Ink would draw only its last frame if the TUI let it see it.
      terminal = new TmuxTerminal('node dist/tui/main.js', columns, rows, ROOT, { CI: 'true' });
      const t = terminal;
      const screen = await t.waitFor(consoleHas('\n~ #'), 'the init shell prompt', 60_000);
      const lines = screen.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(rows);
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(columns);
      for (const title of ['COM1 console', 'vCPU 0/1', 'VM exits', 'VMM log', 'VM running', '^Q quit']) expect(screen).toContain(title);
      // The boot log's long lines are folded in the console, not cut.
      expect(panes(screen).console.replace(/\n/g, '')).toContain('Run /init as init process');
      t.type('', 'C-q');
      expect(await t.waitFor((s) => s.includes('exit status'), 'ymir to exit')).toContain('exit status 0');
    }, 90_000);
  }

  it('refuses a terminal smaller than 80x24 and says why', async () => {
    terminal = new TmuxTerminal('node dist/tui/main.js', 70, 20, ROOT);
    const screen = await terminal.waitFor((s) => s.includes('exit status'), 'ymir to exit', 30_000);
    expect(screen.replace(/\n/g, '')).toContain('the terminal is 70x20; the TUI needs at least 80x24');
    expect(screen).toContain('exit status 2');
  }, 60_000);
});
