import { Box, Text } from 'ink';

/** Every key of the TUI, as README.md lists them too. */
export const HELP_KEYS: readonly [string, string][] = [
  ['Enter', 'send the input line to the guest (COM1)'],
  ['Up/Down', 'input history; in a side pane: scroll it'],
  ['Left/Right', 'move in the input line; registers: vCPU; code: AT&T/Intel; exits: sort; log: level'],
  ['Shift-L/R', 'log pane: the scope shown'],
  ['Ctrl-A/E/U', 'start or end of the input line; clear it'],
  ['Tab', 'move focus: console, registers, code, exits, log'],
  ['Ctrl-T', 'raw mode: keys (Ctrl-C, Tab, arrows) go straight to the guest'],
  ['Ctrl-C', 'send Ctrl-C to the guest (interrupt the running program)'],
  ['Ctrl-P', 'stop the VM in the debugger (code pane at RIP), or continue it'],
  ['Ctrl-S', 'step one instruction on the registers pane\'s vCPU (stops the VM first)'],
  ['Ctrl-O', 'next exit sort order (recent, total, rate, name)'],
  ['Ctrl-X', 'exits of all vCPUs, or of the registers pane\'s vCPU'],
  ['Ctrl-V', 'next vCPU in the registers pane'],
  ['PgUp/PgDn', 'scroll the console; Home/End: oldest/newest'],
  ['Ctrl-G', 'this help (any key closes it)'],
  ['Ctrl-Q', 'quit (stops the VM)'],
];

export function HelpPane({ rows }: { rows: number }) {
  return (
    <Box flexDirection="column" height={rows} borderStyle="double" borderColor="cyan" paddingX={1} overflow="hidden">
      <Text bold color="cyan">ymir — keys</Text>
      {HELP_KEYS.map(([key, what]) => (
        <Text key={key} wrap="truncate"><Text bold>{key.padEnd(11)}</Text> {what}</Text>
      ))}
    </Box>
  );
}
