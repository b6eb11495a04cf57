import { useMemo, useRef } from 'react';
import type { DisSyntax } from '../../shell-protocol/constants.js';
import type { RegisterSnapshot } from '../../vmm/monitor-api.js';
import { type CodeSource, type CodeView, codeView } from '../code-view.js';

/**
 * The code pane's view, decoded again only when the vCPU's registers, the syntax, the pane's size
 * or the debugger's state (`generation`) changed; each view starts where the last one did while RIP
 * stays inside it.
 */
export function useCode(source: CodeSource, snapshot: RegisterSnapshot, syntax: DisSyntax, rows: number, generation: number): CodeView {
  const previous = useRef<CodeView | undefined>(undefined);
  return useMemo(() => {
    let view: CodeView;
    try {
      view = codeView(source, snapshot, syntax, rows, previous.current);
    } catch (error) {
      // A guest's page tables are the guest's: whatever they hold, the pane says so and the TUI goes on.
      view = { vcpu: snapshot.vcpu, rip: snapshot.rip, syntax, stopped: false, lines: [], note: (error as Error).message };
    }
    previous.current = view;
    return view;
  }, [source.vm, source.debugger, source.symbols, snapshot, syntax, rows, generation]);
}
