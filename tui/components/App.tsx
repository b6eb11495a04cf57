import { Box, Text, useInput } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { DebugStop } from '../../vmm/debug/debugger.js';
import type { StopReason, VmMonitor } from '../../vmm/monitor-api.js';
import { type TuiDebug, debugStatus } from '../debug-control.js';
import { useCode } from '../hooks/use-code.js';
import { useConsole } from '../hooks/use-console.js';
import { useDebugger } from '../hooks/use-debugger.js';
import { useExitRates } from '../hooks/use-exit-rates.js';
import { useInterval } from '../hooks/use-interval.js';
import { useRegisters } from '../hooks/use-registers.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useVmmLog } from '../hooks/use-vmm-log.js';
import { type Layout, layout } from '../layout.js';
import { type SidePane, TuiState } from '../tui-state.js';
import { CodePane, codeTitle } from './CodePane.js';
import { ConsolePane } from './ConsolePane.js';
import { ExitsPane, exitsTitle } from './ExitsPane.js';
import { HelpPane } from './HelpPane.js';
import { InputLine } from './InputLine.js';
import { LogPane, filterLog, logRows, logTitle } from './LogPane.js';
import { Pane, Rule } from './Pane.js';
import { RegistersPane, registerCells, registerLines, registersTitle } from './RegistersPane.js';
import { StatusLine, uptimeLabel } from './StatusLine.js';

export interface AppProps {
  readonly vm: VmMonitor;
  /** Called once when the user quits (or presses a key after the VM stopped); the caller stops the VM and ends the process. */
  readonly onQuit: () => void;
  /** The VM's debugger, for the pause, step and continue keys; without it Ctrl-P pauses the VM as the monitor's `stop` does. */
  readonly debug?: TuiDebug;
}

/** How the TUI says the VM stopped by itself. */
export function stoppedMessage(reason: StopReason): string {
  switch (reason.kind) {
    case 'debug-exit': return `VM powered off, status ${reason.status}`;
    case 'triple-fault': return `VM stopped: vCPU ${reason.vcpu} triple-faulted at 0x${reason.rip.toString(16)}`;
    case 'unhandled-exit': return `VM stopped: unhandled exit on vCPU ${reason.vcpu}`;
    case 'internal-error': return `VM stopped: internal error on vCPU ${reason.vcpu}`;
    case 'host-stop': return 'VM stopped';
  }
}

const STRIP_TABS: readonly [SidePane, string][] = [['registers', 'registers'], ['code', 'code'], ['exits', 'exits'], ['log', 'log']];

export function App({ vm, onQuit, debug }: AppProps) {
  const { columns, rows } = useTerminalSize();
  const area: Layout = layout(columns, rows);
  const [ui] = useState(() => new TuiState());
  const screen = useConsole(vm.com1, area.consoleColumns, area.consoleRows);
  const exits = useExitRates(vm, ui.exitsScope === 'all' ? 'all' : ui.vcpu);
  const log = useVmmLog(vm);
  const [, setRendered] = useState(0);
  const rerender = (): void => setRendered((n) => n + 1);
  // A stop shows the vCPU that stopped, and the code pane where only one side pane fits; a notice
  // about the debugger's last state is stale once it changed.
  const onDebugChange = useCallback((stop: DebugStop | undefined) => {
    ui.notice = undefined;
    if (stop === undefined || stop.kind === 'vm-stopped') return;
    if (stop.kind !== 'interrupt') ui.vcpu = stop.vcpu;
    ui.strip = 'code';
  }, [ui]);
  const { dbg, generation } = useDebugger(debug, onDebugChange);
  const registers = useRegisters(vm, ui.vcpu, generation);
  const [stopped, setStopped] = useState<StopReason | undefined>(undefined);
  const [uptime, setUptime] = useState(() => uptimeLabel(vm.uptimeMs()));
  useInterval(() => setUptime(uptimeLabel(vm.uptimeMs())), 1000); // redraws only when the label changes
  useEffect(() => {
    let live = true;
    void vm.waitForStop().then((reason) => {
      if (!live) return;
      ui.stopped = reason.kind !== 'host-stop';
      setStopped(reason);
    });
    return () => { live = false; };
  }, [vm]);

  // Rows each side pane has at this size, for the panes and for how far their keys may scroll.
  const paneRows = area.kind === 'side'
    ? { registers: area.registerRows, code: area.codeRows, exits: area.exitRows, log: area.logRows }
    : { registers: area.stripRows, code: area.stripRows, exits: area.stripRows, log: area.stripRows };
  const sideWidth = area.kind === 'side' ? area.sideColumns - 2 : area.columns;
  const code = useCode({ vm, debugger: dbg, symbols: debug?.symbols }, registers.current, ui.syntax, paneRows.code, generation);
  const cells = registerCells(registers.current, registers.previous);
  const registerRowCount = registerLines(cells, sideWidth).length;
  const records = filterLog(log.records, ui.level, ui.scope);
  const scrollLimits = {
    registers: Math.max(0, registerRowCount - (paneRows.registers - 1)),
    exits: Math.max(0, exits.summary.rows.length - (paneRows.exits - 2)),
    log: Math.max(0, logRows(records).length - paneRows.log),
  };

  /** Ctrl-P and Ctrl-S: stop the VM in the debugger, step a vCPU, continue; a monitor's pause is lifted first. */
  const runControl = (what: 'toggle-pause' | 'step'): void => {
    if (vm.state === 'paused') return vm.resume();
    if (debug === undefined) {
      if (what === 'toggle-pause') vm.pause();
      else ui.notice = 'this VM has no debugger to step it';
      return;
    }
    const control = debug.attach();
    if (control.state === 'running') return void control.interrupt();
    if (control.state !== 'stopped') return;
    if (control.client !== undefined) {
      ui.notice = `gdb ${control.client} holds the VM: step or continue it from gdb`;
      return;
    }
    (what === 'step' ? control.step(ui.vcpu) : control.continue()).catch((error: unknown) => {
      ui.notice = (error as Error).message;
      rerender();
    });
  };

  useInput((text, key) => {
    const scopes = [...new Set(log.records.map((r) => r.scope))]; // only the log pane's Shift-←→ needs them
    const effects = ui.handleKey(text, key, { vcpus: vm.config.vcpus, consoleRows: area.consoleRows, consoleLines: screen.lineCount, scopes, scrollLimits });
    for (const effect of effects) {
      switch (effect.kind) {
        case 'send':
          void vm.com1.write(effect.text).catch(() => undefined); // a stopped VM takes no input; the status line says so
          break;
        case 'toggle-pause':
        case 'step':
          runControl(effect.kind);
          break;
        case 'quit':
          onQuit();
          break;
      }
    }
    rerender();
  });

  const { focus, raw, help, scrollBack } = ui;
  const debugState = debugStatus(dbg, debug?.gdbAddress);
  const end = screen.lineCount - scrollBack;
  const visible = screen.slice(end - area.consoleRows * 2, end); // enough lines to fill the rows even when none folds
  const side = (pane: SidePane, width: number, contentRows: number) => {
    switch (pane) {
      case 'registers':
        return <RegistersPane snapshot={registers.current} cells={cells} rows={contentRows} width={width} scroll={ui.scroll.registers} />;
      case 'code':
        return <CodePane view={code} rows={contentRows} width={width} />;
      case 'exits':
        return <ExitsPane summary={exits.summary} sort={ui.sort} changedAt={exits.changedAt} rows={contentRows} width={width} scroll={ui.scroll.exits} />;
      case 'log':
        return <LogPane records={log.records} level={ui.level} scope={ui.scope} rows={contentRows} scrollBack={ui.scroll.log} />;
    }
  };
  const title = (pane: SidePane): string => {
    switch (pane) {
      case 'registers': return registersTitle(registers.current, vm.config.vcpus, focus === 'registers', code.stopped);
      case 'code': return codeTitle(code, sideWidth, focus === 'code');
      case 'exits': return exitsTitle(exits.summary, ui.sort, focus === 'exits');
      case 'log': return logTitle(ui.level, ui.scope, log.lost, ui.scroll.log, focus === 'log');
    }
  };
  const top = rows - 2 - (area.kind === 'side' ? area.logRows + 2 : 0);
  const consolePane = <ConsolePane lines={visible} width={area.consoleColumns} rows={area.consoleRows} focused={focus === 'console'} scrolledBack={scrollBack} raw={raw} />;
  let body;
  if (help) body = <HelpPane rows={rows - 2} />;
  else if (area.kind === 'side') {
    body = (
      <>
        <Box height={top}>
          {consolePane}
          <Box flexDirection="column" width={area.sideColumns}>
            <Pane title={title('registers')} focused={focus === 'registers'} width={area.sideColumns} rows={area.registerRows}>{side('registers', sideWidth, area.registerRows)}</Pane>
            <Pane title={title('code')} focused={focus === 'code'} width={area.sideColumns} rows={area.codeRows}>{side('code', sideWidth, area.codeRows)}</Pane>
            <Pane title={title('exits')} focused={focus === 'exits'} width={area.sideColumns} rows={area.exitRows}>{side('exits', sideWidth, area.exitRows)}</Pane>
          </Box>
        </Box>
        <Pane title={title('log')} focused={focus === 'log'} width={columns} rows={area.logRows}>{side('log', columns - 2, area.logRows)}</Pane>
      </>
    );
  } else {
    const others = STRIP_TABS.filter(([pane]) => pane !== ui.strip).map(([, label]) => label).join(', ');
    body = (
      <>
        {consolePane}
        <Box flexDirection="column" height={area.stripRows + 1} overflow="hidden">
          <Rule title={`${title(ui.strip)} · Tab: ${others}`} focused={focus === ui.strip} width={columns} />
          {side(ui.strip, columns, area.stripRows)}
        </Box>
      </>
    );
  }
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {body}
      <Box height={1}>
        <Text color="cyan">{raw ? 'raw› ' : '› '}</Text>
        {raw ? <Text color="gray">keys go to the guest (Ctrl-T to leave raw mode)</Text> : <InputLine line={ui.line} cursor={ui.cursor} width={columns - 3} />}
      </Box>
      <StatusLine
        state={vm.state} uptime={uptime} exitRate={exits.summary.rate} raw={raw} width={columns}
        {...(stopped && stopped.kind !== 'host-stop' ? { stopped: stoppedMessage(stopped) } : {})}
        {...(debugState === undefined ? {} : { debugger: debugState })}
        {...(ui.notice === undefined ? {} : { notice: ui.notice })}
      />
    </Box>
  );
}
