import { Text } from 'ink';
import type { LogLevel, LogRecord } from '../../vmm/monitor-api.js';
import { sanitize } from '../terminal-text.js';

export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const COLOURS: Record<LogLevel, string> = { debug: 'gray', info: 'green', warn: 'yellow', error: 'red' };

export interface LogPaneProps {
  readonly records: readonly LogRecord[];
  /** Lowest level shown. */
  readonly level: LogLevel;
  /** Only this scope, or every scope. */
  readonly scope: string | undefined;
  /** Content rows. */
  readonly rows: number;
  /** Rows scrolled back from the newest (0: following the log). */
  readonly scrollBack: number;
}

/** Records at or above `level` (and in `scope`). */
export function filterLog(records: readonly LogRecord[], level: LogLevel, scope: string | undefined): LogRecord[] {
  const min = LEVELS.indexOf(level);
  return records.filter((r) => LEVELS.indexOf(r.level) >= min && (scope === undefined || r.scope === scope));
}

interface LogRow {
  readonly key: string;
  readonly record: LogRecord;
  /** The first row of a record carries its time, level and scope; the others only continue its message. */
  readonly first: boolean;
  readonly text: string;
}

/** Every record as rows, a multi-line message as one row per line under its header, so no record is shown cut. */
export function logRows(records: readonly LogRecord[]): LogRow[] {
  return records.flatMap((record) => sanitize(new TextEncoder().encode(record.message)).split('\n')
    .map((text, i) => ({ key: `${record.sequence}.${i}`, record, first: i === 0, text })));
}

export function logTitle(level: LogLevel, scope: string | undefined, lost: number, scrollBack: number, focused: boolean): string {
  return `VMM log ≥${level}${scope ? ` scope ${scope}` : ''}${lost > 0 ? `, ${lost} lost` : ''}${scrollBack > 0 ? `, back ${scrollBack} rows` : ''}${focused ? ' ↑↓ scroll ←→ level ⇧←→ scope' : ''}`;
}

const INDENT = ' '.repeat(9 + 1 + 5 + 1 + 7 + 1);

export function LogPane({ records, level, scope, rows, scrollBack }: LogPaneProps) {
  const all = logRows(filterLog(records, level, scope));
  const end = Math.max(0, all.length - scrollBack);
  const shown = all.slice(Math.max(0, end - rows), end);
  return (
    <>
      {shown.map((row) => (row.first ? (
        <Text key={row.key} wrap="truncate">
          <Text color="gray">{(row.record.timeMs / 1000).toFixed(3).padStart(9)} </Text>
          <Text color={COLOURS[row.record.level]}>{row.record.level.toUpperCase().padEnd(5)}</Text> {sanitize(new TextEncoder().encode(row.record.scope)).padEnd(7)} | {row.text}
        </Text>
      ) : <Text key={row.key} wrap="truncate">{INDENT}| {row.text}</Text>))}
    </>
  );
}
