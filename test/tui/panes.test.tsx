import { Text } from 'ink';
import { render } from 'ink-testing-library';
import { Pane } from '../../tui/components/Pane.js';
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { ConsolePane, consoleRows } from '../../tui/components/ConsolePane.js';
import { ExitsPane, exitsTitle, orderExits } from '../../tui/components/ExitsPane.js';
import { HELP_KEYS, HelpPane } from '../../tui/components/HelpPane.js';
import { LogPane, filterLog, logTitle } from '../../tui/components/LogPane.js';
import { RegistersPane, flagNames, registerCells, registersTitle } from '../../tui/components/RegistersPane.js';
import { StatusLine, uptimeLabel } from '../../tui/components/StatusLine.js';
import { compactNumber, exitSummary, fitNumber, sortExits, summarizeExits } from '../../tui/exit-table.js';
import type { LogRecord } from '../../vmm/monitor-api.js';
import { FakeMonitor, snapshot } from './fake-monitor.js';

const frame = (node: React.ReactElement): string => {
  const app = render(node);
  const text = app.lastFrame() ?? '';
  app.unmount();
  return text;
};
const lines = (text: string): string[] => text.split('\n');

describe('ConsolePane', () => {
  it('uses every column (no side borders), folds long lines at its width and pads to its rows', () => {
    const text = frame(<ConsolePane lines={['~ # ymirsh', `${'x'.repeat(40)}${'y'.repeat(30)}`]} width={40} rows={5} focused={false} scrolledBack={0} raw={false} />);
    const rows = lines(text);
    expect(rows[0]).toMatch(/^─ COM1 console ─+$/);
    expect(rows[1]).toBe('~ # ymirsh');
    expect(rows[2]).toBe('x'.repeat(40));
    expect(rows[3]).toBe('y'.repeat(30));
    expect(rows).toHaveLength(5 + 1);
    expect(consoleRows(['a', 'b'.repeat(10), '', 'c'], 4, 4)).toEqual(['bbbb', 'bb', '', 'c']);
  });

  it('says when it is scrolled back or in raw mode', () => {
    const text = frame(<ConsolePane lines={['a']} width={60} rows={2} focused scrolledBack={12} raw />);
    expect(text).toContain('[raw keys]');
    expect(text).toContain('scrolled back 12 lines');
  });
});

describe('the exits pane', () => {
  const vm = new FakeMonitor();
  vm.counts[0]![ExitReason.HLT] = 30;
  vm.counts[1]![ExitReason.HLT] = 10;
  vm.counts[0]![ExitReason.VMCALL] = 60;
  vm.counts[1]![ExitReason.CPUID] = 100;
  const previous = vm.counts.map((row) => row.map(() => 0));
  previous[0]![ExitReason.HLT] = 20;
  previous[0]![ExitReason.VMCALL] = 60;
  previous[1]![ExitReason.CPUID] = 50;
  const { summary } = exitSummary(vm, previous, 2);
  const noTimes = new Map<number, number>();

  it('sums every vCPU, or one, and computes the rates from the counter deltas', () => {
    expect(summary.total).toBe(200);
    const byReason = new Map(summary.rows.map((r) => [r.reason, r]));
    expect(byReason.get(ExitReason.HLT)).toMatchObject({ total: 40, percent: 20, rate: 10 });
    expect(byReason.get(ExitReason.CPUID)).toMatchObject({ total: 100, percent: 50, rate: 25 });
    expect(byReason.get(ExitReason.VMCALL)?.rate).toBe(0);
    expect(summary.rate).toBe(35);
    const one = summarizeExits(vm.counts, previous, 2, 1);
    expect(one).toMatchObject({ vcpu: 1, total: 110 });
    expect(one.rows.map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.HLT]);
  });

  it('sorts by total, rate, name, or the reasons that grew last first', () => {
    expect(sortExits(summary.rows, 'total').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.VMCALL, ExitReason.HLT]);
    expect(sortExits(summary.rows, 'rate').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.HLT, ExitReason.VMCALL]);
    expect(sortExits(summary.rows, 'name').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.HLT, ExitReason.VMCALL]);
    // A command just made VMCALLs and HLTs; CPUID, the most numerous, last grew long before.
    const changed = new Map([[ExitReason.VMCALL, 9000], [ExitReason.HLT, 8000], [ExitReason.CPUID, 1000]]);
    expect(orderExits(summary.rows, 'recent', changed).map((r) => r.reason)).toEqual([ExitReason.VMCALL, ExitReason.HLT, ExitReason.CPUID]);
  });

  it('renders kvm_stat columns with a total row, numbers compact enough for their column', () => {
    const body = lines(frame(<ExitsPane summary={summary} sort="total" changedAt={noTimes} rows={5} width={42} scroll={0} />));
    expect(body[0]).toMatch(/^Event\s+Total\s+\/s\s+%$/);
    expect(body[1]).toMatch(/^CPUID\s+100\s+25\s+50\.0$/);
    expect(body[2]).toMatch(/^VMCALL\s+60\s+0\s+30\.0$/);
    expect(body[3]).toMatch(/^HLT\s+40\s+10\s+20\.0$/);
    expect(body[4]).toMatch(/^Total\s+200\s+35\s+100\.0$/);
    expect([0, 999, 1000, 12_345, 123_456, 4_100_000, 999_999].map(compactNumber)).toEqual(['0', '999', '1.0k', '12.3k', '123k', '4.1M', '1.0M']);
    const busy = summarizeExits([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 123_456_789]], [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], 0.5);
    const row = lines(frame(<ExitsPane summary={busy} sort="total" changedAt={noTimes} rows={3} width={30} scroll={0} />))[1]!;
    expect(row).toMatch(/^CPUID\s+123M\s+247M\s+100\.0$/);
    expect(fitNumber(1_234_567, 7)).toBe('1234567');
    expect(fitNumber(12_345_678, 7)).toBe('12.3M');
    expect(row.length).toBeLessThanOrEqual(30);
  });

  it('drops columns, not reason names, when narrow', () => {
    const vm = new FakeMonitor();
    vm.counts[0]![ExitReason.EXTERNAL_INTERRUPT] = 7;
    const wide = exitSummary(vm, undefined, 0).summary;
    const narrow = lines(frame(<ExitsPane summary={wide} sort="total" changedAt={noTimes} rows={3} width={28} scroll={0} />));
    expect(narrow[1]).toMatch(/^EXTERNAL_INTERRUPT\s+7$/);
    expect(narrow[0]).not.toContain('/s');
  });

  it('says how many rows did not fit, and scrolls to them', () => {
    const text = frame(<ExitsPane summary={summary} sort="total" changedAt={noTimes} rows={4} width={26} scroll={0} />);
    expect(lines(text)).toHaveLength(4);
    expect(text).toContain('CPUID');
    expect(text).toContain('+2 more');
    expect(text).not.toMatch(/^HLT/m);
    const scrolled = frame(<ExitsPane summary={summary} sort="total" changedAt={noTimes} rows={4} width={26} scroll={2} />);
    expect(scrolled).toMatch(/^VMCALL/m);
    expect(scrolled).toMatch(/^HLT/m);
  });

  it('uses a second column for the rows that do not fit one, where it is wide enough', () => {
    const vm = new FakeMonitor();
    [1, 10, 12, 18, 28, 30, 31, 32, 52, 7].forEach((reason, i) => { vm.counts[0]![reason] = 100 * (i + 1); });
    const many = exitSummary(vm, undefined, 0).summary;
    const rows = lines(frame(<ExitsPane summary={many} sort="total" changedAt={noTimes} rows={6} width={80} scroll={0} />));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^Event +Total +\/s +%? *│ Event +Total/);
    expect(rows[1]).toMatch(/^INTERRUPT_WINDOW +1000 .*│ IO_INSTRUCTION +600/);
    expect(rows[5]).toMatch(/^Total +5500 .*│ \+2 more/);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
  });

  it('labels its scope and order', () => {
    expect(exitsTitle(summary, 'recent', false)).toBe('VM exits, all vCPUs, by recent');
    expect(exitsTitle(summarizeExits(vm.counts, undefined, 0, 1), 'total', true)).toBe('VM exits, vCPU 1, by total ↑↓ ←→');
  });
});

describe('the log pane', () => {
  const record = (sequence: number, level: LogRecord['level'], scope: string, message: string): LogRecord => ({ sequence, level, scope, message, timeMs: sequence * 10 });
  const records = [
    record(0, 'debug', 'exit', 'CPUID leaf 0'),
    record(1, 'info', 'vmc', 'hello'),
    record(2, 'warn', 'ept', 'refused write at 0x100000\nsecond line'),
    record(3, 'error', 'vmc', 'Unhandled VMCALL: nr=77'),
  ];

  it('filters by lowest level and by scope', () => {
    expect(filterLog(records, 'debug', undefined).map((r) => r.sequence)).toEqual([0, 1, 2, 3]);
    expect(filterLog(records, 'warn', undefined).map((r) => r.sequence)).toEqual([2, 3]);
    expect(filterLog(records, 'info', 'vmc').map((r) => r.sequence)).toEqual([1, 3]);
  });

  it('shows a multi-line record whole, each line of it a row', () => {
    const text = frame(<LogPane records={records} level="info" scope={undefined} rows={3} scrollBack={0} />);
    const rows = lines(text);
    expect(rows[0]).toMatch(/WARN\s+ept\s+\| refused write at 0x100000$/);
    expect(rows[1]).toMatch(/^\s+\| second line$/);
    expect(rows[2]).toMatch(/ERROR vmc\s+\| Unhandled VMCALL: nr=77/);
  });

  it('scrolls back from the newest row, and says so in its title', () => {
    const text = frame(<LogPane records={records} level="info" scope={undefined} rows={2} scrollBack={3} />);
    expect(text).toContain('hello');
    expect(text).not.toContain('Unhandled');
    expect(logTitle('info', 'vmc', 7, 3, true)).toBe('VMM log ≥info scope vmc, 7 lost, back 3 rows ↑↓ scroll ←→ level ⇧←→ scope');
  });
});

describe('the registers pane', () => {
  it('marks the registers that changed since the previous snapshot', () => {
    const before = snapshot(0, 1n, 0x401000n);
    const after = { ...snapshot(0, 2n, 0x401010n), cr3: 0x20000n, fs: 0x2b };
    expect(registerCells(after, before).filter((c) => c.changed).map((c) => c.name)).toEqual(['RIP', 'CR3', 'FS']);
    expect(registerCells(after, undefined).some((c) => c.changed)).toBe(false);
  });

  it('has every register of the snapshot, each under its own name', () => {
    const names = registerCells(snapshot(0, 1n, 0n), undefined).map((c) => c.name);
    expect(names).toEqual(['RIP', 'RSP', 'RFLAGS', 'RAX', 'RBX', 'RCX', 'RDX', 'RSI', 'RDI', 'RBP', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15',
      'CR0', 'CR2', 'CR3', 'CR4', 'EFER', 'FS.base', 'GS.base', 'CS', 'SS', 'DS', 'ES', 'FS', 'GS']);
    expect(flagNames(0x246n)).toBe('PF ZF IF');
  });

  it('packs as many registers a row as fit, shows the last exit and flags, and says what is below', () => {
    const s = { ...snapshot(1, 1n, 0xffffffff81000000n), state: 'halted' as const, lastExitReason: ExitReason.HLT };
    const text = frame(<RegistersPane snapshot={s} cells={registerCells(s, undefined)} rows={4} width={78} scroll={0} />);
    const rows = lines(text);
    expect(rows[0]).toBe('last exit HLT (12) · flags IF');
    expect(rows[1]).toBe('RIP     ffffffff81000000 RSP     0000000000000004 RFLAGS  0000000000000202');
    expect(rows[3]).toMatch(/^\+\d+ more rows/);
    expect(registersTitle(s, 2, true)).toBe('vCPU 1/1 halted CPL3 ←→ vCPU ↑↓');
    const all = frame(<RegistersPane snapshot={s} cells={registerCells(s, undefined)} rows={20} width={78} scroll={0} />);
    expect(all).toContain('CS 0023 SS 001b DS 0000 ES 0000 FS 0000 GS 0000');
    expect(all).toContain('GS.base 0000000000000000');
    expect(all).not.toContain('more rows');
  });
});

describe('Pane', () => {
  it('keeps its first row in place when focus changes its border', () => {
    const pane = (focused: boolean) => <Pane title="t" focused={focused} width={20} rows={2}><Text>first</Text><Text>second</Text></Pane>;
    const app = render(pane(false));
    app.rerender(pane(true));
    expect(lines(app.lastFrame() ?? '').slice(1, 3)).toEqual(['║first             ║', '║second            ║']);
    app.unmount();
  });
});

describe('the status line and the help', () => {
  it('shows state, uptime and exits per second, and only whole key hints that fit', () => {
    const text = frame(<StatusLine state="paused" uptime={uptimeLabel(61_500)} exitRate={1234.4} raw={false} width={60} />);
    expect(text).toMatch(/^ VM paused · up 1m · 1.2k exits\/s {2}\^G help · \^Q quit/);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text).not.toMatch(/·\s*$/);
    expect([0, 59_999, 60_000, 3_600_000 + 5 * 60_000].map(uptimeLabel)).toEqual(['<1m', '<1m', '1m', '1h05m']);
  });

  it('says the VM powered off and that a key exits', () => {
    const text = frame(<StatusLine state="stopped" uptime="1m" exitRate={0} raw={false} width={80} stopped="VM powered off, status 7" />);
    expect(text).toContain('VM powered off, status 7 · press any key to exit');
  });

  it('shows the raw-mode keys in raw mode', () => {
    expect(frame(<StatusLine state="running" uptime="<1m" exitRate={0} raw width={120} />)).toContain('^T cooked');
  });

  it('lists every key', () => {
    const text = frame(<HelpPane rows={20} />);
    for (const [key] of HELP_KEYS) expect(text).toContain(key);
  });
});
