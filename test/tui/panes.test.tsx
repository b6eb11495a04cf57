import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { ConsolePane, consoleRows } from '../../tui/components/ConsolePane.js';
import { ExitsPane } from '../../tui/components/ExitsPane.js';
import { HelpPane } from '../../tui/components/HelpPane.js';
import { LogPane, filterLog } from '../../tui/components/LogPane.js';
import { RegistersPane, registerCells } from '../../tui/components/RegistersPane.js';
import { StatusLine } from '../../tui/components/StatusLine.js';
import { exitSummary, sortExits } from '../../tui/exit-table.js';
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
  it('folds long lines at its width, keeps the newest rows, and pads to its height', () => {
    const text = frame(<ConsolePane lines={['~ # ymirsh', `${'x'.repeat(40)}${'y'.repeat(30)}`]} width={40} height={5} focused={false} scrolledBack={0} raw={false} />);
    expect(text).toContain('COM1 console');
    expect(text).toContain('~ # ymirsh');
    expect(text).toContain(`${'x'.repeat(40)}`);
    expect(text).not.toContain('xy');
    expect(text).toContain('y'.repeat(30));
    expect(lines(text)).toHaveLength(5 + 3);
    expect(consoleRows(['a', 'b'.repeat(10), '', 'c'], 4, 4)).toEqual(['bbbb', 'bb', '', 'c']);
  });

  it('says when it is scrolled back or in raw mode', () => {
    const text = frame(<ConsolePane lines={['a']} width={60} height={2} focused scrolledBack={12} raw />);
    expect(text).toContain('[raw keys]');
    expect(text).toContain('scrolled back 12 lines');
  });
});

describe('ExitsPane', () => {
  const vm = new FakeMonitor();
  vm.counts[0]![ExitReason.HLT] = 30;
  vm.counts[1]![ExitReason.HLT] = 10;
  vm.counts[0]![ExitReason.VMCALL] = 60;
  vm.counts[1]![ExitReason.CPUID] = 100;
  const previous = new Array<number>(vm.counts[0]!.length).fill(0);
  previous[ExitReason.HLT] = 20;
  previous[ExitReason.VMCALL] = 60;
  previous[ExitReason.CPUID] = 50;
  const { summary } = exitSummary(vm, previous, 2);

  it('sums every vCPU and computes the rate from the counter deltas', () => {
    expect(summary.total).toBe(200);
    const byReason = new Map(summary.rows.map((r) => [r.reason, r]));
    expect(byReason.get(ExitReason.HLT)).toMatchObject({ total: 40, percent: 20, rate: 10 });
    expect(byReason.get(ExitReason.CPUID)).toMatchObject({ total: 100, percent: 50, rate: 25 });
    expect(byReason.get(ExitReason.VMCALL)?.rate).toBe(0);
    expect(summary.rate).toBe(35);
  });

  it('sorts by total, rate or name', () => {
    expect(sortExits(summary.rows, 'total').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.VMCALL, ExitReason.HLT]);
    expect(sortExits(summary.rows, 'rate').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.HLT, ExitReason.VMCALL]);
    expect(sortExits(summary.rows, 'name').map((r) => r.reason)).toEqual([ExitReason.CPUID, ExitReason.HLT, ExitReason.VMCALL]);
  });

  it('renders kvm_stat columns with a total row, in the sort order', () => {
    const text = frame(<ExitsPane summary={summary} sort="total" focused={false} rows={6} width={42} />);
    const body = lines(text).map((l) => l.replace(/[│║]/g, '').trim());
    expect(body[2]).toMatch(/^Event\s+Total\s+\/s\s+%Total$/);
    expect(body[3]).toMatch(/^CPUID\s+100\s+25\s+50\.0$/);
    expect(body[4]).toMatch(/^VMCALL\s+60\s+0\s+30\.0$/);
    expect(body[5]).toMatch(/^HLT\s+40\s+10\s+20\.0$/);
    expect(body[6]).toMatch(/^Total\s+200\s+35\s+100\.0$/);
  });

  it('drops columns, not reason names, when narrow', () => {
    const vm = new FakeMonitor();
    vm.counts[0]![ExitReason.EXTERNAL_INTERRUPT] = 7;
    const wide = exitSummary(vm, undefined, 0).summary;
    const narrow = lines(frame(<ExitsPane summary={wide} sort="total" focused={false} rows={4} width={28} />));
    expect(narrow[3]).toMatch(/EXTERNAL_INTERRUPT\s+7\s*│/);
    expect(narrow[2]).not.toContain('%Total');
    const roomy = lines(frame(<ExitsPane summary={wide} sort="total" focused={false} rows={4} width={48} />));
    expect(roomy[3]).toMatch(/EXTERNAL_INTERRUPT\s+7\s+0\s+100\.0\s*│/);
  });

  it('shows only as many reasons as it has rows', () => {
    const text = frame(<ExitsPane summary={summary} sort="total" focused rows={3} width={42} />);
    expect(text).toContain('CPUID');
    expect(text).not.toContain('HLT ');
    expect(text).toContain('sorted by total ↑↓');
  });
});

describe('LogPane', () => {
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

  it('shows the newest records that fit, first line only, and the lost count', () => {
    const text = frame(<LogPane records={records} lost={7} level="info" scope={undefined} focused={false} rows={2} />);
    expect(text).toContain('7 lost');
    expect(text).not.toContain('hello');
    expect(text).toMatch(/WARN\s+ept\s+\| refused write at 0x100000/);
    expect(text).not.toContain('second line');
    expect(text).toMatch(/ERROR vmc\s+\| Unhandled VMCALL: nr=77/);
  });
});

describe('RegistersPane', () => {
  it('marks the registers that changed since the previous snapshot', () => {
    const before = snapshot(0, 1n, 0x401000n);
    const after = { ...snapshot(0, 2n, 0x401010n), cr3: 0x20000n };
    const changed = registerCells(after, before).filter((c) => c.changed).map((c) => c.name);
    expect(changed).toEqual(['RIP', 'CR3']);
    expect(registerCells(after, undefined).some((c) => c.changed)).toBe(false);
  });

  it('shows state, CPL, last exit and the values in hex, two per line when wide', () => {
    const cells = registerCells(snapshot(1, 1n, 0xffffffff81000000n), undefined);
    const text = frame(<RegistersPane vcpu={1} state="halted" cpl={0} lastExitReason={ExitReason.HLT} cells={cells} vcpuCount={2} focused={false} rows={3} width={48} />);
    expect(text).toContain('vCPU 1/1 halted CPL0');
    expect(text).toContain('last exit HLT');
    expect(text).toMatch(/RIP ffffffff81000000 RSP 0000000000000004/);
    expect(text).toMatch(/RAX 0000000000000000 RBX 0000000000000003/);
    expect(text).not.toContain('RCX');
  });

  it('shows one register a line when narrow', () => {
    const cells = registerCells(snapshot(0, 1n, 0x401000n), undefined);
    const text = frame(<RegistersPane vcpu={0} state="running" cpl={3} lastExitReason={ExitReason.VMCALL} cells={cells} vcpuCount={2} focused rows={3} width={28} />);
    expect(text).toMatch(/RIP 0000000000401000\s*[│║]/);
    expect(text).not.toContain('RSP 0000000000000004 RAX');
  });
});

describe('StatusLine and HelpPane', () => {
  it('shows state, uptime and exits per second, cut to the width', () => {
    const text = frame(<StatusLine state="paused" uptimeMs={61_500} exitRate={1234.4} raw={false} width={60} />);
    expect(text).toContain('VM paused · up 61.5s · 1234 exits/s');
    expect(text.length).toBeLessThanOrEqual(60);
  });

  it('shows the raw-mode keys in raw mode', () => {
    expect(frame(<StatusLine state="running" uptimeMs={0} exitRate={0} raw width={120} />)).toContain('^T cooked');
  });

  it('lists every key', () => {
    const text = frame(<HelpPane />);
    for (const key of ['Enter', 'Left/Right', 'Ctrl-A/E/U', 'Tab', 'Ctrl-T', 'Ctrl-C', 'Ctrl-P', 'Ctrl-O', 'Ctrl-V', 'PgUp/PgDn', 'Ctrl-G', 'Ctrl-Q']) expect(text).toContain(key);
  });
});
