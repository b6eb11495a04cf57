import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import type { ExitRow, ExitSummary } from '../hooks/use-exit-rates.js';
import { Pane } from './Pane.js';

export type ExitSortKey = 'total' | 'rate' | 'name';
export const EXIT_SORT_KEYS: readonly ExitSortKey[] = ['total', 'rate', 'name'];

export interface ExitsPaneProps {
  readonly summary: ExitSummary;
  readonly sort: ExitSortKey;
  readonly focused: boolean;
  readonly rows: number;
  readonly width: number;
}

export function sortExits(rows: readonly ExitRow[], sort: ExitSortKey): ExitRow[] {
  return [...rows].sort((a, b) =>
    sort === 'name' ? exitReasonName(a.reason).localeCompare(exitReasonName(b.reason))
    : sort === 'rate' ? b.rate - a.rate || b.total - a.total
    : b.total - a.total);
}

/** kvm_stat's columns: reason, total, % of total, rate per second. */
export function ExitsPane({ summary, sort, focused, rows, width }: ExitsPaneProps) {
  const nameWidth = Math.max(8, width - 28);
  const sorted = sortExits(summary.rows, sort).slice(0, Math.max(0, rows - 2));
  return (
    <Pane title={`VM exits, sorted by ${sort}${focused ? ' ↑↓' : ''}`} focused={focused}>
      <Text bold wrap="truncate">{`${'Event'.padEnd(nameWidth)} ${'Total'.padStart(10)} ${'%Total'.padStart(6)} ${'/s'.padStart(8)}`}</Text>
      {sorted.map((row) => (
        <Text key={row.reason} wrap="truncate">
          {`${exitReasonName(row.reason).slice(0, nameWidth).padEnd(nameWidth)} ${String(row.total).padStart(10)} ${row.percent.toFixed(1).padStart(6)} ${Math.round(row.rate).toString().padStart(8)}`}
        </Text>
      ))}
      <Text bold wrap="truncate">{`${'Total'.padEnd(nameWidth)} ${String(summary.total).padStart(10)} ${'100.0'.padStart(6)} ${Math.round(summary.rate).toString().padStart(8)}`}</Text>
    </Pane>
  );
}
