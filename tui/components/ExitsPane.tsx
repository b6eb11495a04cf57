import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { type ExitRow, type ExitSortKey, type ExitSummary, compactNumber, sortExits } from '../exit-table.js';

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

/** Columns after the reason's name, in the order they are given up when the pane is narrow; numbers are compact so they fit. */
const COLUMNS: readonly Column[] = [
  { title: 'Total', width: 6, cell: (row) => compactNumber(row.total) },
  { title: '/s', width: 6, cell: (row) => compactNumber(row.rate) },
  { title: '%', width: 5, cell: (row) => row.percent.toFixed(1) },
];

/** Exits that grew within this long of the newest change count as caused together (by one command). */
const RECENT_WINDOW_MS = 3000;

/**
 * Rows in `sort` order. `recent` shows what the user just caused: the reasons that grew within a
 * few seconds of the newest change first, rarest first (a command's VMCALLs and CPUIDs, not the
 * console output every command makes), then the others by when they last grew.
 */
export function orderExits(rows: readonly ExitRow[], sort: ExitSortKey | 'recent', changedAt: ReadonlyMap<number, number>): ExitRow[] {
  if (sort !== 'recent') return sortExits(rows, sort);
  const newest = Math.max(0, ...changedAt.values());
  const at = (row: ExitRow): number => changedAt.get(row.reason) ?? 0;
  const recent = (row: ExitRow): boolean => changedAt.has(row.reason) && newest - at(row) <= RECENT_WINDOW_MS;
  return [...rows].sort((a, b) => Number(recent(b)) - Number(recent(a)) || (recent(a) ? a.total - b.total : at(b) - at(a) || b.total - a.total));
}

export function exitsTitle(summary: ExitSummary, sort: ExitSortKey | 'recent', focused: boolean): string {
  return `VM exits, ${summary.vcpu === 'all' ? 'all vCPUs' : `vCPU ${summary.vcpu}`}, by ${sort}${focused ? ' ↑↓ ←→' : ''}`;
}

/**
 * kvm_stat's columns: the SDM reason name, total, rate per second, % of total. Names are never cut
 * while a column can be dropped instead; rows that do not fit are counted in a "+N more" row.
 */
export function ExitsPane({ summary, sort, changedAt, rows, width, scroll }: ExitsPaneProps) {
  const longest = Math.max('Event'.length, ...summary.rows.map((r) => exitReasonName(r.reason).length));
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
  const total: ExitRow = { reason: -1, total: summary.total, percent: 100, rate: summary.rate, perVcpu: [] };
  const ordered = orderExits(summary.rows, sort, changedAt);
  const room = Math.max(0, rows - 2); // the header and the total
  const first = Math.min(Math.max(0, scroll), Math.max(0, ordered.length - room));
  const fits = ordered.length - first <= room;
  const shown = ordered.slice(first, first + (fits ? room : room - 1));
  const more = ordered.length - first - shown.length;
  return (
    <>
      <Text bold wrap="truncate">{line('Event', columns.map((c) => c.title))}</Text>
      {shown.map((row) => <Text key={row.reason} wrap="truncate">{line(exitReasonName(row.reason), columns.map((c) => c.cell(row)))}</Text>)}
      {more > 0 ? <Text color="gray" wrap="truncate">{`+${more} more${first > 0 ? `, ${first} above` : ''} (Tab here, ↑↓)`}</Text> : null}
      <Text bold wrap="truncate">{line('Total', columns.map((c) => c.cell(total)))}</Text>
    </>
  );
}
