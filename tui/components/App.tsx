import { Box, Text, useApp, useInput } from 'ink';
import { useState } from 'react';
import type { VmMonitor } from '../../vmm/monitor-api.js';
import { useConsole } from '../hooks/use-console.js';
import { useExitRates } from '../hooks/use-exit-rates.js';
import { useInterval } from '../hooks/use-interval.js';
import { useRegisters } from '../hooks/use-registers.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useVmmLog } from '../hooks/use-vmm-log.js';
import { TuiState } from '../tui-state.js';
import { layout } from '../layout.js';
import { ConsolePane } from './ConsolePane.js';
import { ExitsPane } from './ExitsPane.js';
import { HelpPane } from './HelpPane.js';
import { InputLine } from './InputLine.js';
import { LogPane } from './LogPane.js';
import { RegistersPane, registerCells } from './RegistersPane.js';
import { StatusLine } from './StatusLine.js';

/** Ink's frame-rate cap for the TUI: input is drawn at up to this rate, the console at its own lower one. */
export const TUI_MAX_FPS = 60;

export interface AppProps {
  readonly vm: VmMonitor;
  /** Called once when the user quits; the caller stops the VM and ends the process. */
  readonly onQuit: () => void;
}

function Registers({ vm, vcpu, focused, rows, width }: { vm: VmMonitor; vcpu: number; focused: boolean; rows: number; width: number }) {
  const { current, previous } = useRegisters(vm, vcpu);
  return (
    <RegistersPane vcpu={vcpu} state={current.state} cpl={current.cpl} lastExitReason={current.lastExitReason} cells={registerCells(current, previous)}
      vcpuCount={vm.config.vcpus} focused={focused} rows={rows} width={width} />
  );
}

export function App({ vm, onQuit }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const screen = useConsole(vm.com1);
  const exits = useExitRates(vm);
  const log = useVmmLog(vm);
  const [ui] = useState(() => new TuiState());
  const [, setRendered] = useState(0);
  const rerender = (): void => setRendered((n) => n + 1);
  useInterval(rerender, 1000); // uptime in the status line

  const area = layout(columns, rows);

  useInput((text, key) => {
    const scopes = [...new Set(log.records.map((r) => r.scope))]; // only the log pane's ←→ needs them
    const effects = ui.handleKey(text, key, { vcpus: vm.config.vcpus, consoleRows: area.consoleRows, consoleLines: screen.lineCount, scopes });
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send':
          void vm.com1.write(effect.text).catch(() => undefined); // a stopped VM takes no input; the status line says so
          break;
        case 'toggle-pause':
          if (vm.state === 'paused') vm.resume();
          else vm.pause();
          break;
        case 'quit':
          exit();
          onQuit();
          break;
      }
    }
    rerender();
  });

  const { focus, raw, help, scrollBack } = ui;
  const end = screen.lineCount - scrollBack;
  const visible = screen.slice(end - area.consoleRows, end);
  const topHeight = area.consoleRows + 3;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {help ? <Box height={topHeight} overflow="hidden"><HelpPane /></Box> : <Box height={topHeight}>
        <ConsolePane lines={visible} width={area.consoleWidth - 2} height={area.consoleRows} focused={focus === 'console'} scrolledBack={scrollBack} raw={raw} />
        <Box flexDirection="column" width={area.sideWidth} height={topHeight}>
          <Registers key={ui.vcpu} vm={vm} vcpu={ui.vcpu} focused={focus === 'registers'} rows={area.registerRows} width={area.sideWidth - 2} />
          <ExitsPane summary={exits} sort={ui.sort} focused={focus === 'exits'} rows={area.exitRows} width={area.sideWidth - 2} />
        </Box>
      </Box>}
      <LogPane records={log.records} lost={log.lost} level={ui.level} scope={ui.scope} focused={focus === 'log'} rows={area.logRows} />
      <Box height={1}>
        <Text color="cyan">{raw ? 'raw› ' : '› '}</Text>
        {raw ? <Text color="gray">keys go to the guest (Ctrl-T to leave raw mode)</Text> : <InputLine line={ui.line} cursor={ui.cursor} width={columns - 3} />}
      </Box>
      <StatusLine state={vm.state} uptimeMs={vm.uptimeMs()} exitRate={exits.rate} raw={raw} width={columns} />
    </Box>
  );
}
