/**
 * The TUI in a process of its own (so its CPU and memory are the TUI's alone, VM included): the
 * real TUI (App, Ink, frame writer) on a real VM, drawn into a 120x40 terminal stand-in. First it
 * sits idle at the shell prompt, then the guest floods the console while keys are typed. Prints
 * one JSON line: idle CPU and bytes drawn, every frame's render time, every input-to-echo latency,
 * and the RSS at the end.
 */
import { EventEmitter } from 'node:events';
import { runTui } from '../tui/tui.js';
import { createVm } from '../vmm/vm.js';

export interface TuiSessionReport {
  readonly idleCpuPercent: number;
  readonly idleBytesPerSecond: number;
  readonly frameMs: number[];
  readonly echoMs: number[];
  readonly rssBytes: number;
  readonly floodBytes: number;
}

const IDLE_SECONDS = 5;
const FLOOD_SECONDS = 4;
const KEY_EVERY_MS = 150;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

class Terminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 40;
  bytes = 0;
  private watchers: ((text: string) => void)[] = [];
  write = (chunk: string): boolean => {
    this.bytes += Buffer.byteLength(chunk);
    const text = chunk.replace(ANSI, '');
    for (const watch of this.watchers) watch(text);
    return true;
  };
  /** Resolve when a write shows `text`. */
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
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
  vm.com2.onData(() => undefined); // as `ymir` drains it
  const frameMs: number[] = [];
  const tui = runTui(vm, { stdin: keyboard as unknown as NodeJS.ReadStream, stdout: terminal as unknown as NodeJS.WriteStream, onRender: (ms) => { if (flooding) frameMs.push(ms); } });
  while (!console1.includes('~ # ')) await sleep(10);

  await sleep(1500); // the boot's last frames and log polls settle
  const idleBytes = terminal.bytes;
  const before = process.cpuUsage();
  await sleep(IDLE_SECONDS * 1000);
  const used = process.cpuUsage(before);
  const idleCpuPercent = ((used.user + used.system) / (IDLE_SECONDS * 1e6)) * 100;
  const idleBytesPerSecond = (terminal.bytes - idleBytes) / IDLE_SECONDS;

  const typed = (text: string): Promise<void> => { const shown = terminal.shows(`› ${text}`); keyboard.press(text); return shown; };
  await typed('flood 100000000');
  keyboard.press('\r');
  flooding = true;
  const echoMs: number[] = [];
  const end = performance.now() + FLOOD_SECONDS * 1000;
  let line = '';
  for (let i = 0; performance.now() < end; i++) {
    await sleep(KEY_EVERY_MS);
    line += String.fromCharCode(0x61 + (i % 26));
    const start = performance.now();
    const shown = terminal.shows(`› ${line}`);
    keyboard.press(line.slice(-1));
    await shown;
    echoMs.push(performance.now() - start);
  }
  const rssBytes = process.memoryUsage().rss;
  tui.close();
  await vm.stop();
  const report: TuiSessionReport = { idleCpuPercent, idleBytesPerSecond, frameMs, echoMs, rssBytes, floodBytes };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
process.exit(0);
