/**
 * The monitor protocol: line-delimited JSON over a Unix socket, in the spirit of QEMU's QMP
 * (docs/interop/qmp-spec.rst). One JSON object per line, each way.
 *
 *   server greeting  {"QMP": {"version": {"ymir": {"major": 0, "minor": 1, "micro": 0}, "package": "ymir-dbg 0.1.0"},
 *                             "capabilities": [], "vm": {"name": "...", "pid": 1234, "mode": "tui"}}}
 *   client command   {"execute": "query-status", "arguments": {...}, "id": <any>}
 *   success          {"return": <value>, "id": <id>}
 *   failure          {"error": {"class": "GenericError", "desc": "..."}, "id": <id>}
 *   event            {"event": "STOP", "data": {...}, "timestamp": {"seconds": s, "microseconds": us}}
 *
 * As in QMP, a client first leaves capabilities negotiation with `qmp_capabilities`; until then
 * every other command fails with CommandNotFound, and no events are sent. 64-bit values
 * (registers, addresses) travel as "0x..." strings, since a JSON number cannot hold them exactly.
 */
import type { RegisterSnapshot } from '../../vmm/monitor-api.js';

export type MonitorErrorClass = 'GenericError' | 'CommandNotFound';

export interface MonitorGreeting {
  readonly QMP: {
    readonly version: { readonly ymir: { readonly major: number; readonly minor: number; readonly micro: number }; readonly package: string };
    readonly capabilities: readonly string[];
    /** Which VM this is: what `ymir stat --vm NAME|PID` matches and the list of running VMs shows. */
    readonly vm: MonitorVmIdentity;
  };
}

export interface MonitorVmIdentity {
  readonly name: string;
  readonly pid: number;
  /** The `ymir` command that runs the VM. */
  readonly mode: 'tui' | 'console' | 'run';
}

export interface MonitorCommand {
  readonly execute: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
  readonly id?: unknown;
}

export type MonitorReply =
  | { readonly return: unknown; readonly id?: unknown }
  | { readonly error: { readonly class: MonitorErrorClass; readonly desc: string }; readonly id?: unknown };

export type MonitorEventName = 'STOP' | 'RESUME' | 'SHUTDOWN';

export interface MonitorEventMessage {
  readonly event: MonitorEventName;
  readonly data: Readonly<Record<string, unknown>>;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number };
}

/** A failed command, as the reply's error object says it. */
export class MonitorCommandError extends Error {
  override readonly name = 'MonitorCommandError';
  constructor(readonly errorClass: MonitorErrorClass, message: string) {
    super(message);
  }
}

/** The longest line either side accepts; a longer one is an error, not a reason to buffer without end. */
export const MAX_LINE_BYTES = 1 << 20;

/** A 64-bit value as the protocol carries it. */
export function hex64(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Splits a byte stream into lines and hands each to `onLine`; `onOverflow` when a line grows past MAX_LINE_BYTES. */
export class LineReader {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void, private readonly onOverflow: () => void) {}

  push(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop()!;
    if (this.pending.length > MAX_LINE_BYTES) {
      this.pending = '';
      this.onOverflow();
    }
    for (const line of lines) if (line.trim() !== '') this.onLine(line);
  }
}

/** General-purpose registers in the snapshot's order (SDM encoding order). */
export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
const WIDE_REGISTERS = ['rip', 'rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'efer', 'fsBase', 'gsBase'] as const;
const SELECTORS = ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const;

/** A register snapshot as `query-registers` returns it. */
export function encodeSnapshot(s: RegisterSnapshot): Record<string, unknown> {
  return {
    'cpu-index': s.vcpu, sequence: s.sequence.toString(), state: s.state, 'last-exit-reason': s.lastExitReason, cpl: s.cpl,
    ...Object.fromEntries(GPR_NAMES.map((name, i) => [name, hex64(s.gprs[i]!)])),
    ...Object.fromEntries(WIDE_REGISTERS.map((name) => [name, hex64(s[name])])),
    ...Object.fromEntries(SELECTORS.map((name) => [name, s[name]])),
  };
}

/** The inverse of encodeSnapshot, checking every field (a reply is input like any other). */
export function decodeSnapshot(value: unknown): RegisterSnapshot {
  const o = value as Record<string, unknown>;
  const wide = (name: string): bigint => {
    const text = o[name];
    if (typeof text !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(text)) throw new MonitorCommandError('GenericError', `register ${name}: not a 64-bit hex value`);
    return BigInt(text);
  };
  const int = (name: string): number => {
    const n = o[name];
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new MonitorCommandError('GenericError', `${name}: not an integer`);
    return n;
  };
  const state = o.state;
  if (state !== 'running' && state !== 'halted' && state !== 'stopped' && state !== 'not-started') throw new MonitorCommandError('GenericError', 'state: not a vCPU run state');
  const regs = Object.fromEntries(WIDE_REGISTERS.map((name) => [name, wide(name)])) as Record<(typeof WIDE_REGISTERS)[number], bigint>;
  const selectors = Object.fromEntries(SELECTORS.map((name) => [name, int(name)])) as Record<(typeof SELECTORS)[number], number>;
  return {
    vcpu: int('cpu-index'), sequence: BigInt(String(o.sequence)), state, lastExitReason: int('last-exit-reason'), cpl: int('cpl') === 3 ? 3 : 0,
    gprs: GPR_NAMES.map(wide), ...regs, ...selectors,
  };
}
