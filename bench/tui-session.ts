/**
 * The TUI under a console flood, in a process of its own (so its memory is the TUI's alone): the
 * real App on a real VM, drawn into a 120x40 terminal stand-in. Prints one JSON line: every frame's
 * render time, every input-to-echo latency, and the RSS at the end.
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { createElement } from 'react';
import { App, TUI_MAX_FPS } from '../tui/components/App.js';
import { limitHeapGrowth } from '../tui/heap.js';
import { createVm } from '../vmm/vm.js';

export interface TuiSessionReport {
  readonly frameMs: number[];
  readonly echoMs: number[];
  readonly rssBytes: number;
  readonly floodBytes: number;
}

const FLOOD_SECONDS = 4;
const KEY_EVERY_MS = 150;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

class Terminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 40;
  private watchers: ((text: string) => void)[] = [];
  write = (chunk: string): boolean => {
    const text = chunk.replace(ANSI, '');
    for (const watch of this.watchers) watch(text);
    return true;
  };
  /** Resolve when a frame shows `text`. */
  shows(text: string): Promise<void> {
    return new Promise((resolve) => {
      const watch = (frame: string): void => {
        if (!frame.includes(text)) return;
        this.watchers = this.watchers.filter((w) => w !== watch);
        resolve();
      };
      this.watchers.push(watch);
    });
  }
}

class Keyboard extends EventEmitter {
  readonly isTTY = true;
  private pending: string | null = null;
  setRawMode(): void {}
  setEncoding(): void {}
  ref(): void {}
  unref(): void {}
  resume(): void {}
  pause(): void {}
  read(): string | null {
    const data = this.pending;
    this.pending = null;
    return data;
  }
  press(data: string): void {
    this.pending = data;
    this.emit('readable');
  }
}

async function main(): Promise<void> {
  limitHeapGrowth(); // as `ymir` does before it draws
  const terminal = new Terminal();
  const keyboard = new Keyboard();
  const vm = createVm({ vcpus: 2 });
  let console1 = '';
  let floodBytes = 0;
  let flooding = false;
  vm.com1.onData((bytes) => {
    if (flooding) floodBytes += bytes.length;
    else console1 += Buffer.from(bytes).toString('latin1');
  });
  const frameMs: number[] = [];
  const app = render(createElement(App, { vm, onQuit: () => undefined }), {
    stdout: terminal as unknown as NodeJS.WriteStream, stdin: keyboard as unknown as NodeJS.ReadStream,
    exitOnCtrlC: false, patchConsole: false, maxFps: TUI_MAX_FPS, onRender: ({ renderTime }) => { if (flooding) frameMs.push(renderTime); },
  });
  vm.start();
  while (!console1.includes('~ # ')) await new Promise((resolve) => setTimeout(resolve, 10));
  const typed = (text: string): Promise<void> => { keyboard.press(text); return terminal.shows(`› ${text}`); };
  await typed('flood 100000000');
  keyboard.press('\r');
  flooding = true;
  const echoMs: number[] = [];
  const end = performance.now() + FLOOD_SECONDS * 1000;
  let line = '';
  for (let i = 0; performance.now() < end; i++) {
    await new Promise((resolve) => setTimeout(resolve, KEY_EVERY_MS));
    line += String.fromCharCode(0x61 + (i % 26));
    const start = performance.now();
    keyboard.press(line.slice(-1));
    await terminal.shows(`› ${line}`);
    echoMs.push(performance.now() - start);
  }
  const rssBytes = process.memoryUsage().rss;
  app.unmount();
  await vm.stop();
  const report: TuiSessionReport = { frameMs, echoMs, rssBytes, floodBytes };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
process.exit(0);
