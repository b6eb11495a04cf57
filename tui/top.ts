/**
 * `ymir top`: a wall dashboard of a running VM, drawn with blessed-contrib — exits per second by
 * reason (line chart), exit totals (bars), a vCPU's registers and the VMM log, every exit by its
 * SDM name. Read-only: it watches a VM through its monitor socket; `q` or Ctrl-C quits, `v` shows
 * the next vCPU. NO_COLOR draws it without colours. The data shaping is in top-model.ts; this
 * file places the widgets and feeds them.
 */
import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { RegisterSnapshot, StopReason, VmView } from '../vmm/monitor-api.js';
import { MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { type TerminatingSignal, signalStatus } from './signals.js';
import {
  ExitHistory, LEGEND_WIDTH, LogFeed, type Rect, type TopLayout, legendLines, rateSeries, registerTable,
  registerTitle, seriesMaxY, statusLine, topLayout, totalsBars,
} from './top-model.js';

const EXIT_USAGE = 2;
/** How often registers, the log and the status line are refreshed (the charts follow `--interval`). */
const POLL_MS = 250;
/** How long the last picture stays up after the VM stopped by itself. */
const LINGER_MS = 1500;
/** Colours, or none at all with NO_COLOR (https://no-color.org). */
export interface TopColours {
  readonly border: string | undefined;
  readonly plain: boolean;
}
/** VMM log lines kept for the log widget. */
const LOG_KEEP = 200;
/** A border label sits 2 columns in and is padded with a space each side: what a title may not use of the width. */
const LABEL_MARGIN = 6;

/** Changed register values in bold (and yellow); SGR rather than tags, as the table pads by ANSI-stripped width. */
const highlight = (plain: boolean) => (value: string): string => (plain ? `\x1b[1m${value}\x1b[22m` : `\x1b[1;33m${value}\x1b[22;39m`);

function place(element: blessed.Widgets.BlessedElement, rect: Rect): void {
  element.top = rect.top;
  element.left = rect.left;
  element.width = rect.width;
  element.height = rect.height;
}

/** A line border in the border colour; new objects for each widget, as blessed writes into its options. */
const box = (colours: TopColours) => ({ border: { type: 'line' as const }, style: { border: colours.border ? { fg: colours.border } : {} } });

/** blessed-contrib's table as it is: its published types call width, height and `interactive` strings. */
type TableOptions = Omit<contrib.Widgets.TableOptions, 'width' | 'height' | 'interactive'> & Rect & { readonly interactive: boolean };

/** The widgets on a blessed screen and what feeds them; `sample` and `poll` are driven by the caller's timers. */
export class TopDashboard {
  readonly history = new ExitHistory();
  readonly feed = new LogFeed();
  readonly status: blessed.Widgets.BoxElement;
  readonly rates: contrib.Widgets.LineElement;
  readonly legend: blessed.Widgets.BoxElement;
  readonly totals: blessed.Widgets.BoxElement;
  readonly registers: contrib.Widgets.TableElement;
  readonly log: contrib.Widgets.LogElement;
  private layout: TopLayout;
  private vcpu = 0;
  private shown: RegisterSnapshot | undefined;
  private previous: RegisterSnapshot | undefined;
  private note = '';
  private logLines: string[] = [];

  constructor(
    readonly screen: blessed.Widgets.Screen,
    readonly vm: VmView,
    private readonly now: () => number = () => performance.now(),
    private readonly colours: TopColours = { border: 'cyan', plain: false },
  ) {
    this.layout = topLayout(screen.cols, screen.rows);
    const l = this.layout;
    const c = colours;
    this.status = blessed.box({ ...l.status, style: c.plain ? { inverse: true } : { fg: 'black', bg: c.border } });
    // The line chart's style carries its colours and, for blessed, the border's.
    const lineStyle = { line: c.plain ? 'white' : 'yellow', text: 'white', baseline: 'white', border: box(c).style.border };
    const lineOptions: contrib.Widgets.LineOptions & { abbreviate: boolean } = {
      ...l.rates, label: ' exits/s by reason ', border: box(c).border, style: lineStyle, showLegend: false, abbreviate: true,
      xLabelPadding: 3, xPadding: 5, numYLabels: 4,
    };
    this.rates = contrib.line(lineOptions);
    this.legend = blessed.box({ ...l.legend, ...box(c), label: ' newest /s ', tags: true });
    this.totals = blessed.box({ ...l.totals, ...box(c), label: ' exits by total ', tags: false });
    const tableOptions: TableOptions = {
      ...l.registers, ...box(c), label: ' registers ', fg: 'white', interactive: false, columnSpacing: 2, columnWidth: this.columnWidths(),
    };
    this.registers = contrib.table(tableOptions as unknown as contrib.Widgets.TableOptions);
    this.log = contrib.log({ ...l.log, ...box(c), label: ' VMM log ', tags: true, bufferLength: LOG_KEEP });
    for (const element of [this.status, this.rates, this.legend, this.totals, this.registers, this.log]) screen.append(element);
    screen.on('resize', () => this.relayout());
    this.history.sample(vm, this.now()); // the baseline the first rates are measured from
    this.drawCharts();
    this.poll();
  }

  /** The vCPU whose registers are shown. */
  get shownVcpu(): number {
    return this.vcpu;
  }

  private columnWidths(): number[] {
    return this.layout.registersPerLine === 2 ? [7, 16, 7, 16] : [7, 16];
  }

  /** Reads the exit counters and redraws both charts. */
  sample(): void {
    this.history.sample(this.vm, this.now());
    this.drawCharts();
    this.drawStatus();
  }

  /** Reads registers and new log records and redraws them and the status line. */
  poll(): void {
    const snapshot = this.vm.registers(this.vcpu);
    if (this.shown === undefined || snapshot.sequence !== this.shown.sequence) {
      this.previous = this.shown;
      this.shown = snapshot;
    }
    this.drawRegisters();
    const lines = this.feed.poll(this.vm);
    if (lines.length > 0) {
      // In one go rather than log() a line at a time, which redraws the whole list for each.
      this.logLines = [...this.logLines, ...lines].slice(-LOG_KEEP);
      this.log.setItems(this.logLines);
      this.log.scrollTo(this.logLines.length);
    }
    this.log.setLabel(` VMM log${this.feed.lost > 0 ? `, ${this.feed.lost} lost` : ''} `);
    this.drawStatus();
  }

  /** Shows the next vCPU's registers (`v`). */
  cycleVcpu(): void {
    this.vcpu = (this.vcpu + 1) % this.vm.config.vcpus;
    this.shown = undefined;
    this.previous = undefined;
    this.poll();
  }

  /** Says on the status line why the VM stopped. */
  stopped(reason: StopReason): void {
    this.note = `stopped: ${reason.kind}`;
    this.poll();
  }

  render(): void {
    this.screen.render();
  }

  private drawStatus(): void {
    this.status.setContent(statusLine(this.vm, this.history.summary, this.note, this.layout.status.width));
  }

  private drawCharts(): void {
    const series = rateSeries(this.history).map((s) => (this.colours.plain ? { ...s, style: { line: 'white' } } : s));
    const maxY = seriesMaxY(series);
    if (maxY === undefined) delete this.rates.options.maxY;
    else this.rates.options.maxY = maxY;
    this.rates.setData(series);
    this.legend.setContent(legendLines(series, LEGEND_WIDTH - 3).join('\n')); // blessed wraps a line that fills the box
    this.totals.setContent(totalsBars(this.history.summary, this.layout.bars, this.layout.totals.width - 2).join('\n'));
  }

  private drawRegisters(): void {
    if (!this.shown) return;
    this.registers.setLabel(` ${registerTitle(this.shown, this.vm.config.vcpus, this.layout.registers.width - LABEL_MARGIN)} `);
    this.registers.setData(registerTable(this.shown, this.previous, this.layout.registersPerLine, highlight(this.colours.plain)));
  }

  /** New positions for every widget; the charts' canvases are rebuilt at their new size and redrawn. */
  private relayout(): void {
    this.layout = topLayout(this.screen.cols, this.screen.rows);
    const l = this.layout;
    place(this.status, l.status);
    place(this.rates, l.rates);
    place(this.legend, l.legend);
    place(this.totals, l.totals);
    place(this.registers, l.registers);
    place(this.log, l.log);
    this.registers.options.columnWidth = this.columnWidths();
    this.rates.emit('attach');
    this.drawCharts();
    this.drawRegisters();
    this.render();
  }
}

export interface TopIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env?: NodeJS.ProcessEnv;
}

export interface TopResult {
  readonly status: number;
  /** Why the VM stopped, once it did. */
  readonly stop?: StopReason;
}

/** What top watches: a VM's view, refreshed from its monitor. */
export interface TopSource extends VmView {
  refresh(): Promise<void>;
  /** Resolves when the VM stops (with why) or its monitor goes away (undefined). */
  readonly stopped: Promise<StopReason | undefined>;
}

/** Why this terminal cannot show the dashboard, or undefined when it can. */
export function topTerminalProblem(io: Pick<TopIo, 'stdin' | 'stdout' | 'env'>): string | undefined {
  if (!io.stdout.isTTY || !io.stdin.isTTY) return 'ymir top: the dashboard needs a terminal. Use `ymir stat` for exit counters as plain text.';
  if ((io.env ?? process.env).TERM === 'dumb') return 'ymir top: TERM=dumb cannot draw a dashboard. Use `ymir stat` for exit counters as plain text.';
  if ((io.stdout.columns ?? 0) < MIN_COLUMNS || (io.stdout.rows ?? 0) < MIN_ROWS) {
    return `ymir top: the terminal is ${io.stdout.columns}x${io.stdout.rows}; the dashboard needs at least ${MIN_COLUMNS}x${MIN_ROWS}.`;
  }
  return undefined;
}

/**
 * Shows the dashboard of `source` until `q`, Ctrl-C, a terminating signal (status 128 + signal),
 * or the VM stopping by itself. Refuses (status 2) a terminal that cannot show it.
 */
export async function runTop(source: TopSource, options: { readonly intervalMs: number }, io: TopIo = process): Promise<TopResult> {
  const { stdin, stdout, stderr } = io;
  const env = io.env ?? process.env;
  const problem = topTerminalProblem(io);
  if (problem) {
    stderr.write(`${problem}\n`);
    return { status: EXIT_USAGE };
  }
  const plain = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const screen = blessed.screen({ input: stdin, output: stdout, smartCSR: true, fullUnicode: true, forceUnicode: true, title: 'ymir top', warnings: false });
  const dashboard = new TopDashboard(screen, source, undefined, { border: plain ? undefined : 'cyan', plain });
  dashboard.render();

  let quit!: (signal?: TerminatingSignal) => void;
  const quitting = new Promise<TerminatingSignal | undefined>((resolve) => { quit = resolve; });
  screen.key(['q', 'C-c'], () => quit());
  screen.key(['v'], () => { dashboard.cycleVcpu(); dashboard.render(); });
  const onSignal = (signal: TerminatingSignal): void => quit(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  let refreshing = false;
  const refreshThen = (draw: () => void) => (): void => {
    if (refreshing) return;
    refreshing = true;
    source.refresh().then(() => { draw(); dashboard.render(); }, () => undefined).finally(() => { refreshing = false; });
  };
  const timers = [
    setInterval(refreshThen(() => dashboard.sample()), options.intervalMs),
    setInterval(refreshThen(() => dashboard.poll()), Math.min(POLL_MS, options.intervalMs)),
  ];
  let stop: StopReason | undefined;
  const lingered = source.stopped.then(async (reason) => {
    stop = reason;
    if (reason) dashboard.stopped(reason);
    dashboard.render();
    await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
    return undefined;
  });
  let signal: TerminatingSignal | undefined;
  try {
    signal = await Promise.race([quitting, lingered]);
  } finally {
    for (const timer of timers) clearInterval(timer);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    screen.destroy();
  }
  return { status: signal ? signalStatus(signal) : 0, ...(stop ? { stop } : {}) };
}
