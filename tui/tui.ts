/**
 * The TUI on a terminal: the alternate screen, the App drawn by Ink into a FrameWriter (only the
 * rows that change are redrawn), and the terminal given back as it was when it closes.
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { VmMonitor } from '../vmm/monitor-api.js';
import { App } from './components/App.js';
import type { TuiDebug } from './debug-control.js';
import { FrameStdout, FrameWriter, type TerminalOutput } from './frame-writer.js';
import { limitHeapGrowth } from './heap.js';

export interface TuiIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: TerminalOutput & Partial<Pick<NodeJS.WriteStream, 'on' | 'off'>>;
  /** Told each frame's render time (the bench). */
  readonly onRender?: (renderMs: number) => void;
  /** The VM's debugger, for the pause, step and continue keys and the code pane. */
  readonly debug?: TuiDebug;
}

export interface RunningTui {
  /** Resolves when the user quits (Ctrl-Q, or any key once the VM stopped by itself). */
  readonly done: Promise<void>;
  readonly writer: FrameWriter;
  /** Unmounts the App and restores the terminal (main screen, cursor, cooked mode); safe to call twice. */
  close(): void;
}

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J'; // alternate screen, cursor hidden, cleared
const LEAVE = '\x1b[?25h\x1b[?1049l';

export function runTui(vm: VmMonitor, io: TuiIo): RunningTui {
  limitHeapGrowth();
  // Ink reads CI and CONTINUOUS_INTEGRATION when it loads and then skips resizes; this is a
  // terminal (the caller checked), so a person is watching it.
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // A terminal that went away (its emulator closed: SIGHUP) fails every write with EIO; with
  // nothing left to draw on, the TUI still has to stop the VM and exit, not die on the error.
  io.stdout.on?.('error', () => undefined);
  io.stdout.write(ENTER);
  const writer = new FrameWriter(io.stdout);
  const frames = new FrameStdout(io.stdout, writer);
  let quit!: () => void;
  const done = new Promise<void>((resolve) => { quit = resolve; });
  vm.start();
  // Debug mode: Ink writes each whole frame to `frames` and leaves the terminal to the writer.
  const app = render(createElement(App, { vm, onQuit: () => quit(), ...(io.debug ? { debug: io.debug } : {}) }), {
    stdout: frames as unknown as NodeJS.WriteStream, stdin: io.stdin, debug: true, exitOnCtrlC: false, patchConsole: false,
    ...(io.onRender ? { onRender: ({ renderTime }: { renderTime: number }) => io.onRender!(renderTime) } : {}),
  });
  let closed = false;
  return {
    done, writer,
    close() {
      if (closed) return;
      closed = true;
      app.unmount();
      frames.detach();
      io.stdout.write(LEAVE);
      if (io.stdin.isTTY) io.stdin.setRawMode(false);
    },
  };
}
