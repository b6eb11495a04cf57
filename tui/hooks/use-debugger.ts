import { useEffect, useState } from 'react';
import type { DebugStop } from '../../vmm/debug/debugger.js';
import type { TuiDebug, TuiDebugger } from '../debug-control.js';

export interface DebuggerView {
  readonly dbg: TuiDebugger | undefined;
  /** Counts the debugger's stops and resumes: what depends on its state re-reads it when this moves. */
  readonly generation: number;
}

/**
 * The VM's debugger, once there is one (the TUI's first pause or `--gdb` makes it), followed through
 * its stops and resumes; `onChange` hears of each stop (a DebugStop) and resume (undefined).
 */
export function useDebugger(debug: TuiDebug | undefined, onChange: (stop: DebugStop | undefined) => void): DebuggerView {
  const dbg = debug?.current();
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (dbg === undefined) return undefined;
    // A stop may have come before this subscription: look once now.
    setGeneration((n) => n + 1);
    const stop = dbg.lastStop;
    if (stop !== undefined) onChange(stop);
    return dbg.onChange((next) => {
      setGeneration((n) => n + 1);
      onChange(next);
    });
  }, [dbg]);
  return { dbg, generation };
}
