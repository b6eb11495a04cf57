/**
 * `ymir top`: a wall dashboard of a running VM, drawn with blessed-contrib — exits per second by
 * reason (line chart), exit totals (bar chart), a vCPU's registers and the VMM log. Read-only: it
 * only watches the VM; `q` or Ctrl-C quits, `v` shows the next vCPU. The data shaping is in
 * top-model.ts; this file places the widgets and feeds them.
 */
import blessed from 'blessed';
import contrib from 'blessed-contrib';
import type { RegisterSnapshot, StopReason, VmMonitor } from '../vmm/monitor-api.js';
import { MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { discardSerialOutput } from './stat.js';
import {
  BAR_OFFSET, BAR_SPACING, BAR_WIDTH, ExitHistory, LogFeed, type Rect, type TopLayout, rateSeries, registerTable,
  registerTitle, seriesMaxY, statusLine, topLayout, totalsChart,
} from './top-model.js';

const EXIT_USAGE = 2;
/** How often registers, the log and the status line are refreshed (the charts follow `--interval`). */
const POLL_MS = 250;
/** How long the last picture stays up after the VM stopped by itself. */
const LINGER_MS = 1500;
const BORDER_COLOUR = 'cyan';
/** VMM log lines kept for the log widget. */
const LOG_KEEP = 200;
/** A border label sits 2 columns in and is padded with a space each side: what a title may not use of the width. */
const LABEL_MARGIN = 6;

/** Changed register values in bold yellow; SGR rather than tags, as the table pads by ANSI-stripped width. */
const highlight = (value: string): string => `\x1b[1;33m${value}\x1b[22;39m`;

function place(element: blessed.Widgets.BlessedElement, rect: Rect): void {
  element.top = rect.top;
  element.left = rect.left;
  element.width = rect.width;
  element.height = rect.height;
}

/** A line border in the border colour; new objects for each widget, as blessed writes into its options. */
const box = () => ({ border: { type: 'line' as const }, style: { border: { fg: BORDER_COLOUR } } });

/** blessed-contrib's table as it is: its published types call width, height and `interactive` strings. */
type TableOptions = Omit<contrib.Widgets.TableOptions, 'width' | 'height' | 'interactive'> & Rect & { readonly interactive: boolean };

/** The widgets on a blessed screen and what feeds them; `sample` and `poll` are driven by the caller's timers. */
export class TopDashboard {
  readonly history = new ExitHistory();
  readonly feed = new LogFeed();
  readonly status: blessed.Widgets.BoxElement;
  readonly rates: contrib.Widgets.LineElement;
  readonly legend: blessed.Widgets.BoxElement;
  readonly totals: contrib.Widgets.BarElement;
  readonly registers: contrib.Widgets.TableElement;
  readonly log: contrib.Widgets.LogElement;
  private layout: TopLayout;
  private vcpu = 0;
  private shown: RegisterSnapshot | undefined;
  private previous: RegisterSnapshot | undefined;
  private note = '';
  private logLines: string[] = [];

  constructor(readonly screen: blessed.Widgets.Screen, readonly vm: VmMonitor, private readonly now: () => number = () => performance.now()) {
    this.layout = topLayout(screen.cols, screen.rows);
    const l = this.layout;
    this.status = blessed.box({ ...l.status, style: { fg: 'black', bg: BORDER_COLOUR } });
    // The line chart's style carries its colours and, for blessed, the border's.
    const lineStyle = { line: 'yellow', text: 'white', baseline: 'white', border: { fg: BORDER_COLOUR } };
    const lineOptions: contrib.Widgets.LineOptions & { abbreviate: boolean } = {
      ...l.rates, label: ' exits/s by reason ', border: box().border, style: lineStyle, showLegend: false, abbreviate: true,
      xLabelPadding: 3, xPadding: 5, numYLabels: 4,
    };
    this.rates = contrib.line(lineOptions);
    this.legend = blessed.box({ ...l.legend, ...box(), label: ' top 5 /s ', tags: true });
    this.totals = contrib.bar({
      ...l.totals, ...box(), label: ' exits by total ', barWidth: BAR_WIDTH, barSpacing: BAR_SPACING,
      xOffset: BAR_OFFSET, maxHeight: 1, barBgColor: 'cyan', barFgColor: 'white',
    });
    const tableOptions: TableOptions = {
      ...l.registers, ...box(), label: ' registers ', fg: 'white', interactive: false, columnSpacing: 2, columnWidth: this.columnWidths(),
    };
    this.registers = contrib.table(tableOptions as unknown as contrib.Widgets.TableOptions);
    this.log = contrib.log({ ...l.log, ...box(), label: ' VMM log ', tags: true, bufferLength: LOG_KEEP });
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
    return this.layout.registersPerLine === 2 ? [6, 16, 6, 16] : [6, 16];
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
    const series = rateSeries(this.history);
    const maxY = seriesMaxY(series);
    if (maxY === undefined) delete this.rates.options.maxY;
    else this.rates.options.maxY = maxY;
    this.rates.setData(series);
    this.legend.setContent(series.map((s) => `{${s.style.line}-fg}${s.title}{/${s.style.line}-fg}`).join('\n'));
    const chart = totalsChart(this.history.summary, this.layout.bars);
    this.totals.setData({ titles: chart.titles, data: chart.data });
    this.totals.setLabel(` exits by total${chart.unit ? ` (${chart.unit})` : ''} `);
  }

  private drawRegisters(): void {
    if (!this.shown) return;
    this.registers.setLabel(` ${registerTitle(this.shown, this.vm.config.vcpus, this.layout.registers.width - LABEL_MARGIN)} `);
    this.registers.setData(registerTable(this.shown, this.previous, this.layout.registersPerLine, highlight));
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
    this.totals.emit('attach');
    this.drawCharts();
    this.drawRegisters();
    this.render();
  }
}

export interface TopIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WritableStream;
}

export interface TopResult {
  readonly status: number;
  /** Why the VM stopped, once it did. */
  readonly stop?: StopReason;
}

/**
 * Boots the VM from `createMonitor` and shows the dashboard until `q`, Ctrl-C, SIGTERM or SIGHUP, or
 * until the VM stops by itself. Refuses (status 2) without a terminal of at least 80x24.
 */
export async function runTop(createMonitor: () => VmMonitor, options: { readonly intervalMs: number }, io: TopIo = process): Promise<TopResult> {
  const { stdin, stdout, stderr } = io;
  if (!stdout.isTTY || !stdin.isTTY) {
    stderr.write('ymir top: the dashboard needs a terminal. Use `ymir stat` for exit counters as plain text.\n');
    return { status: EXIT_USAGE };
  }
  if ((stdout.columns ?? 0) < MIN_COLUMNS || (stdout.rows ?? 0) < MIN_ROWS) {
    stderr.write(`ymir top: the terminal is ${stdout.columns}x${stdout.rows}; the dashboard needs at least ${MIN_COLUMNS}x${MIN_ROWS}.\n`);
    return { status: EXIT_USAGE };
  }
  const vm = createMonitor();
  discardSerialOutput(vm);
  vm.start();
  const screen = blessed.screen({ input: stdin, output: stdout, smartCSR: true, fullUnicode: true, forceUnicode: true, title: 'ymir top', warnings: false });
  const dashboard = new TopDashboard(screen, vm);
  dashboard.render();

  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => { quit = resolve; });
  screen.key(['q', 'C-c'], () => quit());
  screen.key(['v'], () => { dashboard.cycleVcpu(); dashboard.render(); });
  const onSignal = (): void => quit();
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const timers = [
    setInterval(() => { dashboard.sample(); dashboard.render(); }, options.intervalMs),
    setInterval(() => { dashboard.poll(); dashboard.render(); }, Math.min(POLL_MS, options.intervalMs)),
  ];
  const lingered = vm.waitForStop().then(async (reason) => {
    dashboard.stopped(reason);
    dashboard.render();
    await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
  });
  try {
    await Promise.race([quitting, lingered]);
  } finally {
    for (const timer of timers) clearInterval(timer);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    screen.destroy();
  }
  return { status: 0, stop: await vm.stop() };
}
