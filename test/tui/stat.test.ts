/** `ymir stat` against a fake VM: kvm_stat's table, its keys, its logging formats, and plain output where it cannot redraw. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { type StatOptions, type StatSource, canRedraw, colourAllowed, runStat } from '../../tui/stat.js';
import { FakeMonitor } from './fake-monitor.js';

function source(): { view: FakeMonitor & StatSource; stop: () => void } {
  const vm = new FakeMonitor();
  vm.counts[0]![ExitReason.HLT] = 10;
  vm.counts[1]![ExitReason.VMCALL] = 5;
  let stop!: () => void;
  const view = Object.assign(vm, {
    refresh: async () => { vm.counts[0]![ExitReason.HLT]! += 2; },
    resetExitCounts: async () => FakeMonitor.prototype.resetExitCounts.call(vm),
    stopped: new Promise<void>((resolve) => { stop = resolve; }),
  }) as FakeMonitor & StatSource;
  return { view, stop };
}

function io(tty: boolean, env: NodeJS.ProcessEnv = { TERM: 'xterm' }) {
  let out = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, write: (s: string) => { out += s; return true; } });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty, setRawMode: () => stdin });
  return { io: { stdout, stdin: stdin as unknown as NodeJS.ReadStream, env }, text: () => out, press: (key: string) => stdin.write(key) };
}

const base: StatOptions = { once: false, log: false, csv: false, skipZero: false, intervalMs: 20 };
const tick = (ms = 80) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ymir stat', () => {
  it('redraws in place only on a terminal that can, and colours only without NO_COLOR', () => {
    expect(canRedraw({ stdout: { isTTY: true }, env: { TERM: 'xterm' } } as never)).toBe(true);
    expect(canRedraw({ stdout: { isTTY: true }, env: { TERM: 'dumb' } } as never)).toBe(false);
    expect(canRedraw({ stdout: { isTTY: false }, env: { TERM: 'xterm' } } as never)).toBe(false);
    expect(colourAllowed({ stdout: { isTTY: true }, env: { TERM: 'xterm', NO_COLOR: '1' } } as never)).toBe(false);
    expect(colourAllowed({ stdout: { isTTY: true }, env: { TERM: 'xterm' } } as never)).toBe(true);
  });

  it('prints plain tables, one after another, with TERM=dumb', async () => {
    const { view, stop } = source();
    const t = io(true, { TERM: 'dumb' });
    const done = runStat(view, base, t.io);
    await tick();
    stop();
    await done;
    expect(t.text()).not.toContain('\x1b');
    expect(t.text().match(/^Event\s+Total/gm)!.length).toBeGreaterThan(1);
  });

  it('takes kvm_stat\'s keys: x per vCPU, f filter, o order, r reset, h help, q quit', async () => {
    const { view } = source();
    const t = io(true, { TERM: 'xterm', NO_COLOR: '1' });
    const done = runStat(view, base, t.io);
    await tick();
    expect(t.text()).toMatch(/\x1b\[H\x1b\[2J/); // redrawn in place
    expect(t.text()).not.toContain('\x1b[1m'); // NO_COLOR: no bold
    t.press('x');
    await tick();
    expect(t.text()).toMatch(/VMCALL +5 .*\r\n +vCPU 1 +5 /);
    t.press('f');
    t.press('^HLT$\r');
    await tick();
    const filtered = t.text().slice(t.text().lastIndexOf('\x1b[H'));
    expect(filtered).toContain('(filter: ^HLT$)');
    expect(filtered).not.toMatch(/^VMCALL/m);
    t.press('c');
    t.press('h');
    await tick(30);
    expect(t.text().slice(t.text().lastIndexOf('\x1b[H'))).toContain('r   reset the counters');
    t.press('r');
    await tick();
    expect(view.resets).toEqual([undefined]);
    t.press('q');
    await done;
  });

  it('logs CSV lines of the events that match, leaving out all-zero lines with -z', async () => {
    const { view, stop } = source();
    const t = io(false);
    const done = runStat(view, { ...base, log: true, csv: true, skipZero: true, fields: /^(HLT|VMCALL)$/ }, t.io);
    await tick(120);
    stop();
    await done;
    const lines = t.text().trim().split('\n');
    expect(lines[0]).toBe('timestamp,HLT,VMCALL');
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,[1-9]\d*,0$/); // HLT moves, VMCALL does not
    expect(lines.length).toBeGreaterThan(1);
  });
});
