/**
 * `ymir top`'s data shaping, kept free of blessed so tests can check it against a fake monitor:
 * the rate history and its line series, the bar chart of totals, the register table, the log
 * lines and the screen layout.
 */
import { exitReasonName } from '../shell-protocol/exit-reasons.js';
import type { LogLevel, LogRecord, RegisterSnapshot, VmView } from '../vmm/monitor-api.js';
import { sanitize } from './terminal-text.js';
import { MIN_COLUMNS, MIN_ROWS } from './layout.js';
import { registerCells } from './components/RegistersPane.js';
import { type ExitCounts, type ExitSummary, compactNumber, exitSummary, sortExits } from './exit-table.js';

/** Samples the line chart keeps. */
export const HISTORY_SAMPLES = 60;
/** Reasons the line chart draws. */
export const TOP_SERIES = 5;
export const SERIES_COLOURS = ['yellow', 'cyan', 'magenta', 'green', 'red'] as const;

export interface RateSample {
  /** VM uptime when the sample was taken, for the x axis. */
  readonly uptimeMs: number;
  /** Exits per second of each reason over the interval that ended here. */
  readonly rates: ReadonlyMap<number, number>;
}

/**
 * Exit rates over time, from the counters' deltas between samples. The first sample only sets the
 * baseline (no rate can be known from one reading); the newest `capacity` samples are kept.
 */
export class ExitHistory {
  private previous: { readonly counts: ExitCounts; readonly atMs: number } | undefined;
  private kept: RateSample[] = [];
  summary: ExitSummary = { rows: [], total: 0, rate: 0, vcpu: 'all' };

  constructor(readonly capacity = HISTORY_SAMPLES) {}

  get samples(): readonly RateSample[] {
    return this.kept;
  }

  /** Reads every vCPU's counters at `nowMs` (a monotonic clock) and returns the summary. */
  sample(vm: VmView, nowMs: number): ExitSummary {
    const last = this.previous;
    const seconds = last ? (nowMs - last.atMs) / 1000 : 0;
    if (last && seconds <= 0) return this.summary; // no time passed: no rate to compute
    const { summary, counts } = exitSummary(vm, last?.counts, seconds);
    this.previous = { counts, atMs: nowMs };
    this.summary = summary;
    if (last) {
      this.kept.push({ uptimeMs: vm.uptimeMs(), rates: new Map(summary.rows.map((r) => [r.reason, r.rate])) });
      if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    }
    return summary;
  }
}

export interface LineSeries {
  readonly reason: number | undefined;
  readonly title: string;
  readonly x: string[];
  readonly y: number[];
  readonly style: { line: string };
}

/** Uptime as m:ss, or m:ss.t with `tenths` (for samples less than a second apart). */
export function clockLabel(uptimeMs: number, tenths = false): string {
  const seconds = Math.floor(uptimeMs / 1000);
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return tenths ? `${clock}.${Math.floor((uptimeMs % 1000) / 100)}` : clock;
}

/**
 * One series per reason for the line chart: the `top` reasons with the highest mean rate over the
 * kept samples (ties: the higher total, then the lower reason number; none whose rate stayed 0),
 * each titled with its short name and newest rate (at most 14 characters, for the legend). With no
 * sample or no exit in the window, one flat series says so, as the chart needs at least one.
 */
export function rateSeries(history: ExitHistory, top = TOP_SERIES): LineSeries[] {
  const samples = history.samples;
  const span = samples.length > 1 ? (samples[samples.length - 1]!.uptimeMs - samples[0]!.uptimeMs) / (samples.length - 1) : 1000;
  const x = samples.map((s) => clockLabel(s.uptimeMs, span < 900)); // 900: timers run a little early or late
  const mean = (reason: number): number => samples.reduce((sum, s) => sum + (s.rates.get(reason) ?? 0), 0) / Math.max(1, samples.length);
  const ranked = history.summary.rows
    .map((row) => ({ row, mean: mean(row.reason) }))
    .filter(({ mean }) => mean > 0)
    .sort((a, b) => b.mean - a.mean || b.row.total - a.row.total || a.row.reason - b.row.reason)
    .slice(0, samples.length === 0 ? 0 : top);
  if (ranked.length === 0) {
    const points = Math.max(1, samples.length);
    const labels = x.length > 0 ? x : ['-']; // never '': the chart writes an empty label as 'null'
    return [{ reason: undefined, title: samples.length === 0 ? 'sampling' : 'no exits', x: labels, y: new Array<number>(points).fill(0), style: { line: 'white' } }];
  }
  return ranked.map(({ row }, i) => ({
    reason: row.reason,
    title: `${exitReasonName(row.reason)} ${compactNumber(samples[samples.length - 1]!.rates.get(row.reason) ?? 0)}`,
    x,
    y: samples.map((s) => s.rates.get(row.reason) ?? 0),
    style: { line: SERIES_COLOURS[i % SERIES_COLOURS.length]! },
  }));
}

/** The y axis' top for a set of series: the chart's own (max + 20%) unless every value is 0, which it cannot scale. */
export function seriesMaxY(series: readonly LineSeries[]): number | undefined {
  return series.some((s) => s.y.some((v) => v > 0)) ? undefined : 1;
}

/** The line chart's key: each series' name and newest rate on a line, or on two when they do not fit `width`. */
export function legendLines(series: readonly LineSeries[], width: number): string[] {
  return series.flatMap((s) => {
    const [name, rate] = [s.reason === undefined ? s.title : exitReasonName(s.reason), s.reason === undefined ? '' : s.title.slice(exitReasonName(s.reason).length + 1)];
    const tag = (text: string): string => `{${s.style.line}-fg}${escapeTags(text)}{/${s.style.line}-fg}`;
    if (rate === '') return [tag(name)];
    return name.length + 1 + rate.length <= width ? [tag(`${name} ${rate.padStart(width - name.length - 1)}`)] : [tag(name), tag(rate.padStart(width))];
  });
}

/**
 * The `max` reasons with the most exits as horizontal bars in `width` columns: the SDM name, a bar
 * as long as its share of the largest, and the total written compactly.
 */
export function totalsBars(summary: ExitSummary, max: number, width: number): string[] {
  const rows = sortExits(summary.rows, 'total').slice(0, Math.max(0, max));
  if (rows.length === 0) return ['no exits yet'];
  const nameWidth = Math.max(...rows.map((r) => exitReasonName(r.reason).length));
  const barRoom = Math.max(1, width - nameWidth - 1 - 7);
  const largest = rows[0]!.total;
  return rows.map((r) => {
    const bar = '█'.repeat(Math.max(1, Math.round((r.total / largest) * barRoom)));
    return `${exitReasonName(r.reason).padEnd(nameWidth)} ${bar.padEnd(barRoom)} ${compactNumber(r.total).padStart(6)}`;
  });
}

export interface RegisterTable {
  readonly headers: string[];
  readonly data: string[][];
}

/**
 * The register table: `perLine` registers a row (name, value in hex); `mark` wraps values that
 * changed since `previous` (the renderer's highlight).
 */
export function registerTable(current: RegisterSnapshot, previous: RegisterSnapshot | undefined, perLine: 1 | 2, mark: (value: string) => string = (v) => v): RegisterTable {
  const cells = registerCells(current, previous);
  const data: string[][] = [];
  for (let i = 0; i < cells.length; i += perLine) {
    data.push(cells.slice(i, i + perLine).flatMap((c) => [c.name, c.changed ? mark(c.value) : c.value]));
  }
  return { headers: perLine === 2 ? ['Reg', 'Value', 'Reg', 'Value'] : ['Reg', 'Value'], data };
}

/** The register table's title: which vCPU, its state, CPL and last exit, in at most `width` characters. */
export function registerTitle(snapshot: RegisterSnapshot, vcpuCount: number, width = Number.POSITIVE_INFINITY): string {
  const head = `vCPU ${snapshot.vcpu}/${vcpuCount - 1} ${snapshot.state} CPL${snapshot.cpl}`;
  const long = `${head} last exit ${exitReasonName(snapshot.lastExitReason)}`;
  if (long.length <= width) return long;
  const short = `${head} ${exitReasonName(snapshot.lastExitReason)}`;
  return short.length <= width ? short : head.slice(0, Math.max(0, width));
}

/**
 * Guest-influenced text as one plain line: escape and control sequences are interpreted or dropped
 * by the console's sanitiser, and lines are joined with ⏎.
 */
export function plainText(text: string): string {
  const lines = sanitize(new TextEncoder().encode(text)).split('\n');
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.join(' ⏎ ');
}

/** Braces escaped, so that text shown by a widget that parses blessed tags cannot open one. */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

/** Guest-influenced text made safe for a blessed widget that parses tags. */
export function displayText(text: string): string {
  return escapeTags(plainText(text));
}

const LEVEL_COLOURS: Record<LogLevel, string> = { debug: 'gray', info: 'green', warn: 'yellow', error: 'red' };

/** One VMM log record as a tagged line: time, coloured level, scope and message. */
export function logLine(record: LogRecord): string {
  const colour = LEVEL_COLOURS[record.level];
  return `${(record.timeMs / 1000).toFixed(3).padStart(9)} {${colour}-fg}${record.level.toUpperCase().padEnd(5)}{/${colour}-fg} ${escapeTags(plainText(record.scope).padEnd(7))} | ${displayText(record.message)}`;
}

/** Reads the VMM log by cursor: each poll returns the lines of records not seen before. */
export class LogFeed {
  private cursor = 0;
  /** Records the ring overwrote before this reader got to them. */
  lost = 0;

  /** New lines since the last poll, at most `max` reads of `batch` records. */
  poll(vm: VmView, batch = 256, max = 8): string[] {
    const lines: string[] = [];
    for (let i = 0; i < max; i++) {
      const result = vm.readLog(this.cursor, batch);
      this.lost += result.lost;
      this.cursor = result.nextCursor;
      lines.push(...result.records.map(logLine));
      if (result.records.length < batch) break;
    }
    return lines;
  }
}

/** The header line: VM state, uptime and totals, then the keys on the right if `width` leaves room. */
export function statusLine(vm: VmView, summary: ExitSummary, note = '', width = 80): string {
  const parts = [
    'ymir top', `VM ${vm.state}`, ...(note ? [note] : []), `up ${(vm.uptimeMs() / 1000).toFixed(1)} s`,
    `${vm.config.vcpus} vCPU${vm.config.vcpus === 1 ? '' : 's'}`, `${summary.total} exits`, `${compactNumber(summary.rate)}/s`,
  ];
  const left = ` ${parts.join('  ')}`;
  const keys = 'q quit  v vCPU ';
  const gap = width - left.length - keys.length;
  return gap >= 2 ? `${left}${' '.repeat(gap)}${keys}` : left.slice(0, width);
}

export interface Rect {
  readonly top: number;
  readonly left: number;
  readonly width: number;
  readonly height: number;
}

export interface TopLayout {
  readonly status: Rect;
  readonly rates: Rect;
  /** The line chart's key, beside it so that it hides no line. */
  readonly legend: Rect;
  readonly totals: Rect;
  readonly registers: Rect;
  readonly log: Rect;
  /** Registers per table row: two side by side when the column is wide enough. */
  readonly registersPerLine: 1 | 2;
  /** Bars that fit the totals box. */
  readonly bars: number;
}

export const LEGEND_WIDTH = 24;

/**
 * Where each widget goes on a `columns`x`rows` screen: the status line on top, the VMM log along
 * the bottom, the registers on the right and the two charts stacked on the left. Rects tile the
 * screen without overlapping (sizes below 80x24 are laid out as 80x24 and cut by the terminal).
 */
export function topLayout(columns: number, rows: number): TopLayout {
  const width = Math.max(MIN_COLUMNS, columns);
  const height = Math.max(MIN_ROWS, rows);
  const logHeight = height >= 50 ? 14 : height >= 40 ? 11 : height >= 30 ? 8 : 5;
  const mainTop = 1;
  const mainHeight = height - mainTop - logHeight;
  const registersPerLine: 1 | 2 = width >= 110 ? 2 : 1;
  const registersWidth = registersPerLine === 2 ? 56 : 28;
  const chartsWidth = width - registersWidth;
  const ratesHeight = Math.ceil(mainHeight * 0.55);
  return {
    status: { top: 0, left: 0, width, height: mainTop },
    rates: { top: mainTop, left: 0, width: chartsWidth - LEGEND_WIDTH, height: ratesHeight },
    legend: { top: mainTop, left: chartsWidth - LEGEND_WIDTH, width: LEGEND_WIDTH, height: ratesHeight },
    totals: { top: mainTop + ratesHeight, left: 0, width: chartsWidth, height: mainHeight - ratesHeight },
    registers: { top: mainTop, left: chartsWidth, width: registersWidth, height: mainHeight },
    log: { top: mainTop + mainHeight, left: 0, width, height: logHeight },
    registersPerLine,
    bars: Math.max(1, mainHeight - ratesHeight - 2),
  };
}
