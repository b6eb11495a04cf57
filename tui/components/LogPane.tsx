import { Text } from 'ink';
import type { LogLevel, LogRecord } from '../../vmm/monitor-api.js';
import { Pane } from './Pane.js';

export const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const COLOURS: Record<LogLevel, string> = { debug: 'gray', info: 'green', warn: 'yellow', error: 'red' };

export interface LogPaneProps {
  readonly records: readonly LogRecord[];
  readonly lost: number;
  /** Lowest level shown. */
  readonly level: LogLevel;
  /** Only this scope, or every scope. */
  readonly scope: string | undefined;
  readonly focused: boolean;
  readonly rows: number;
}

/** Records at or above `level` (and in `scope`), one line each (the first line of multi-line messages). */
export function filterLog(records: readonly LogRecord[], level: LogLevel, scope: string | undefined): LogRecord[] {
  const min = LEVELS.indexOf(level);
  return records.filter((r) => LEVELS.indexOf(r.level) >= min && (scope === undefined || r.scope === scope));
}

export function LogPane({ records, lost, level, scope, focused, rows }: LogPaneProps) {
  const shown = filterLog(records, level, scope).slice(-Math.max(0, rows));
  const title = `VMM log ≥${level}${scope ? ` scope ${scope}` : ''}${lost > 0 ? `, ${lost} lost` : ''}${focused ? ' (↑↓ level, ←→ scope)' : ''}`;
  return (
    <Pane title={title} focused={focused} height={rows + 3}>
      {shown.map((r) => (
        <Text key={r.sequence} wrap="truncate">
          <Text color="gray">{(r.timeMs / 1000).toFixed(3).padStart(9)} </Text>
          <Text color={COLOURS[r.level]}>{r.level.toUpperCase().padEnd(5)}</Text> {r.scope.padEnd(7)} | {r.message.split('\n')[0]}
        </Text>
      ))}
    </Pane>
  );
}
