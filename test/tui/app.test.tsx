import { EventEmitter } from 'node:events';
import { render as inkRender } from 'ink';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../tui/components/App.js';
import { FakeMonitor } from './fake-monitor.js';

const tick = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanup: (() => void) | undefined;
afterEach(() => { cleanup?.(); cleanup = undefined; });

function mount(vm = new FakeMonitor()) {
  const onQuit = vi.fn();
  const app = render(createElement(App, { vm, onQuit }));
  cleanup = () => app.unmount();
  return { vm, app, onQuit };
}

describe('the TUI app', () => {
  it('sends the input line to COM1 with a carriage return on Enter', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('ymirsh');
    await tick();
    app.stdin.write('\r');
    await tick();
    expect(vm.com1.written).toEqual(['ymirsh\r']);
  });
});

describe('the TUI app with fast input', () => {
  it('keeps text and Enter that arrive before Ink re-renders', async () => {
    const { vm, app } = mount();
    await tick();
    for (const chunk of ['he', 'lp', '\r', 'regs', '\r']) app.stdin.write(chunk);
    await tick();
    expect(vm.com1.written).toEqual(['help\r', 'regs\r']);
  });

  it('edits the line: left, backspace, Ctrl-A, Ctrl-U', async () => {
    const { vm, app } = mount();
    await tick();
    for (const chunk of ['rehs', '\x1b[D', '\x7f', 'g', '\x01', 'x', '\x15', 'exits', '\r']) app.stdin.write(chunk);
    await tick();
    expect(vm.com1.written).toEqual(['exits\r']);
    for (const chunk of ['rehs', '\x1b[D', '\x7f', 'g', '\r']) app.stdin.write(chunk);
    await tick();
    expect(vm.com1.written).toEqual(['exits\r', 'regs\r']);
  });
});

describe('the TUI app with keys that arrive together', () => {
  it('takes Tabs and Ctrl keys in one read as keys, not as text', async () => {
    const { vm, app, onQuit } = mount();
    await tick();
    app.stdin.write('\t\t\t\t');
    await tick();
    app.stdin.write('regs\r');
    await tick();
    expect(vm.com1.written).toEqual(['regs\r']);
    app.stdin.write('\x03\x11'); // Ctrl-C to the guest, then Ctrl-Q
    await tick();
    expect(vm.com1.written).toEqual(['regs\r', '\x03']);
    expect(onQuit).toHaveBeenCalledOnce();
  });
});

describe('the TUI app with pasted input', () => {
  it('sends each pasted line separately', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('echo one\recho two\r');
    await tick();
    expect(vm.com1.written).toEqual(['echo one\r', 'echo two\r']);
  });
});

/** A terminal of a given size: Ink renders into it as into a real one (debug mode writes whole frames). */
class SizedStdout extends EventEmitter {
  frames: string[] = [];
  constructor(public columns: number, public rows: number) { super(); }
  write = (frame: string): boolean => { this.frames.push(frame); return true; };
  get lastFrame(): string { return this.frames[this.frames.length - 1] ?? ''; }
  resize(columns: number, rows: number): void { this.columns = columns; this.rows = rows; this.emit('resize'); }
}

function mountSized(columns: number, rows: number, vm = new FakeMonitor()) {
  const stdout = new SizedStdout(columns, rows);
  let pending: string | null = null;
  const stdin = Object.assign(new EventEmitter(), {
    isTTY: true, setRawMode() {}, setEncoding() {}, resume() {}, pause() {}, ref() {}, unref() {},
    read: (): string | null => { const data = pending; pending = null; return data; },
    write(data: string): void { pending = data; stdin.emit('readable'); },
  });
  const app = inkRender(createElement(App, { vm, onQuit: () => undefined }), {
    stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  cleanup = () => app.unmount();
  return { stdout, stdin, vm };
}

const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

describe('the TUI app at different terminal sizes', () => {
  for (const [columns, rows] of [[80, 24], [120, 40], [200, 60]] as const) {
    it(`fits ${columns}x${rows}, the console at least 80 columns wide`, async () => {
      const vm = new FakeMonitor();
      vm.counts[0]![10] = 5;
      vm.log.push({ sequence: 0, level: 'info', scope: 'vmc', message: 'booted', timeMs: 1 });
      const { stdout } = mountSized(columns, rows, vm);
      vm.com1.emit(`~ # ymirsh\r\n${'w'.repeat(79)}.\r\n`);
      await tick(400);
      const screen = plain(stdout.lastFrame).split('\n');
      expect(screen.length).toBeLessThanOrEqual(rows);
      for (const line of screen) expect([...line].length).toBeLessThanOrEqual(columns);
      const text = screen.join('\n');
      // The guest's 80-column line is one row: no border or side pane takes columns from it.
      expect(screen.some((line) => line.startsWith(`${'w'.repeat(79)}.`))).toBe(true);
      const titles = columns >= 118 ? ['vCPU 0/1', 'code AT&T', 'VM exits, all vCPUs, by recent', 'VMM log'] : ['VM exits, all vCPUs, by recent · Tab: registers, code, log'];
      for (const title of ['COM1 console', ...titles, 'VM running', '^Q quit']) expect(text).toContain(title);
      expect(text).toContain('~ # ymirsh');
      expect(text).toMatch(/CPUID\s+5/);
      if (columns >= 118) expect(text).toMatch(/vmc\s+\| booted/);
    });
  }

  it('shows the side panes one at a time below the console at 80x24, as focus moves', async () => {
    const vm = new FakeMonitor();
    vm.log.push({ sequence: 0, level: 'warn', scope: 'ept', message: 'refused write\nat 0x1000', timeMs: 1 });
    const { stdout, stdin } = mountSized(80, 24, vm);
    await tick(400);
    stdin.write('\t');
    await tick(100);
    expect(plain(stdout.lastFrame)).toContain('vCPU 0/1 running CPL3 ←→ vCPU ↑↓ · Tab: code, exits, log');
    expect(plain(stdout.lastFrame)).toMatch(/RIP +0000000000401000 RSP +0000000000000004 RFLAGS +0000000000000202/);
    stdin.write('\t');
    await tick(100);
    expect(plain(stdout.lastFrame)).toMatch(/code AT&T · vCPU 0 ←→ · Tab: registers, exits, log ═+\n > 0000000000401000  00 01 +add %al,\(%rcx\)/);
    stdin.write('\t');
    await tick(50);
    stdin.write('\t');
    await tick(100);
    const log = plain(stdout.lastFrame);
    expect(log).toContain('VMM log ≥info');
    expect(log).toMatch(/WARN +ept +\| refused write\n +\| at 0x1000/);
    stdin.write('\t'); // back to the console: the strip keeps the log
    await tick(100);
    expect(plain(stdout.lastFrame)).toContain('VMM log ≥info · Tab: registers, code, exits');
  });

  it('lists first the exits a command just caused, and says how many rows did not fit', async () => {
    const vm = new FakeMonitor();
    for (const [reason, n] of [[10, 900], [12, 800], [28, 700], [30, 600], [31, 500], [32, 400], [1, 300], [7, 200], [52, 100], [48, 50]] as const) vm.counts[0]![reason] = n;
    const { stdout } = mountSized(80, 24, vm);
    await tick(700);
    vm.counts[0]![18] = 3; // ymirsh's VMCALLs: fewest by total, but the newest
    await tick(700);
    const strip = plain(stdout.lastFrame).split('\n').slice(-9).join('\n');
    expect(strip).toMatch(/Event.*\nVMCALL\s+3\s/);
    expect(strip).toMatch(/\+\d+ more/);
  });

  it('tells the guest the console is 80 columns wide when it asks for the cursor position', async () => {
    const vm = new FakeMonitor();
    mountSized(80, 24, vm);
    await tick(100);
    vm.com1.emit('~ # \x1b[999C\x1b[6n');
    await tick(50);
    expect(vm.com1.written).toEqual([expect.stringMatching(/^\x1b\[\d+;80R$/)]);
  });

  it('follows a resize', async () => {
    const { stdout } = mountSized(200, 60);
    await tick();
    stdout.resize(80, 24);
    await tick(100);
    const screen = plain(stdout.lastFrame).split('\n');
    expect(screen.length).toBeLessThanOrEqual(24);
    for (const line of screen) expect([...line].length).toBeLessThanOrEqual(80);
  });
});

describe('the TUI app keys', () => {
  it('pauses and resumes the VM with Ctrl-P', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('\x10');
    await tick();
    expect(vm.paused).toBe(1);
    app.stdin.write('\x10');
    await tick();
    expect(vm.resumed).toBe(1);
  });

  it('cycles the exit order with Ctrl-O, the exits scope with Ctrl-X and the vCPU with Ctrl-V', async () => {
    const { app } = mount();
    await tick();
    app.stdin.write('\x0f');
    await tick();
    expect(app.lastFrame()).toContain('VM exits, all vCPUs, by total');
    app.stdin.write('\x16');
    await tick();
    app.stdin.write('\x18');
    await tick(100);
    expect(app.lastFrame()).toContain('VM exits, vCPU 1, by total');
    app.stdin.write('\t');
    await tick();
    expect(app.lastFrame()).toContain('vCPU 1/1');
  });

  it('sends Ctrl-C to the guest, and in raw mode every key as a terminal would', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('\x03');
    await tick();
    app.stdin.write('\x14'); // Ctrl-T: raw
    await tick();
    for (const key of ['\t', '\x1b[A', 'x', '\r']) {
      app.stdin.write(key);
      await tick(20);
    }
    expect(vm.com1.written).toEqual(['\x03', '\t', '\x1b[A', 'x', '\r']);
  });

  it('recalls input history with the arrow keys', async () => {
    const { vm, app } = mount();
    await tick();
    app.stdin.write('regs\r');
    await tick();
    app.stdin.write('\x1b[A');
    await tick();
    app.stdin.write('\r');
    await tick();
    expect(vm.com1.written).toEqual(['regs\r', 'regs\r']);
  });

  it('scrolls the console back with PgUp and follows again with End', async () => {
    const { vm, app } = mount();
    await tick();
    vm.com1.emit(Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\r\n'));
    await tick(100);
    expect(app.lastFrame()).toContain('line 199');
    app.stdin.write('\x1b[5~');
    await tick();
    expect(app.lastFrame()).toContain('scrolled back');
    expect(app.lastFrame()).not.toContain('line 199');
    app.stdin.write('\x1b[F');
    await tick();
    expect(app.lastFrame()).toContain('line 199');
  });

  it('moves focus with Tab, shows help with Ctrl-G and quits with Ctrl-Q', async () => {
    const { app, onQuit } = mount();
    await tick();
    app.stdin.write('\t');
    await tick();
    expect(app.lastFrame()).toContain('CPL3 ←→ vCPU ↑↓');
    app.stdin.write('\x07');
    await tick();
    expect(app.lastFrame()).toContain('ymir — keys');
    app.stdin.write('x');
    await tick();
    expect(app.lastFrame()).not.toContain('ymir — keys');
    app.stdin.write('\x11');
    await tick();
    expect(onQuit).toHaveBeenCalledOnce();
  });
});

describe('the TUI with non-ASCII input', () => {
  it('sends it to the guest as it was typed (UTF-8 on the line)', async () => {
    const { vm, app } = mount();
    await tick();
    for (const chunk of ['echo ', 'héllo ', '☃', ' 日本', '\r']) app.stdin.write(chunk);
    await tick();
    expect(vm.com1.written).toEqual(['echo héllo ☃ 日本\r']);
  });
});

describe('the TUI when the guest powers off', () => {
  it('says so, keeps the last screen, and quits on the next key', async () => {
    const vm = new FakeMonitor();
    const onQuit = vi.fn();
    const app = render(createElement(App, { vm, onQuit }));
    cleanup = () => app.unmount();
    vm.com1.emit('~ # poweroff 7\r\n');
    await tick(100);
    vm.powerOff({ kind: 'debug-exit', status: 7 });
    await tick(100);
    expect(app.lastFrame()).toContain('VM powered off, status 7 · press any key to exit');
    expect(app.lastFrame()).toContain('~ # poweroff 7');
    expect(onQuit).not.toHaveBeenCalled();
    app.stdin.write('x');
    await tick();
    expect(onQuit).toHaveBeenCalledOnce();
  });
});

describe('the TUI help', () => {
  it('fits 80x24 in place of the console, and every key is listed', async () => {
    const { stdout, stdin } = mountSized(80, 24);
    await tick();
    stdin.write('\x07');
    await tick(100);
    const screen = plain(stdout.lastFrame).split('\n');
    expect(screen.length).toBeLessThanOrEqual(24);
    for (const line of screen) expect([...line].length).toBeLessThanOrEqual(80);
    const text = screen.join('\n');
    expect(text).toContain('ymir — keys');
    expect(text).toMatch(/Ctrl-Q\s+quit \(stops the VM\)\s*║/);
    expect(text).toContain('VM running');
    expect(text).not.toContain('COM1 console');
  });
});
