import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { type ExitRow, type ExitSortKey, type ExitSummary, fitNumber, sortExits } from '../exit-table.js';

export interface ExitsPaneProps {
  readonly summary: ExitSummary;
  readonly sort: ExitSortKey | 'recent';
  /** When each reason's count last grew (ms, any clock), for the `recent` order. */
  readonly changedAt: ReadonlyMap<number, number>;
  /** Content rows. */
  readonly rows: number;
  readonly width: number;
  /** Rows scrolled past at the top. */
  readonly scroll: number;
}

interface Column {
  readonly title: string;
  readonly width: number;
  readonly cell: (row: ExitRow) => string;
}

/** Columns after the reason's name, in the order they are given up when the pane is narrow; numbers too long for them are written compactly. */
const COLUMNS: readonly Column[] = [
  { title: 'Total', width: 7, cell: (row) => fitNumber(row.total, 7) },
  { title: '/s', width: 6, cell: (row) => fitNumber(row.rate, 6) },
  { title: '%', width: 5, cell: (row) => row.percent.toFixed(1) },
];

/**
 * Rows in `sort` order. `recent` shows what the user just caused: the reasons that grew at the
 * latest refresh first (a command's VMCALLs, and the console output and interrupts it made), by
 * total, then the others by when they last grew.
 */
export function orderExits(rows: readonly ExitRow[], sort: ExitSortKey | 'recent', changedAt: ReadonlyMap<number, number>): ExitRow[] {
  if (sort !== 'recent') return sortExits(rows, sort);
  const at = (row: ExitRow): number => changedAt.get(row.reason) ?? 0;
  return [...rows].sort((a, b) => at(b) - at(a) || b.total - a.total);
}

export function exitsTitle(summary: ExitSummary, sort: ExitSortKey | 'recent', focused: boolean): string {
  return `VM exits, ${summary.vcpu === 'all' ? 'all vCPUs' : `vCPU ${summary.vcpu}`}, by ${sort}${focused ? ' ↑↓ ←→' : ''}`;
}

/** A kvm_stat table layout for `width` columns: the name column and the number columns that fit. */
function tableFor(width: number, longest: number) {
  const columns: Column[] = [COLUMNS[0]!];
  let used = longest + 1 + COLUMNS[0]!.width;
  for (const column of COLUMNS.slice(1)) {
    if (used + 1 + column.width > width) break;
    columns.push(column);
    used += 1 + column.width;
  }
  // Names as wide as the longest needs (a wide strip keeps its numbers near them), at most what is left.
  const nameWidth = Math.max(5, Math.min(longest + 2, width - columns.reduce((sum, c) => sum + 1 + c.width, 0)));
  const line = (name: string, cells: readonly string[]): string =>
    [name.slice(0, nameWidth).padEnd(nameWidth), ...cells.map((cell, i) => cell.padStart(columns[i]!.width))].join(' ');
  return {
    width: nameWidth + columns.reduce((sum, c) => sum + 1 + c.width, 0),
    header: line('Event', columns.map((c) => c.title)),
    row: (name: string, row: ExitRow): string => line(name, columns.map((c) => c.cell(row))),
  };
}

const GUTTER = ' │ ';

/**
 * kvm_stat's columns: the SDM reason name, total, rate per second, % of total. Names are never cut
 * while a column can be dropped instead. Rows that do not fit one column go into a second one
 * where the pane is wide enough for two (the strip under an 80-column console), and those that
 * fit neither are counted in a "+N more" row.
 */
export function ExitsPane({ summary, sort, changedAt, rows, width, scroll }: ExitsPaneProps) {
  const longest = Math.max('Event'.length, ...summary.rows.map((r) => exitReasonName(r.reason).length));
  const total: ExitRow = { reason: -1, total: summary.total, percent: 100, rate: summary.rate, perVcpu: [] };
  const ordered = orderExits(summary.rows, sort, changedAt);
  const room = Math.max(0, rows - 2); // the header and the total
  const half = tableFor(Math.floor((width - GUTTER.length) / 2), longest);
  const twoColumns = ordered.length > room && 2 * half.width + GUTTER.length <= width && half.width >= longest + 1 + COLUMNS[0]!.width;
  const table = twoColumns ? half : tableFor(width, longest);
  const slots = twoColumns ? 2 * room : room;
  const first = Math.min(Math.max(0, scroll), Math.max(0, ordered.length - slots));
  const fits = ordered.length - first <= slots;
  // One column gives up a row to "+N more"; two columns say it beside the total.
  const shown = ordered.slice(first, first + (fits || twoColumns ? slots : slots - 1));
  const more = ordered.length - first - shown.length;
  const moreText = more > 0 ? `+${more} more${first > 0 ? `, ${first} above` : ''} (Tab here, ↑↓)` : '';
  const cell = (row: ExitRow | undefined): string => (row ? table.row(exitReasonName(row.reason), row) : '');
  const lines: string[] = [];
  if (twoColumns) {
    lines.push(`${table.header}${GUTTER}${table.header}`);
    for (let i = 0; i < room; i++) lines.push(`${cell(shown[i]).padEnd(table.width)}${GUTTER}${cell(shown[i + room])}`.trimEnd());
  } else {
    lines.push(table.header, ...shown.map(cell));
    if (more > 0) lines.push(moreText);
  }
  const totalLine = table.row('Total', total);
  return (
    <>
      <Text bold wrap="truncate">{lines[0]}</Text>
      {lines.slice(1).map((line, i) => (line === moreText ? <Text key="more" color="gray" wrap="truncate">{line}</Text> : <Text key={i} wrap="truncate">{line}</Text>))}
      <Text wrap="truncate"><Text bold>{totalLine}</Text>{twoColumns && more > 0 ? <Text color="gray">{`${' '.repeat(Math.max(0, table.width - totalLine.length))}${GUTTER}${moreText}`}</Text> : null}</Text>
    </>
  );
}
