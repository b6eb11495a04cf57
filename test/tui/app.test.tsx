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
    it(`fits ${columns}x${rows} with every pane shown`, async () => {
      const vm = new FakeMonitor();
      vm.counts[0]![10] = 5;
      vm.log.push({ sequence: 0, level: 'info', scope: 'vmc', message: 'booted', timeMs: 1 });
      const { stdout } = mountSized(columns, rows, vm);
      vm.com1.emit('~ # ymirsh\r\n');
      await tick(400);
      const screen = plain(stdout.lastFrame).split('\n');
      expect(screen.length).toBeLessThanOrEqual(rows);
      for (const line of screen) expect([...line].length).toBeLessThanOrEqual(columns);
      const text = screen.join('\n');
      for (const title of ['COM1 console', 'vCPU 0/1', 'VM exits, sorted by total', 'VMM log', 'VM running']) expect(text).toContain(title);
      expect(text).toContain('~ # ymirsh');
      expect(text).toMatch(/CPUID\s+5/);
      expect(text).toMatch(/vmc\s+\| booted/);
    });
  }

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

  it('cycles the exit sort order with Ctrl-O and the vCPU with Ctrl-V', async () => {
    const { app } = mount();
    await tick();
    app.stdin.write('\x0f');
    await tick();
    expect(app.lastFrame()).toContain('sorted by rate');
    app.stdin.write('\x16');
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
    expect(app.lastFrame()).toContain('CPL3 ↑↓');
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
    expect(text).toContain('VMM log');
    expect(text).not.toContain('COM1 console');
  });
});
