import { Text } from 'ink';

export interface InputLineProps {
  readonly line: string;
  readonly cursor: number;
  /** Columns for the text; a long line scrolls so the cursor stays visible. */
  readonly width: number;
}

/** The input line with its cursor shown as an inverse cell. */
export function InputLine({ line, cursor, width }: InputLineProps) {
  const start = Math.max(0, cursor - width + 1);
  const shown = line.slice(start, start + width);
  const at = cursor - start;
  return (
    <Text wrap="truncate">
      {shown.slice(0, at)}
      <Text inverse>{shown[at] ?? ' '}</Text>
      {shown.slice(at + 1)}
    </Text>
  );
}
