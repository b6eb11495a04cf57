import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface PaneProps {
  readonly title: string;
  readonly focused: boolean;
  /** Columns, borders included. */
  readonly width: number;
  /** Content rows (the pane is two rows taller: its borders, the title sitting in the top one). */
  readonly rows: number;
  readonly children: ReactNode;
}

const SINGLE = { left: '┌', right: '┐', line: '─' };
const DOUBLE = { left: '╔', right: '╗', line: '═' };

/** A bordered pane with its title in the top border (no row spent on it); the focused one is drawn double. */
export function Pane({ title, focused, width, rows, children }: PaneProps) {
  const edge = focused ? DOUBLE : SINGLE;
  const label = ` ${title} `.slice(0, Math.max(0, width - 4));
  const colour = focused ? 'cyan' : 'gray';
  return (
    <Box flexDirection="column" width={width} height={rows + 2}>
      <Text wrap="truncate">
        <Text color={colour}>{edge.left}{edge.line}</Text>
        <Text bold color={focused ? 'cyan' : 'white'}>{label}</Text>
        <Text color={colour}>{edge.line.repeat(Math.max(0, width - 3 - label.length))}{edge.right}</Text>
      </Text>
      {/* Keyed by focus: Ink re-applies a changed borderStyle with a top border, which pushed the content down a row. */}
      <Box key={focused ? 'focused' : 'plain'} flexDirection="column" borderStyle={focused ? 'double' : 'single'} borderTop={false} borderColor={colour} width={width} height={rows + 1} overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}

export interface RuleProps {
  readonly title: string;
  readonly focused: boolean;
  readonly width: number;
}

/** A title row across the full width, for the panes that have no side borders (console, strip). */
export function Rule({ title, focused, width }: RuleProps) {
  const label = ` ${title} `.slice(0, Math.max(0, width - 2));
  const line = focused ? '═' : '─';
  return (
    <Text wrap="truncate">
      <Text color={focused ? 'cyan' : 'gray'}>{line}</Text>
      <Text bold color={focused ? 'cyan' : 'white'}>{label}</Text>
      <Text color={focused ? 'cyan' : 'gray'}>{line.repeat(Math.max(0, width - 1 - label.length))}</Text>
    </Text>
  );
}
