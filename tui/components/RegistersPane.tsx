import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import type { RegisterSnapshot } from '../../vmm/monitor-api.js';
import { Pane } from './Pane.js';

/** One register as shown: its name, its value in hex, and whether it changed since the last refresh. */
export interface RegisterCell {
  readonly name: string;
  readonly value: string;
  readonly changed: boolean;
}

export interface RegistersPaneProps {
  readonly vcpu: number;
  readonly state: string;
  readonly cpl: number;
  readonly lastExitReason: number;
  readonly cells: readonly RegisterCell[];
  readonly vcpuCount: number;
  readonly focused: boolean;
  /** Rows available for registers. */
  readonly rows: number;
  readonly width: number;
}

type Field = readonly [string, (s: RegisterSnapshot) => bigint];

const FIELDS: readonly Field[] = [
  ['RIP', (s) => s.rip], ['RSP', (s) => s.gprs[4]!], ['RAX', (s) => s.gprs[0]!], ['RBX', (s) => s.gprs[3]!],
  ['RCX', (s) => s.gprs[1]!], ['RDX', (s) => s.gprs[2]!], ['RSI', (s) => s.gprs[6]!], ['RDI', (s) => s.gprs[7]!],
  ['CR3', (s) => s.cr3], ['CR0', (s) => s.cr0], ['CR4', (s) => s.cr4], ['EFER', (s) => s.efer],
  ['RFL', (s) => s.rflags], ['RBP', (s) => s.gprs[5]!], ['R8', (s) => s.gprs[8]!], ['R9', (s) => s.gprs[9]!],
  ['R10', (s) => s.gprs[10]!], ['R11', (s) => s.gprs[11]!], ['R12', (s) => s.gprs[12]!], ['R13', (s) => s.gprs[13]!],
  ['R14', (s) => s.gprs[14]!], ['R15', (s) => s.gprs[15]!], ['CR2', (s) => s.cr2],
];

/** The cells to show for a snapshot, marking those that differ from `previous`. */
export function registerCells(current: RegisterSnapshot, previous: RegisterSnapshot | undefined): RegisterCell[] {
  return FIELDS.map(([name, read]) => ({
    name,
    value: read(current).toString(16).padStart(16, '0'),
    changed: previous !== undefined && read(previous) !== read(current),
  }));
}

/** A vCPU's registers; values that changed since the previous refresh are highlighted. */
export function RegistersPane({ vcpu, state, cpl, lastExitReason, cells, vcpuCount, focused, rows, width }: RegistersPaneProps) {
  const perLine = width >= 41 ? 2 : 1; // "RIP 0123456789abcdef" twice, a space between
  const shown = cells.slice(0, Math.max(0, rows - 1) * perLine);
  const lines: RegisterCell[][] = [];
  for (let i = 0; i < shown.length; i += perLine) lines.push(shown.slice(i, i + perLine));
  return (
    <Pane title={`vCPU ${vcpu}/${vcpuCount - 1} ${state} CPL${cpl}${focused ? ' ↑↓' : ''}`} focused={focused}>
      <Text wrap="truncate" color="gray">{state === 'not-started' ? 'not launched yet' : `last exit ${exitReasonName(lastExitReason)}`}</Text>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line.map((cell, k) => (
            <Text key={cell.name}>
              {k > 0 ? ' ' : ''}
              {cell.name.padEnd(4)}
              <Text color={cell.changed ? 'yellow' : 'white'} bold={cell.changed}>{cell.value}</Text>
            </Text>
          ))}
        </Text>
      ))}
    </Pane>
  );
}
