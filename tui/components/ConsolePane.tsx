import { Box, Text } from 'ink';
import { Rule } from './Pane.js';

export interface ConsolePaneProps {
  /** The lines to show, already sanitised; the newest that fit are shown, long ones folded. */
  readonly lines: readonly string[];
  readonly width: number;
  /** Text rows, below the title row. */
  readonly rows: number;
  readonly focused: boolean;
  /** Lines scrolled back from the end (0: following the output). */
  readonly scrolledBack: number;
  readonly raw: boolean;
}

const LEVEL_COLOURS: Record<string, string> = { 'INFO ': 'green', 'WARN ': 'yellow', ERROR: 'red', DEBUG: 'gray' };

/** A console row; the first row of a VMM log line (`[INFO ] scope   | ...`) is coloured by level. */
function ConsoleRow({ row }: { row: string }) {
  const match = /^\[(INFO |WARN |ERROR|DEBUG)\] /.exec(row);
  if (!match) return <Text wrap="truncate">{row || ' '}</Text>;
  return (
    <Text wrap="truncate">
      <Text color={LEVEL_COLOURS[match[1]!]!}>{match[0]}</Text>
      {row.slice(match[0].length)}
    </Text>
  );
}

/** The last `height` rows of `lines` folded at `width`, so a long line is folded, not cut. */
export function consoleRows(lines: readonly string[], width: number, height: number): string[] {
  const rows: string[] = [];
  for (const line of lines) {
    if (line.length === 0) rows.push('');
    for (let at = 0; at < line.length; at += width) rows.push(line.slice(at, at + width));
  }
  return rows.slice(-height);
}

/** COM1 across the whole width (no side borders: the guest gets every column), under a title row. */
export function ConsolePane({ lines, width, rows, focused, scrolledBack, raw }: ConsolePaneProps) {
  const title = `COM1 console${raw ? ' [raw keys]' : ''}${scrolledBack > 0 ? ` [scrolled back ${scrolledBack} lines, End to follow]` : ''}`;
  const shown = consoleRows(lines, width, rows);
  const padded = [...shown, ...Array<string>(Math.max(0, rows - shown.length)).fill('')];
  return (
    <Box flexDirection="column" width={width} height={rows + 1}>
      <Rule title={title} focused={focused} width={width} />
      {padded.map((row, i) => <ConsoleRow key={i} row={row} />)}
    </Box>
  );
}
