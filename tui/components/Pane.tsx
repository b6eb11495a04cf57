import { Box, Text } from 'ink';
import type { ReactNode } from 'react';

export interface PaneProps {
  readonly title: string;
  readonly focused: boolean;
  readonly width?: number | string;
  readonly height?: number;
  readonly flexGrow?: number;
  readonly children: ReactNode;
}

/** A bordered pane with its title in the top border; the focused one is highlighted. */
export function Pane({ title, focused, width, height, flexGrow, children }: PaneProps) {
  return (
    <Box flexDirection="column" borderStyle={focused ? 'double' : 'single'} borderColor={focused ? 'cyan' : 'gray'} {...(width !== undefined ? { width } : {})} {...(height !== undefined ? { height } : {})} {...(flexGrow !== undefined ? { flexGrow } : {})} overflow="hidden">
      <Text bold color={focused ? 'cyan' : 'white'} wrap="truncate">{title}</Text>
      {children}
    </Box>
  );
}
