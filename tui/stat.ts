/**
 * `ymir stat`: a running VM's exit counters as kvm_stat shows them — a live table with kvm_stat's
 * keys, `-1` once, `-l`/`-L FILE` a line per interval (`-c` as CSV, `-z` without all-zero lines),
 * `-f REGEX` to choose the events. It watches a VM through its monitor socket.
 *
 * The live table redraws in place only on a terminal that can (TERM not dumb); elsewhere each
 * refresh is printed as plain text after the last. NO_COLOR drops the one highlight it uses.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../shell-protocol/exit-reasons.js';
import type { VmView } from '../vmm/monitor-api.js';
import { type ExitCounts, type ExitSortKey, type ExitSummary, readExitCounts, sortExits, summarizeExits } from './exit-table.js';
import { PromptLine } from './prompt-line.js';

export interface StatOptions {
  readonly once: boolean;
  /** One line of rates per interval (-l). */
  readonly log: boolean;
  /** The lines go to this file instead (-L); implies logging. */
  readonly logFile?: NodeJS.WritableStream;
  readonly csv: boolean;
  /** Leave out logging lines whose rates are all zero (-z). */
  readonly skipZero: boolean;
  /** Only events whose names match (-f). */
  readonly fields?: RegExp;
  readonly intervalMs: number;
}

/** What stat watches: a VM's view, refreshed from its monitor. */
export interface StatSource extends VmView {
  refresh(): Promise<void>;
  resetExitCounts(): Promise<void>;
  /** Resolves when the VM stops or its monitor goes away. */
  readonly stopped: Promise<unknown>;
}

export interface StatIo {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stdin: NodeJS.ReadStream;
  readonly env: NodeJS.ProcessEnv;
}

const HELP = [
  'ymir stat keys (as kvm_stat):',
  '  c   clear the filter',
  '  f   filter events by regular expression',
  '  h ? this help',
  '  o   sort by total or by CurAvg/s',
  '  q   quit',
  '  r   reset the counters (every vCPU)',
  '  s   set the delay between refreshes',
  '  x   show each vCPU under its event',
  'Any other key refreshes at once.',
];

/** Whether the output is a terminal that can be redrawn in place. */
export function canRedraw(io: Pick<StatIo, 'stdout' | 'env'>): boolean {
  return io.stdout.isTTY === true && io.env.TERM !== 'dumb';
}

export function colourAllowed(io: Pick<StatIo, 'stdout' | 'env'>): boolean {
  return canRedraw(io) && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === '');
}

interface TableView {
  readonly sort: ExitSortKey;
  readonly drilldown: boolean;
  readonly fields: RegExp | undefined;
}

/** The kvm_stat table: Event, Total, %Total, CurAvg/s; with the drill-down, each vCPU under its event. */
export function statTable(summary: ExitSummary, view: TableView, title: string, bold: (text: string) => string = (t) => t): string {
  const rows = sortExits(summary.rows, view.sort).filter((row) => !view.fields || view.fields.test(exitReasonName(row.reason)));
  const line = (name: string, total: number, percent: string, rate: number): string =>
    `${name.padEnd(24)} ${String(total).padStart(12)} ${percent.padStart(7)} ${Math.round(rate).toString().padStart(10)}`;
  const lines = [title, '', bold(`${'Event'.padEnd(24)} ${'Total'.padStart(12)} ${'%Total'.padStart(7)} ${'CurAvg/s'.padStart(10)}`)];
  for (const row of rows) {
    lines.push(line(exitReasonName(row.reason), row.total, row.percent.toFixed(1), row.rate));
    if (view.drilldown) {
      row.perVcpu.forEach((c, v) => {
        if (c.total > 0) lines.push(line(`  vCPU ${v}`, c.total, row.total === 0 ? '0.0' : ((c.total * 100) / summary.total).toFixed(1), c.rate));
      });
    }
  }
  const total = rows.reduce((sum, r) => sum + r.total, 0);
  const rate = rows.reduce((sum, r) => sum + r.rate, 0);
  lines.push(line('Total', total, summary.total === 0 ? '0.0' : ((total * 100) / summary.total).toFixed(1), rate));
  if (view.fields) lines.push(`(filter: ${view.fields.source})`);
  return `${lines.join('\n')}\n`;
}

/** The events a log line reports: those seen so far that match (CSV: every event that matches, so its columns never change). */
function logColumns(counts: ExitCounts, options: StatOptions, previous: readonly number[]): number[] {
  const columns: number[] = [];
  for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) {
    const name = exitReasonName(reason);
    if (/^\d+$/.test(name) || (options.fields && !options.fields.test(name))) continue;
    const seen = counts.some((c) => (c[reason] ?? 0) > 0);
    if (options.csv || seen || previous.includes(reason)) columns.push(reason);
  }
  return columns;
}

function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}

/** The logging modes (-l, -L, -c, -z): a header, then a line of rates per interval; a new header when the columns change or every 20 lines. */
async function logLoop(source: StatSource, options: StatOptions, out: NodeJS.WritableStream, sleep: () => Promise<boolean>): Promise<void> {
  let previous = readExitCounts(source);
  let columns: number[] = [];
  let sinceHeader = 0;
  let last = performance.now();
  while (await sleep()) {
    const now = performance.now();
    const counts = readExitCounts(source);
    const rates = summarizeExits(counts, previous, (now - last) / 1000);
    previous = counts;
    last = now;
    const next = logColumns(counts, options, columns);
    const rateOf = (reason: number): number => rates.rows.find((r) => r.reason === reason)?.rate ?? 0;
    if (options.skipZero && next.every((reason) => Math.round(rateOf(reason)) === 0)) continue;
    if (next.join() !== columns.join() || (!options.csv && sinceHeader >= 20)) {
      columns = next;
      sinceHeader = 0;
      out.write(options.csv ? `timestamp,${columns.map(exitReasonName).join(',')}\n` : `${'Time'.padEnd(19)} ${columns.map((r) => exitReasonName(r).padStart(18)).join(' ')}\n`);
    }
    sinceHeader++;
    const values = columns.map((reason) => Math.round(rateOf(reason)).toString());
    out.write(options.csv ? `${timestamp()},${values.join(',')}\n` : `${timestamp()} ${values.map((v) => v.padStart(18)).join(' ')}\n`);
  }
}

/** Watches `source` until `q`, the VM stopping, or (with -1) one interval. */
export async function runStat(source: StatSource, options: StatOptions, io: StatIo): Promise<void> {
  let stopped = false;
  void source.stopped.then(() => { stopped = true; });
  let wake: () => void = () => undefined;
  let delayMs = options.intervalMs;
  let quit = false;
  /** Waits an interval (or until a key asks for a refresh), then refreshes; false once the VM is gone or q was pressed. */
  const sleep = async (): Promise<boolean> => {
    if (quit || stopped) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      wake = () => { clearTimeout(timer); resolve(); };
      void source.stopped.then(() => wake());
    });
    if (quit) return false;
    try {
      await source.refresh();
    } catch {
      return false; // the monitor went away with the VM
    }
    return true;
  };

  if (options.log || options.logFile) {
    await logLoop(source, options, options.logFile ?? io.stdout, sleep);
    return;
  }

  let view: TableView = { sort: 'total', drilldown: false, fields: options.fields };
  const title = (): string => `ymir stat - VM ${source.state}, up ${(source.uptimeMs() / 1000).toFixed(1)} s, ${source.config.vcpus} vCPU${source.config.vcpus === 1 ? '' : 's'}`;
  let previous = readExitCounts(source);
  let last = performance.now();
  const sample = (): ExitSummary => {
    const now = performance.now();
    const counts = readExitCounts(source);
    const summary = summarizeExits(counts, previous, (now - last) / 1000);
    previous = counts;
    last = now;
    return summary;
  };

  if (options.once) {
    await sleep();
    io.stdout.write(statTable(sample(), view, title()));
    return;
  }

  const redraw = canRedraw(io);
  const bold = colourAllowed(io) ? (text: string) => `\x1b[1m${text}\x1b[22m` : undefined;
  let prompt: { line: PromptLine; purpose: 'filter' | 'delay' } | undefined;
  let help = false;
  let status = '';
  const draw = (summary: ExitSummary | undefined): void => {
    const body = help ? `${HELP.join('\n')}\n` : statTable(summary ?? summarizeExits(previous, undefined, 0), view, title(), bold);
    if (redraw) io.stdout.write(`\x1b[H\x1b[2J${body.replace(/\n/g, '\r\n')}${status ? `${status}\r\n` : ''}`);
    else io.stdout.write(`${body}\n`);
    if (prompt) prompt.line.prompt();
  };

  const keys = io.stdin.isTTY && redraw;
  const onKey = (data: Buffer): void => {
    for (const byte of data) {
      if (prompt) {
        const entered = prompt.line.key(byte);
        if (entered === undefined) continue;
        const { purpose } = prompt;
        prompt = undefined;
        if (purpose === 'filter') {
          try {
            view = { ...view, fields: entered === '' ? undefined : new RegExp(entered) };
            status = '';
          } catch {
            status = `not a regular expression: ${entered.replace(/[^\x20-\x7e]/g, '?')}`;
          }
        } else {
          const seconds = Number(entered);
          if (Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 25.5) delayMs = seconds * 1000;
          else status = 'the delay must be 0.1 to 25.5 seconds';
        }
        draw(undefined);
        continue;
      }
      const key = String.fromCharCode(byte);
      help = false;
      if (key === 'q') quit = true;
      else if (key === 'r') void source.resetExitCounts().then(() => wake(), () => undefined);
      else if (key === 'c') view = { ...view, fields: undefined };
      else if (key === 'o') view = { ...view, sort: view.sort === 'total' ? 'rate' : 'total' };
      else if (key === 'x') view = { ...view, drilldown: !view.drilldown };
      else if (key === 'h' || key === '?') help = true;
      else if (key === 'f' || key === 's') {
        prompt = { line: new PromptLine(key === 'f' ? 'Filter (regular expression, empty for none): ' : 'Delay between refreshes, in seconds: ', (text) => io.stdout.write(text)), purpose: key === 'f' ? 'filter' : 'delay' };
      }
      wake();
    }
  };
  if (keys) {
    io.stdin.setRawMode(true);
    io.stdin.on('data', onKey);
    io.stdin.resume();
  }
  try {
    draw(undefined);
    while (await sleep()) draw(sample());
  } finally {
    if (keys) {
      io.stdin.off('data', onKey);
      io.stdin.setRawMode(false);
      io.stdin.pause();
    }
  }
}
