import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { type ExitRow, type ExitSortKey, type ExitSummary, sortExits } from '../exit-table.js';
import { Pane } from './Pane.js';

export interface ExitsPaneProps {
  readonly summary: ExitSummary;
  readonly sort: ExitSortKey;
  readonly focused: boolean;
  readonly rows: number;
  readonly width: number;
}


interface Column {
  readonly title: string;
  readonly width: number;
  readonly cell: (row: ExitRow) => string;
}

/** Columns after the reason's name, in the order they are given up when the pane is narrow. */
const COLUMNS: readonly Column[] = [
  { title: 'Total', width: 9, cell: (row) => String(row.total) },
  { title: '/s', width: 6, cell: (row) => Math.round(row.rate).toString() },
  { title: '%Total', width: 6, cell: (row) => row.percent.toFixed(1) },
];

/**
 * kvm_stat's columns: reason, total, rate per second, % of total. Reason names are never cut while
 * a column can be dropped instead; the total is always shown.
 */
export function ExitsPane({ summary, sort, focused, rows, width }: ExitsPaneProps) {
  const longest = Math.max('Event'.length, ...summary.rows.map((r) => exitReasonName(r.reason).length));
  const columns: Column[] = [COLUMNS[0]!];
  let used = longest + 1 + COLUMNS[0]!.width;
  for (const column of COLUMNS.slice(1)) {
    if (used + 1 + column.width > width) break;
    columns.push(column);
    used += 1 + column.width;
  }
  const nameWidth = Math.max(5, width - columns.reduce((sum, c) => sum + 1 + c.width, 0));
  const line = (name: string, cells: readonly string[]): string =>
    [name.slice(0, nameWidth).padEnd(nameWidth), ...cells.map((cell, i) => cell.padStart(columns[i]!.width))].join(' ');
  const total: ExitRow = { reason: -1, total: summary.total, percent: 100, rate: summary.rate };
  const sorted = sortExits(summary.rows, sort).slice(0, Math.max(0, rows - 2));
  return (
    <Pane title={`VM exits, sorted by ${sort}${focused ? ' ↑↓' : ''}`} focused={focused}>
      <Text bold wrap="truncate">{line('Event', columns.map((c) => c.title))}</Text>
      {sorted.map((row) => <Text key={row.reason} wrap="truncate">{line(exitReasonName(row.reason), columns.map((c) => c.cell(row)))}</Text>)}
      <Text bold wrap="truncate">{line('Total', columns.map((c) => c.cell(total)))}</Text>
    </Pane>
  );
}
