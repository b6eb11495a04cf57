import { Text } from 'ink';
import { Pane } from './Pane.js';

export interface ConsolePaneProps {
  /** The lines to show (already sanitised and cut to the visible window). */
  readonly lines: readonly string[];
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  /** Lines scrolled back from the end (0: following the output). */
  readonly scrolledBack: number;
  readonly raw: boolean;
}

const LEVEL_COLOURS: Record<string, string> = { 'INFO ': 'green', 'WARN ': 'yellow', ERROR: 'red', DEBUG: 'gray' };

/** One console line; VMM log lines (`[INFO ] scope   | ...`) coloured by level. */
function ConsoleLine({ line, width }: { line: string; width: number }) {
  const text = line.length > width ? line.slice(0, width) : line;
  const match = /^\[(INFO |WARN |ERROR|DEBUG)\] /.exec(text);
  if (!match) return <Text wrap="truncate">{text || ' '}</Text>;
  return (
    <Text wrap="truncate">
      <Text color={LEVEL_COLOURS[match[1]!]!}>{match[0]}</Text>
      {text.slice(match[0].length)}
    </Text>
  );
}

export function ConsolePane({ lines, width, height, focused, scrolledBack, raw }: ConsolePaneProps) {
  const title = `COM1 console${raw ? ' [raw keys]' : ''}${scrolledBack > 0 ? ` [scrolled back ${scrolledBack} lines, End to follow]` : ''}`;
  const padded = [...lines, ...Array<string>(Math.max(0, height - lines.length)).fill('')];
  return (
    <Pane title={title} focused={focused} flexGrow={1} height={height + 3}>
      {padded.map((line, i) => <ConsoleLine key={i} line={line} width={width} />)}
    </Pane>
  );
}
