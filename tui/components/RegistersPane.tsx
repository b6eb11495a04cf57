import { Text } from 'ink';
import { exitReasonName } from '../../shell-protocol/exit-reasons.js';
import type { RegisterSnapshot } from '../../vmm/monitor-api.js';

/** One register as shown: its name, its value in hex, and whether it changed since the last refresh. */
export interface RegisterCell {
  readonly name: string;
  readonly value: string;
  readonly changed: boolean;
}

export interface RegistersPaneProps {
  readonly snapshot: RegisterSnapshot;
  readonly cells: readonly RegisterCell[];
  /** Content rows. */
  readonly rows: number;
  readonly width: number;
  /** Register rows scrolled past. */
  readonly scroll: number;
}

type Field = readonly [string, (s: RegisterSnapshot) => bigint, number];

/** Every register the snapshot holds, most looked-at first, with its width in hex digits. */
const FIELDS: readonly Field[] = [
  ['RIP', (s) => s.rip, 16], ['RSP', (s) => s.gprs[4]!, 16], ['RFLAGS', (s) => s.rflags, 16],
  ['RAX', (s) => s.gprs[0]!, 16], ['RBX', (s) => s.gprs[3]!, 16], ['RCX', (s) => s.gprs[1]!, 16], ['RDX', (s) => s.gprs[2]!, 16],
  ['RSI', (s) => s.gprs[6]!, 16], ['RDI', (s) => s.gprs[7]!, 16], ['RBP', (s) => s.gprs[5]!, 16],
  ['R8', (s) => s.gprs[8]!, 16], ['R9', (s) => s.gprs[9]!, 16], ['R10', (s) => s.gprs[10]!, 16], ['R11', (s) => s.gprs[11]!, 16],
  ['R12', (s) => s.gprs[12]!, 16], ['R13', (s) => s.gprs[13]!, 16], ['R14', (s) => s.gprs[14]!, 16], ['R15', (s) => s.gprs[15]!, 16],
  ['CR0', (s) => s.cr0, 16], ['CR2', (s) => s.cr2, 16], ['CR3', (s) => s.cr3, 16], ['CR4', (s) => s.cr4, 16], ['EFER', (s) => s.efer, 16],
  ['FS.base', (s) => s.fsBase, 16], ['GS.base', (s) => s.gsBase, 16],
  ['CS', (s) => BigInt(s.cs), 4], ['SS', (s) => BigInt(s.ss), 4], ['DS', (s) => BigInt(s.ds), 4],
  ['ES', (s) => BigInt(s.es), 4], ['FS', (s) => BigInt(s.fs), 4], ['GS', (s) => BigInt(s.gs), 4],
];

/** The cells to show for a snapshot, marking those that differ from `previous`. */
export function registerCells(current: RegisterSnapshot, previous: RegisterSnapshot | undefined): RegisterCell[] {
  return FIELDS.map(([name, read, digits]) => ({
    name,
    value: read(current).toString(16).padStart(digits, '0'),
    changed: previous !== undefined && read(previous) !== read(current),
  }));
}

/** The RFLAGS bits that are set, by their SDM names (CF PF AF ZF SF TF IF DF OF). */
export function flagNames(rflags: bigint): string {
  const bits: readonly [string, number][] = [['CF', 0], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10], ['OF', 11]];
  return bits.filter(([, bit]) => ((rflags >> BigInt(bit)) & 1n) !== 0n).map(([name]) => name).join(' ') || '-';
}

/** Cells packed into lines of `width`: 64-bit values and selectors, each as "NAME value", a space between. */
export function registerLines(cells: readonly RegisterCell[], width: number): RegisterCell[][] {
  const nameWidth = 7;
  const lines: RegisterCell[][] = [];
  let line: RegisterCell[] = [];
  let used = 0;
  for (const cell of cells) {
    const size = (cell.value.length > 4 ? nameWidth : cell.name.length) + 1 + cell.value.length;
    if (line.length > 0 && (used + 1 + size > width || (line[0]!.value.length > 4) !== (cell.value.length > 4))) {
      lines.push(line);
      line = [];
      used = 0;
    }
    used += (line.length > 0 ? 1 : 0) + size;
    line.push(cell);
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

/** A vCPU's registers, every one with its SDM name; values that changed since the previous refresh are highlighted. */
export function RegistersPane({ snapshot, cells, rows, width, scroll }: RegistersPaneProps) {
  const lines = registerLines(cells, width);
  const room = Math.max(0, rows - 1);
  const first = Math.min(Math.max(0, scroll), Math.max(0, lines.length - room));
  const fits = lines.length - first <= room;
  const shown = lines.slice(first, first + (fits ? room : room - 1));
  const more = lines.length - first - shown.length;
  const info = snapshot.state === 'not-started' ? 'not launched yet'
    : `last exit ${exitReasonName(snapshot.lastExitReason)} (${snapshot.lastExitReason}) · flags ${flagNames(snapshot.rflags)}`;
  return (
    <>
      <Text wrap="truncate" color="gray">{info}</Text>
      {shown.map((line) => (
        <Text key={line[0]!.name} wrap="truncate">
          {line.map((cell, k) => (
            <Text key={cell.name}>
              {k > 0 ? ' ' : ''}
              {cell.value.length > 4 ? cell.name.padEnd(7) : cell.name} <Text color={cell.changed ? 'yellow' : 'white'} bold={cell.changed}>{cell.value}</Text>
            </Text>
          ))}
        </Text>
      ))}
      {more > 0 ? <Text color="gray" wrap="truncate">{`+${more} more rows (Tab here, ↑↓)`}</Text> : null}
    </>
  );
}

/** `stopped`: the debugger holds the vCPU, whatever it was doing when it stopped. */
export function registersTitle(snapshot: RegisterSnapshot, vcpuCount: number, focused: boolean, stopped = false): string {
  return `vCPU ${snapshot.vcpu}/${vcpuCount - 1} ${stopped ? 'stopped' : snapshot.state} CPL${snapshot.cpl}${focused ? ' ←→ vCPU ↑↓' : ''}`;
}
