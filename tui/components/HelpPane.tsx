import { Box, Text } from 'ink';

const KEYS: readonly [string, string][] = [
  ['Enter', 'send the input line to the guest (COM1)'],
  ['Up/Down', 'history in the input line; vCPU, sort or level in other panes'],
  ['Left/Right', 'move in the input line; the log scope when the log has focus'],
  ['Ctrl-A/E/U', 'start or end of the input line; clear it'],
  ['Tab', 'move focus: console, registers, exits, log'],
  ['Ctrl-T', 'raw mode: keys (Ctrl-C, Tab, arrows) go straight to the guest'],
  ['Ctrl-C', 'send Ctrl-C to the guest (interrupt the running program)'],
  ['Ctrl-P', 'pause or resume the VM'],
  ['Ctrl-O', 'next exit sort order (total, rate, name)'],
  ['Ctrl-V', 'next vCPU in the registers pane'],
  ['PgUp/PgDn', 'scroll the console; Home/End: oldest/newest'],
  ['Ctrl-G', 'this help (any key closes it)'],
  ['Ctrl-Q', 'quit (stops the VM)'],
];

export function HelpPane() {
  return (
    <Box flexDirection="column" flexGrow={1} borderStyle="double" borderColor="cyan" paddingX={1}>
      <Text bold color="cyan">ymir — keys</Text>
      {KEYS.map(([key, what]) => (
        <Text key={key} wrap="truncate"><Text bold>{key.padEnd(11)}</Text> {what}</Text>
      ))}
    </Box>
  );
}
