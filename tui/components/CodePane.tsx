import { Text } from 'ink';
import { DisSyntax } from '../../shell-protocol/constants.js';
import type { CodeLine, CodeView } from '../code-view.js';

export interface CodePaneProps {
  readonly view: CodeView;
  /** Content rows. */
  readonly rows: number;
  readonly width: number;
}

/** Columns from which each line shows the instruction's bytes, and from which addresses are whole. */
const BYTES_FROM = 72;
const FULL_ADDRESS_FROM = 60;
const SHOWN_BYTES = 8;

const high = (address: bigint): bigint => address >> 32n;

/** Whether lines print the low 32 bits of their addresses and the title the high ones (a narrow pane). */
function shortAddresses(view: CodeView, width: number): boolean {
  return width < FULL_ADDRESS_FROM && view.lines.every((line) => high(line.address) === high(view.rip));
}

function hexBytes(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, SHOWN_BYTES)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${shown}${bytes.length > SHOWN_BYTES ? '…' : ''}`.padEnd(SHOWN_BYTES * 3);
}

/** One listing line as text: breakpoint and RIP marks, address, bytes when there is room, the instruction. */
export function codeLineText(line: CodeLine, width: number, short: boolean): string {
  const marks = `${line.breakpoint ? '*' : ' '}${line.atRip ? '>' : ' '}`;
  const address = short ? (line.address & 0xffff_ffffn).toString(16).padStart(8, '0') : line.address.toString(16).padStart(16, '0');
  return `${marks} ${address}  ${width >= BYTES_FROM ? `${hexBytes(line.bytes)} ` : ''}${line.text}`;
}

/** The instructions around RIP; RIP's line highlighted, breakpoints marked with `*`. */
export function CodePane({ view, rows, width }: CodePaneProps) {
  if (view.lines.length === 0) return <Text color="gray" wrap="truncate">{view.note ?? 'no code'}</Text>;
  const short = shortAddresses(view, width);
  return (
    <>
      {view.lines.slice(0, rows).map((line) => {
        const text = codeLineText(line, width, short);
        return line.atRip
          ? <Text key={String(line.address)} wrap="truncate" inverse color={view.stopped ? 'yellow' : 'white'}>{text.padEnd(width)}</Text>
          : <Text key={String(line.address)} wrap="truncate" color={line.breakpoint ? 'red' : 'white'}>{text}</Text>;
      })}
    </>
  );
}

export function codeTitle(view: CodeView, width: number, focused: boolean): string {
  const syntax = view.syntax === DisSyntax.ATT ? 'AT&T' : 'Intel';
  // Low addresses need no word about their high half: eight digits are the whole address. A
  // function's name says more than the high half, and the registers pane above has RIP whole.
  const high32 = view.lines.length > 0 && shortAddresses(view, width) && high(view.rip) !== 0n ? ` · high ${high(view.rip).toString(16)}` : '';
  const where = view.symbol === undefined ? high32 : ` · ${view.symbol}`;
  // A wide pane has room to name the vCPU (a narrow one sits under the registers pane, which does).
  const state = width >= FULL_ADDRESS_FROM ? ` · vCPU ${view.vcpu}${view.stopped ? ' stopped' : ''}` : view.stopped ? ' · stopped' : '';
  return `code ${syntax}${state}${where}${focused ? ' ←→' : ''}`;
}
