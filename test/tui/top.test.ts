import { PassThrough } from 'node:stream';
import blessed from 'blessed';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { compactNumber } from '../../tui/exit-table.js';
import { type TopSource, TopDashboard, runTop } from '../../tui/top.js';
import {
  ExitHistory, LogFeed, type Rect, clockLabel, displayText, legendLines, logLine, rateSeries, registerTable,
  registerTitle, seriesMaxY, statusLine, topLayout, totalsBars,
} from '../../tui/top-model.js';
import type { LogRecord, StopReason } from '../../vmm/monitor-api.js';
import { parseSeconds } from '../../tui/options.js';
import { FakeMonitor, snapshot } from './fake-monitor.js';

const record = (sequence: number, message: string, extra: Partial<LogRecord> = {}): LogRecord => ({
  sequence, level: 'info', scope: 'vmx', message, timeMs: 1500, ...extra,
});

/** A fake whose uptime the test sets. */
class ClockedMonitor extends FakeMonitor {
  uptime = 0;
  override uptimeMs(): number { return this.uptime; }
}

/** Sets the exit counters (vCPU 0 gets `a`, vCPU 1 gets `b`) and takes a sample at `atMs`. */
function step(vm: ClockedMonitor, history: ExitHistory, atMs: number, counts: Partial<Record<number, [number, number]>>): void {
  for (const [reason, [a, b]] of Object.entries(counts) as unknown as [number, [number, number]][]) {
    vm.counts[0]![reason] = a;
    vm.counts[1]![reason] = b;
  }
  vm.uptime = atMs;
  history.sample(vm, atMs);
}

describe('ExitHistory', () => {
  it('takes the first reading as the baseline and computes rates from counter deltas over every vCPU', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory();
    step(vm, history, 1000, { [ExitReason.HLT]: [100, 50], [ExitReason.CPUID]: [10, 0] });
    expect(history.samples).toHaveLength(0);
    expect(history.summary.total).toBe(160);
    step(vm, history, 3000, { [ExitReason.HLT]: [300, 150], [ExitReason.CPUID]: [10, 0] });
    expect(history.samples).toHaveLength(1);
    const rates = history.samples[0]!.rates;
    expect(rates.get(ExitReason.HLT)).toBe(150); // (450 - 150) / 2 s
    expect(rates.get(ExitReason.CPUID)).toBe(0);
    expect(history.samples[0]!.uptimeMs).toBe(3000);
    expect(history.summary.rate).toBe(150);
  });

  it('ignores a reading with no time elapsed and keeps only the newest samples', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory(3);
    for (let i = 0; i <= 5; i++) step(vm, history, i * 1000, { [ExitReason.IO_INSTRUCTION]: [i * i * 10, 0] });
    step(vm, history, 5000, { [ExitReason.IO_INSTRUCTION]: [9999, 0] });
    expect(history.samples.map((s) => s.uptimeMs)).toEqual([3000, 4000, 5000]);
    expect(history.samples.map((s) => s.rates.get(ExitReason.IO_INSTRUCTION))).toEqual([50, 70, 90]);
    expect(history.summary.total).toBe(250);
  });
});

describe('rateSeries', () => {
  it('draws the top reasons by mean rate, highest first, with the newest rate in the title', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory();
    const reasons = [ExitReason.HLT, ExitReason.CPUID, ExitReason.IO_INSTRUCTION, ExitReason.MSR_READ, ExitReason.MSR_WRITE, ExitReason.VMCALL, ExitReason.CR_ACCESS];
    // Reason i gains (i + 1) * 10 exits a second; CR_ACCESS is the fastest, HLT the slowest.
    for (let t = 0; t <= 3; t++) {
      step(vm, history, t * 1000, Object.fromEntries(reasons.map((r, i) => [r, [t * (i + 1) * 10, 0]])));
    }
    const series = rateSeries(history, 5);
    expect(series.map((s) => s.reason)).toEqual([ExitReason.CR_ACCESS, ExitReason.VMCALL, ExitReason.MSR_WRITE, ExitReason.MSR_READ, ExitReason.IO_INSTRUCTION]);
    expect(series[0]).toMatchObject({ title: 'CR_ACCESS 70', y: [70, 70, 70], x: ['0:01', '0:02', '0:03'], style: { line: 'yellow' } });
    expect(series[4]!.title).toBe('IO_INSTRUCTION 30');
    expect(new Set(series.map((s) => s.style.line)).size).toBe(5);
    expect(seriesMaxY(series)).toBeUndefined();
  });

  it('ranks by the mean over the window, not the newest sample, breaks ties by total and leaves out idle reasons', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory();
    step(vm, history, 0, { [ExitReason.HLT]: [0, 0], [ExitReason.CPUID]: [0, 0], [ExitReason.VMCALL]: [5, 0], [ExitReason.RDTSC]: [1, 0] });
    step(vm, history, 1000, { [ExitReason.HLT]: [1000, 0], [ExitReason.CPUID]: [10, 0], [ExitReason.VMCALL]: [35, 0] }); // an HLT burst
    step(vm, history, 2000, { [ExitReason.HLT]: [1000, 0], [ExitReason.CPUID]: [60, 0], [ExitReason.VMCALL]: [65, 0] });
    // Means: HLT 500, CPUID 30 and VMCALL 30 (VMCALL has more exits), RDTSC 0.
    const series = rateSeries(history, 4);
    expect(series.map((s) => s.reason)).toEqual([ExitReason.HLT, ExitReason.VMCALL, ExitReason.CPUID]);
    expect(series[0]!.y).toEqual([1000, 0]);
    expect(series[0]!.title).toBe('HLT 0');
    expect(series[2]!.title).toBe('CPUID 50');
  });

  it('labels samples less than a second apart with tenths', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory();
    for (let t = 0; t <= 3; t++) step(vm, history, 2000 + t * 250, { [ExitReason.HLT]: [t * 10, 0] });
    expect(rateSeries(history)[0]!.x).toEqual(['0:02.2', '0:02.5', '0:02.7']);
    expect(rateSeries(history)[0]!.y).toEqual([40, 40, 40]);
  });

  it('has one flat series while there is nothing to draw, and a y axis it can scale', () => {
    const vm = new ClockedMonitor();
    const history = new ExitHistory();
    step(vm, history, 0, { [ExitReason.HLT]: [5, 0] });
    expect(rateSeries(history)).toEqual([{ reason: undefined, title: 'sampling', x: ['-'], y: [0], style: { line: 'white' } }]);
    step(vm, history, 1000, { [ExitReason.HLT]: [5, 0] }); // exits before, none in the window
    const idle = rateSeries(history);
    expect(idle).toHaveLength(1);
    expect(idle[0]).toMatchObject({ title: 'no exits', x: ['0:01'], y: [0] });
    expect(seriesMaxY(idle)).toBe(1);
  });
});

describe('totalsBars', () => {
  it('shows the reasons with most exits first, as many as fit, by their SDM names, with bars to scale', () => {
    const vm = new FakeMonitor();
    vm.counts[0]![ExitReason.EXTERNAL_INTERRUPT] = 40;
    vm.counts[1]![ExitReason.EXTERNAL_INTERRUPT] = 2;
    vm.counts[0]![ExitReason.IO_INSTRUCTION] = 500;
    vm.counts[1]![ExitReason.HLT] = 70;
    vm.counts[0]![ExitReason.CPUID] = 3;
    const history = new ExitHistory();
    history.sample(vm, 0);
    const bars = totalsBars(history.summary, 3, 50);
    expect(bars).toHaveLength(3);
    expect(bars[0]).toMatch(/^IO_INSTRUCTION {5}█{24}\s+500$/);
    expect(bars[1]).toMatch(/^HLT {16}█{3}\s+70$/);
    expect(bars[2]).toMatch(/^EXTERNAL_INTERRUPT █{2}\s+42$/);
    for (const bar of bars) expect(bar.length).toBeLessThanOrEqual(50);
  });

  it('counts compactly and says when there is nothing yet', () => {
    const rows = [{ reason: ExitReason.HLT, total: 123_456_789, percent: 0, rate: 0, perVcpu: [] }, { reason: ExitReason.CPUID, total: 2_500_000, percent: 0, rate: 0, perVcpu: [] }];
    expect(totalsBars({ rows, total: 125_956_789, rate: 0, vcpu: 'all' }, 5, 40)).toEqual([expect.stringMatching(/^HLT .* 123M$/), expect.stringMatching(/^CPUID █ +2.5M$/)]);
    expect(totalsBars({ rows: [], total: 0, rate: 0, vcpu: 'all' }, 5, 40)).toEqual(['no exits yet']);
  });
});

describe('names and numbers', () => {
  it('puts a series name and its rate on one legend line, or on two when they do not fit', () => {
    const series = [{ reason: ExitReason.TPR_BELOW_THRESHOLD, title: 'TPR_BELOW_THRESHOLD 12.3k', x: [], y: [], style: { line: 'cyan' } }];
    expect(legendLines(series, 30)).toEqual(['{cyan-fg}TPR_BELOW_THRESHOLD      12.3k{/cyan-fg}']);
    expect(legendLines(series, 22)).toEqual(['{cyan-fg}TPR_BELOW_THRESHOLD{/cyan-fg}', '{cyan-fg}                 12.3k{/cyan-fg}']);
  });

  it('writes rates compactly and uptime as m:ss', () => {
    expect([0, 999, 1000, 12_345, 123_456, 4_100_000].map(compactNumber)).toEqual(['0', '999', '1.0k', '12.3k', '123k', '4.1M']);
    expect([0, 999, 61_000, 3_599_999].map((ms) => clockLabel(ms))).toEqual(['0:00', '0:00', '1:01', '59:59']);
    expect(clockLabel(61_250, true)).toBe('1:01.2');
  });

  it('takes an interval in seconds above 0', () => {
    expect(parseSeconds('0.5')).toBe(0.5);
    for (const bad of ['0', '-1', 'soon', 'Infinity']) expect(() => parseSeconds(bad)).toThrow(/seconds above 0/);
  });
});

describe('the register table', () => {
  it('lists every register in hex, one or two a row', () => {
    const current = snapshot(0, 2n, 0x401000n);
    const one = registerTable(current, undefined, 1);
    expect(one.headers).toEqual(['Reg', 'Value']);
    expect(one.data.slice(0, 4)).toEqual([['RIP', '0000000000401000'], ['RSP', '0000000000000004'], ['RFLAGS', '0000000000000202'], ['RAX', '0000000000000000']]);
    expect(Object.fromEntries(one.data.map(([name, value]) => [name, value]))).toMatchObject({
      CR0: '0000000080010033', CR3: '0000000000010000', EFER: '0000000000000d01', RFLAGS: '0000000000000202', R15: '000000000000000f',
      CS: '0023', SS: '001b', DS: '0000', 'FS.base': '0000000000000000',
    });
    expect(one.data).toHaveLength(31);
    const two = registerTable(current, undefined, 2);
    expect(two.headers).toEqual(['Reg', 'Value', 'Reg', 'Value']);
    expect(two.data[0]).toEqual(['RIP', '0000000000401000', 'RSP', '0000000000000004']);
    expect(two.data).toHaveLength(16);
    expect(two.data[15]).toEqual(['GS', '0000']);
  });

  it('marks the values that changed since the previous snapshot', () => {
    const before = snapshot(0, 1n, 0x401000n);
    const after = { ...snapshot(0, 2n, 0x401004n), gprs: before.gprs.map((v, i) => (i === 0 ? 0x1234n : v)), fs: 0x2b };
    const marked = registerTable(after, before, 1, (v) => `*${v}`).data.filter(([, value]) => value!.startsWith('*'));
    expect(marked).toEqual([['RIP', '*0000000000401004'], ['RAX', '*0000000000001234'], ['FS', '*002b']]);
    expect(registerTable(after, undefined, 1, (v) => `*${v}`).data.some(([, value]) => value!.startsWith('*'))).toBe(false);
  });

  it('has a title with the vCPU, its state, CPL and last exit that fits the border', () => {
    const s = { ...snapshot(1, 1n, 0n), lastExitReason: ExitReason.EXTERNAL_INTERRUPT, state: 'halted' as const };
    expect(registerTitle(s, 4)).toBe('vCPU 1/3 halted CPL3 last exit EXTERNAL_INTERRUPT');
    expect(registerTitle(s, 4, 40)).toBe('vCPU 1/3 halted CPL3 EXTERNAL_INTERRUPT');
    expect(registerTitle(s, 4, 30)).toBe('vCPU 1/3 halted CPL3');
    expect(registerTitle(s, 4, 12)).toBe('vCPU 1/3 hal');
  });
});

describe('the VMM log', () => {
  it('neutralises escape sequences and controls, joins lines and escapes blessed tags', () => {
    const hostile = 'boot\x1b]0;pwned\x07 \x1b[31mred\x1b[0m \x1b[2Jcleared\x9b6n {bold}tag{/bold}\x07\nsecond\n';
    const text = displayText(hostile);
    expect(text).toBe('boot red cleared {open}bold{close}tag{open}/bold{close} ⏎ second');
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('formats a record with its time, a coloured level, scope and message', () => {
    expect(logLine(record(0, 'vCPU 0: VMLAUNCH', { level: 'warn', timeMs: 1234 }))).toBe('    1.234 {yellow-fg}WARN {/yellow-fg} vmx     | vCPU 0: VMLAUNCH');
    expect(logLine(record(0, 'x', { scope: '\x1b[1m{s}' }))).toContain(' {open}s{close}     | x');
  });

  it('reads by cursor: each poll returns only records it has not returned before', () => {
    const vm = new FakeMonitor();
    const feed = new LogFeed();
    vm.log.push(record(0, 'one'), record(1, 'two'));
    expect(feed.poll(vm).map((l) => l.split('| ')[1])).toEqual(['one', 'two']);
    expect(feed.poll(vm)).toEqual([]);
    vm.log.push(record(2, 'three'));
    expect(feed.poll(vm).map((l) => l.split('| ')[1])).toEqual(['three']);
  });

  it('reads past a full batch and counts records the ring lost', () => {
    const vm = new FakeMonitor();
    vm.log = Array.from({ length: 10 }, (_, i) => record(i, `m${i}`));
    let calls = 0;
    const readLog = vm.readLog.bind(vm);
    vm.readLog = (cursor, max) => { calls++; return { ...readLog(cursor, max), lost: calls === 1 ? 3 : 0 }; };
    const feed = new LogFeed();
    expect(feed.poll(vm, 4)).toHaveLength(10);
    expect(calls).toBe(3);
    expect(feed.lost).toBe(3);
  });
});

describe('statusLine', () => {
  it('shows state, uptime, vCPUs and totals, with the keys on the right when they fit', () => {
    const vm = new FakeMonitor();
    const summary = { rows: [], total: 4321, rate: 1500, vcpu: 'all' as const };
    const line = statusLine(vm, summary, '', 100);
    expect(line).toHaveLength(100);
    expect(line).toMatch(/^ ymir top {2}VM running {2}up 1\.2 s {2}2 vCPUs {2}4321 exits {2}1\.5k\/s +q quit {2}v vCPU $/);
    const narrow = statusLine(vm, summary, 'stopped: debug-exit', 60);
    expect(narrow.length).toBeLessThanOrEqual(60);
    expect(narrow).toContain('stopped: debug-exit');
    expect(narrow).not.toContain('q quit');
  });
});

describe('topLayout', () => {
  const overlaps = (a: Rect, b: Rect): boolean =>
    a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

  for (const [columns, rows] of [[80, 24], [100, 30], [120, 40], [200, 60], [81, 25], [109, 49]] as const) {
    it(`tiles ${columns}x${rows} exactly, without overlaps`, () => {
      const layout = topLayout(columns, rows);
      const rects = [layout.status, layout.rates, layout.legend, layout.totals, layout.registers, layout.log];
      for (const r of rects) {
        expect(r.left).toBeGreaterThanOrEqual(0);
        expect(r.top).toBeGreaterThanOrEqual(0);
        expect(r.left + r.width).toBeLessThanOrEqual(columns);
        expect(r.top + r.height).toBeLessThanOrEqual(rows);
      }
      for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) expect(overlaps(rects[i]!, rects[j]!)).toBe(false);
      expect(rects.reduce((area, r) => area + r.width * r.height, 0)).toBe(columns * rows);
      expect(layout.bars).toBe(layout.totals.height - 2); // a bar a row inside the border
      expect(layout.registersPerLine).toBe(columns >= 110 ? 2 : 1);
      expect(layout.rates.height).toBeGreaterThanOrEqual(8);
      expect(layout.totals.height).toBeGreaterThanOrEqual(7);
    });
  }
});

/** A fake terminal: blessed draws into `screen.lines`, which the tests read back as text. */
function fakeTerminal(columns: number, rows: number) {
  const output = Object.assign(new PassThrough(), { columns, rows, isTTY: true });
  output.resume();
  const input = Object.assign(new PassThrough(), { isTTY: true });
  return { input, output };
}

function screenText(screen: blessed.Widgets.Screen): string[] {
  return (screen as unknown as { lines: [unknown, string][][] }).lines.map((line) => line.map((cell) => cell[1]).join(''));
}

let destroy: (() => void) | undefined;
afterEach(() => { destroy?.(); destroy = undefined; });

describe('TopDashboard on a blessed screen', () => {
  function mount(columns: number, rows: number, vm = new ClockedMonitor()) {
    const { input, output } = fakeTerminal(columns, rows);
    const screen = blessed.screen({ input, output, terminal: 'xterm-256color', warnings: false, fullUnicode: true, forceUnicode: true });
    destroy = () => screen.destroy();
    let now = 0;
    const dashboard = new TopDashboard(screen, vm, () => now);
    const advance = (ms: number) => { now += ms; vm.uptime += ms; };
    return { screen, dashboard, vm, input, advance };
  }

  it('fills every widget: rates, totals, registers, a sanitised log and the status line', () => {
    const vm = new ClockedMonitor();
    vm.log.push(record(0, 'guest says \x1b[2J\x1b]0;title\x07{red-fg}hi'));
    const { screen, dashboard, advance } = mount(120, 40, vm);
    vm.counts[0]![ExitReason.HLT] = 400;
    vm.counts[1]![ExitReason.IO_INSTRUCTION] = 1000;
    advance(1000);
    dashboard.sample();
    dashboard.poll();
    dashboard.render();
    const text = screenText(screen);
    const all = text.join('\n');
    expect(text[0]).toMatch(/^ ymir top {2}VM running {2}up 1\.0 s {2}2 vCPUs {2}1400 exits {2}1\.4k\/s +q quit {2}v vCPU $/);
    expect(all).toContain('exits/s by reason');
    expect(all).toMatch(/IO_INSTRUCTION +1\.0k/); // the legend, by SDM name
    expect(all).toMatch(/HLT +400/);
    expect(all).toMatch(/│IO_INSTRUCTION █+ +1\.0k│/); // the bars, by total
    expect(all).toMatch(/│HLT {12}█+ +400│/);
    expect(all).toContain('vCPU 0/1 running CPL3 last exit VMCALL');
    expect(all).toMatch(/RIP {5}0000000000401000 RSP {5}0000000000000004 /);
    expect(all).toContain('guest says {red-fg}hi');
    expect(all).not.toContain('title');
    // The chart drew: braille dots in the rates chart's rows.
    expect(text.slice(2, 16).join('')).toMatch(/[\u2801-\u28ff]/);
  });

  it('keeps the log scrolled to the newest records, reading only new ones each poll', () => {
    const vm = new ClockedMonitor();
    vm.log = Array.from({ length: 50 }, (_, i) => record(i, `message ${i}`));
    const { screen, dashboard } = mount(80, 24, vm);
    dashboard.render();
    let text = screenText(screen).join('\n');
    expect(text).toContain('message 49');
    expect(text).not.toContain('message 46'); // 3 rows of log at 80x24
    vm.log.push(record(50, 'message 50'));
    dashboard.poll();
    dashboard.render();
    text = screenText(screen).join('\n');
    expect(text).toMatch(/message 48[^]*message 49[^]*message 50/);
    expect(text.match(/message 50/g)).toHaveLength(1);
  });

  it('shows the next vCPU on v, back to the first after the last', () => {
    const { screen, dashboard } = mount(80, 24);
    dashboard.cycleVcpu();
    dashboard.render();
    expect(dashboard.shownVcpu).toBe(1);
    expect(screenText(screen).join('\n')).toMatch(/RIP {5}ffffffff81000000/);
    dashboard.cycleVcpu();
    expect(dashboard.shownVcpu).toBe(0);
  });

  it('lays itself out again when the terminal is resized', () => {
    const { screen, dashboard } = mount(80, 24);
    dashboard.render();
    expect(screenText(screen).join('\n')).not.toMatch(/RIP .* RSP/);
    Object.assign(screen.program, { cols: 140, rows: 45 });
    screen.program.emit('resize');
    expect(screenText(screen)[4]).toMatch(/RIP {5}0000000000401000 RSP {5}0000000000000004/);
    const text = screenText(screen);
    expect(text).toHaveLength(45);
    expect(text.every((line) => line.length === 140)).toBe(true);
    expect(text.join('\n')).not.toContain('null');
  });
});

describe('runTop', () => {
  const io = (isTTY: boolean, env: NodeJS.ProcessEnv = {}) => {
    const { input, output } = fakeTerminal(100, 30);
    input.isTTY = isTTY;
    const errors: string[] = [];
    const stderr = Object.assign(new PassThrough(), { write: (s: string) => { errors.push(s); return true; } });
    return { stdin: input as unknown as NodeJS.ReadStream, stdout: output as unknown as NodeJS.WriteStream, stderr, errors, env };
  };
  /** A VM seen as through its monitor: refreshes are counted, the stop is the test's to give. */
  const source = () => {
    const vm = new FakeMonitor();
    let stop!: (reason: StopReason | undefined) => void;
    let refreshes = 0;
    const view = Object.assign(vm, {
      refresh: async () => { refreshes++; },
      stopped: new Promise<StopReason | undefined>((resolve) => { stop = resolve; }),
    }) as FakeMonitor & TopSource;
    return { view, stop: (reason?: StopReason) => stop(reason), refreshes: () => refreshes };
  };

  it('refuses with status 2 when stdin or stdout is not a terminal, or TERM is dumb', async () => {
    const streams = io(false);
    expect(await runTop(source().view, { intervalMs: 1000 }, streams)).toEqual({ status: 2 });
    expect(streams.errors.join('')).toMatch(/needs a terminal.*ymir stat/);
    const dumb = io(true, { TERM: 'dumb' });
    expect(await runTop(source().view, { intervalMs: 1000 }, dumb)).toEqual({ status: 2 });
    expect(dumb.errors.join('')).toContain('TERM=dumb');
  });

  it('refreshes from the monitor while it runs and quits on q, leaving the VM alone', async () => {
    const streams = io(true);
    const { view, refreshes } = source();
    const running = runTop(view, { intervalMs: 50 }, streams);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(refreshes()).toBeGreaterThan(1);
    streams.stdin.push('q');
    await expect(running).resolves.toEqual({ status: 0 });
    expect(view.state).toBe('running');
  });

  it('ends with 128 + the signal on SIGTERM', async () => {
    const streams = io(true);
    const running = runTop(source().view, { intervalMs: 50 }, streams);
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.emit('SIGTERM', 'SIGTERM');
    await expect(running).resolves.toEqual({ status: 143 });
  });

  it('ends by itself, after showing why, when the VM stops', async () => {
    const streams = io(true);
    const { view, stop } = source();
    const running = runTop(view, { intervalMs: 50 }, streams);
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop({ kind: 'debug-exit', status: 0 });
    await expect(running).resolves.toEqual({ status: 0, stop: { kind: 'debug-exit', status: 0 } });
  });
});
