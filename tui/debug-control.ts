/**
 * The debugger as the TUI drives it: pause, step and continue keys, the code pane, the status line.
 * The TUI attaches a debugger only when its user first stops the VM (an attached debugger
 * intercepts #BP), or uses the one `--gdb` made; while a gdb is connected its stops are gdb's.
 */
import type { DebugStop, Debugger } from '../vmm/debug/debugger.js';
import type { Symbolizer } from './symbols.js';

/** What the TUI uses of the debugger core (vmm/debug/debugger.ts), so tests can stand in for it. */
export type TuiDebugger = Pick<
  Debugger,
  'state' | 'lastStop' | 'client' | 'onChange' | 'interrupt' | 'continue' | 'step' | 'registers' | 'disassemble' | 'breakpoints'
>;

export interface TuiDebug {
  /** The VM's debugger, attached (made on first use). */
  attach(): TuiDebugger;
  /** The VM's debugger if one was made. */
  current(): TuiDebugger | undefined;
  /** Where a gdb server listens (`--gdb`), for the status line. */
  readonly gdbAddress?: string;
  /** The kernel's function names, for the code pane. */
  readonly symbols?: Symbolizer;
}

/** A stop in words, as the status line gives it. */
export function stopLabel(stop: DebugStop): string {
  switch (stop.kind) {
    case 'breakpoint': return `breakpoint on vCPU ${stop.vcpu}`;
    case 'hw-breakpoint': return `hardware breakpoint on vCPU ${stop.vcpu}`;
    case 'watchpoint': return `${stop.watch} watchpoint 0x${stop.address.toString(16)} on vCPU ${stop.vcpu}`;
    case 'step': return `stepped vCPU ${stop.vcpu}`;
    case 'interrupt': return 'every vCPU stopped';
    case 'vm-stopped': return 'the VM stopped';
  }
}

/**
 * The status line's words for a debugger that holds the VM, or undefined while it runs: who
 * stopped it, why, and who may let it go on.
 */
export function debugStatus(dbg: TuiDebugger | undefined, gdbAddress: string | undefined): string | undefined {
  const stop = dbg?.lastStop;
  if (dbg === undefined || dbg.state !== 'stopped' || stop === undefined) return undefined;
  const holder = dbg.client !== undefined ? `gdb ${dbg.client} holds it` : gdbAddress !== undefined ? `gdb may attach on ${gdbAddress}` : undefined;
  return `VM stopped by the debugger: ${stopLabel(stop)}${holder === undefined ? '' : ` · ${holder}`}`;
}
