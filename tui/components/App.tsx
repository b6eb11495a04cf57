import { Box, Text, useApp, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { useState } from 'react';
import type { LogLevel, VmMonitor } from '../../vmm/monitor-api.js';
import { useConsole } from '../hooks/use-console.js';
import { useExitRates } from '../hooks/use-exit-rates.js';
import { useInterval } from '../hooks/use-interval.js';
import { useRegisters } from '../hooks/use-registers.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useVmmLog } from '../hooks/use-vmm-log.js';
import { keyBytes } from '../keys.js';
import { layout } from '../layout.js';
import { ConsolePane } from './ConsolePane.js';
import { EXIT_SORT_KEYS, type ExitSortKey, ExitsPane } from './ExitsPane.js';
import { HelpPane } from './HelpPane.js';
import { LEVELS, LogPane } from './LogPane.js';
import { RegistersPane, registerCells } from './RegistersPane.js';
import { StatusLine } from './StatusLine.js';

export type Focus = 'console' | 'registers' | 'exits' | 'log';
const FOCUS_ORDER: readonly Focus[] = ['console', 'registers', 'exits', 'log'];

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

function cycle<T>(list: readonly T[], current: T, step: number): T {
  return list[(list.indexOf(current) + step + list.length) % list.length]!;
}

export function App({ vm, onQuit }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const screen = useConsole(vm.com1);
  const exits = useExitRates(vm);
  const log = useVmmLog(vm);
  const [focus, setFocus] = useState<Focus>('console');
  const [raw, setRaw] = useState(false);
  const [help, setHelp] = useState(false);
  const [input, setInput] = useState('');
  const [history, setHistory] = useState<string[]>([]);
  const [recall, setRecall] = useState(-1);
  const [scrollBack, setScrollBack] = useState(0);
  const [vcpu, setVcpu] = useState(0);
  const [sort, setSort] = useState<ExitSortKey>('total');
  const [level, setLevel] = useState<LogLevel>('info');
  const [scope, setScope] = useState<string | undefined>(undefined);
  const [, setTick] = useState(0);
  useInterval(() => setTick((t) => t + 1), 1000); // uptime in the status line

  const area = layout(columns, rows);
  const send = (text: string): void => {
    void vm.com1.write(text).catch(() => undefined); // a stopped VM takes no input; the status line says so
  };
  const quit = (): void => {
    exit();
    onQuit();
  };
  const scopes = [undefined, ...new Set(log.records.map((r) => r.scope))];

  useInput((text, key) => {
    if (key.ctrl && text === 'q') return quit();
    if (help) return setHelp(false);
    if (key.ctrl && text === 't') return setRaw((r) => !r);
    if (key.pageUp) return setScrollBack((s) => Math.min(Math.max(0, screen.lineCount - area.consoleRows), s + area.consoleRows));
    if (key.pageDown) return setScrollBack((s) => Math.max(0, s - area.consoleRows));
    if (key.home && !raw) return setScrollBack(Math.max(0, screen.lineCount - area.consoleRows));
    if (key.end && !raw) return setScrollBack(0);
    if (raw) return send(keyBytes(text, key));
    if (key.ctrl && text === 'c') return send('\x03');
    if (key.ctrl && text === 'g') return setHelp(true);
    if (key.ctrl && text === 'p') return vm.state === 'paused' ? vm.resume() : vm.pause();
    if (key.ctrl && text === 'o') return setSort((s) => cycle(EXIT_SORT_KEYS, s, 1));
    if (key.ctrl && text === 'v') return setVcpu((v) => (v + 1) % vm.config.vcpus);
    if (key.tab) return setFocus((f) => cycle(FOCUS_ORDER, f, key.shift ? -1 : 1));
    const step = key.upArrow ? -1 : key.downArrow ? 1 : 0;
    if (focus === 'console' && step !== 0 && history.length > 0) {
      const next = recall < 0 ? (step < 0 ? history.length - 1 : -1) : recall + step;
      const index = next >= history.length ? -1 : Math.max(0, next);
      setRecall(index);
      setInput(index < 0 ? '' : history[index]!);
    } else if (focus === 'registers' && step !== 0) setVcpu((v) => (v - step + vm.config.vcpus) % vm.config.vcpus);
    else if (focus === 'exits' && step !== 0) setSort((s) => cycle(EXIT_SORT_KEYS, s, step));
    else if (focus === 'log' && step !== 0) setLevel((l) => cycle(LEVELS, l, step));
    else if (focus === 'log' && (key.leftArrow || key.rightArrow)) setScope((s) => cycle(scopes, s, key.leftArrow ? -1 : 1));
  });

  const submit = (line: string): void => {
    send(`${line}\r`);
    if (line.trim() !== '' && history[history.length - 1] !== line) setHistory((h) => [...h, line].slice(-500));
    setRecall(-1);
    setInput('');
    setScrollBack(0);
  };

  /** Typed or pasted text: every complete line goes to the guest, the rest stays in the input. */
  const change = (value: string): void => {
    const lines = value.split(/\r\n|\r|\n/);
    const rest = lines.pop()!;
    for (const line of lines) submit(line);
    setInput(rest);
  };

  const end = screen.lineCount - scrollBack;
  const visible = screen.slice(end - area.consoleRows, end);
  const topHeight = area.consoleRows + 3;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      {help ? <Box height={topHeight} overflow="hidden"><HelpPane /></Box> : <Box height={topHeight}>
        <ConsolePane lines={visible} width={area.consoleWidth - 2} height={area.consoleRows} focused={focus === 'console'} scrolledBack={scrollBack} raw={raw} />
        <Box flexDirection="column" width={area.sideWidth} height={topHeight}>
          <Registers key={vcpu} vm={vm} vcpu={vcpu} focused={focus === 'registers'} rows={area.registerRows} width={area.sideWidth - 2} />
          <ExitsPane summary={exits} sort={sort} focused={focus === 'exits'} rows={area.exitRows} width={area.sideWidth - 2} />
        </Box>
      </Box>}
      <LogPane records={log.records} lost={log.lost} level={level} scope={scope} focused={focus === 'log'} rows={area.logRows} />
      <Box height={1}>
        <Text color="cyan">{raw ? 'raw› ' : '› '}</Text>
        {raw ? <Text color="gray">keys go to the guest (Ctrl-T to leave raw mode)</Text> : <TextInput value={input} onChange={change} onSubmit={submit} focus={!help} showCursor />}
      </Box>
      <StatusLine state={vm.state} uptimeMs={vm.uptimeMs()} exitRate={exits.rate} raw={raw} width={columns} />
    </Box>
  );
}
