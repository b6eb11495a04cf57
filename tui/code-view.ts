/**
 * The code pane's model (pure, outside React): the instructions around a vCPU's RIP, decoded by
 * iced-x86, with RIP and breakpoints marked. Stopped by the debugger, the code is read through the
 * debugger (breakpoints show the bytes they replaced) at the registers it holds; running, at the
 * RIP of the vCPU's last published snapshot.
 */
import { DisSyntax, MAX_INSTRUCTION_BYTES } from '../shell-protocol/constants.js';
import type { DisValue } from '../shell-protocol/ops.js';
import { type Bitness, disassembleBytes } from '../vmm/services/disassemble.js';
import type { RegisterSnapshot, VmDebug, VmView } from '../vmm/monitor-api.js';
import type { TuiDebugger } from './debug-control.js';
import type { Symbolizer } from './symbols.js';

export interface CodeLine {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly text: string;
  readonly atRip: boolean;
  readonly breakpoint: boolean;
}

export interface CodeView {
  readonly vcpu: number;
  readonly rip: bigint;
  readonly syntax: DisSyntax;
  /** Whether the code is the debugger's (the vCPU is stopped) or that of the last snapshot. */
  readonly stopped: boolean;
  readonly lines: readonly CodeLine[];
  /** The function RIP is in, as `name+offset`, when the kernel's symbols know it. */
  readonly symbol?: string;
  /** Why there are no lines. */
  readonly note?: string;
}

/**
 * Where the window starts: kept while RIP stays inside the last one, so steps read down the pane
 * as in a debugger's listing, and moved on when RIP nears its end; RIP itself after a jump away.
 */
export function windowStart(previous: CodeView | undefined, rip: bigint, rows: number): bigint {
  const lines = previous?.lines ?? [];
  const last = lines.at(-1);
  if (last === undefined) return rip;
  let index = lines.findIndex((line) => line.address === rip);
  if (index < 0 && rip === last.address + BigInt(last.bytes.length)) index = lines.length;
  if (index < 0) return rip;
  // RIP keeps a line below it for what comes next.
  const first = Math.max(0, index - Math.max(0, rows - 2));
  return first < lines.length ? lines[first]!.address : rip;
}

/** EFER.LMA: long mode is active (the snapshot holds no CS.L; this guest runs no compatibility-mode code). */
const EFER_LMA = 1n << 10n;
const CR0_PE = 1n;

function snapshotBitness(s: RegisterSnapshot): Bitness {
  if ((s.efer & EFER_LMA) !== 0n) return 64;
  return (s.cr0 & CR0_PE) !== 0n ? 32 : 16;
}

const PAGE = 4096n;

/** Guest-virtual bytes from `address` up to the first unmapped page (an empty array when that is the first). */
function readMapped(debug: VmDebug, vcpu: number, address: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const at = BigInt.asUintN(64, address + BigInt(done));
    const n = Math.min(length - done, Number(PAGE - (at % PAGE)));
    try {
      out.set(debug.readVirtual(vcpu, at, n), done);
    } catch (error) {
      if (error instanceof RangeError) break;
      throw error;
    }
    done += n;
  }
  return out.subarray(0, done);
}

export interface CodeSource {
  readonly vm: VmView & { readonly debug: VmDebug };
  readonly debugger: TuiDebugger | undefined;
  readonly symbols?: Symbolizer | undefined;
}

/** The code pane's view of `vcpu`: `rows` instructions around RIP in `syntax`. */
export function codeView(source: CodeSource, snapshot: RegisterSnapshot, syntax: DisSyntax, rows: number, previous: CodeView | undefined): CodeView {
  const { vcpu } = snapshot;
  const dbg = source.debugger?.state === 'stopped' ? source.debugger : undefined;
  const rip = dbg ? dbg.registers(vcpu).rip : snapshot.rip;
  const base = { vcpu, rip, syntax, stopped: dbg !== undefined } as const;
  if (!dbg && snapshot.state === 'not-started') return { ...base, lines: [], note: 'not launched yet' };
  const count = Math.max(1, rows);
  const decode = (start: bigint): DisValue | undefined => dbg
    ? dbg.disassemble(vcpu, start, count, syntax)
    : disassembleBytes(readMapped(source.vm.debug, vcpu, start, count * MAX_INSTRUCTION_BYTES), { address: start, count, syntax }, snapshotBitness(snapshot));
  const carried = previous?.vcpu === vcpu ? previous : undefined;
  const start = windowStart(carried, rip, count);
  let dis = decode(start);
  // Code changed under the old window (or it decodes out of step): start again at RIP.
  if (start !== rip && !dis?.instructions.some((insn) => insn.address === rip)) dis = decode(rip);
  if (dis === undefined) return { ...base, lines: [], note: `no code mapped at 0x${rip.toString(16)}` };
  const breakpoints = new Set((source.debugger?.breakpoints() ?? []).filter((b) => b.kind === 'software' || b.kind === 'hardware').map((b) => b.address));
  const symbol = source.symbols?.name(rip);
  return {
    ...base,
    ...(symbol === undefined ? {} : { symbol }),
    lines: dis.instructions.map((insn) => ({
      address: insn.address, bytes: insn.bytes, text: insn.text, atRip: insn.address === rip, breakpoint: breakpoints.has(insn.address),
    })),
  };
}

/** Whether two views show the same thing (a re-decode of unchanged code costs no redraw). */
export function sameCode(a: CodeView, b: CodeView): boolean {
  if (a.vcpu !== b.vcpu || a.rip !== b.rip || a.symbol !== b.symbol || a.syntax !== b.syntax || a.stopped !== b.stopped || a.note !== b.note || a.lines.length !== b.lines.length) return false;
  return a.lines.every((line, i) => {
    const other = b.lines[i]!;
    return line.address === other.address && line.text === other.text && line.breakpoint === other.breakpoint && line.atRip === other.atRip;
  });
}
