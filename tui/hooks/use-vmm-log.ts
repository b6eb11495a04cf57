import { useRef, useState } from 'react';
import type { LogRecord, VmView } from '../../vmm/monitor-api.js';
import { useInterval } from './use-interval.js';

export interface LogView {
  readonly records: readonly LogRecord[];
  readonly lost: number;
}

/** The newest `keep` VMM log records, read by cursor every `ms`, with the count the ring lost. */
export function useVmmLog(vm: VmView, keep = 500, ms = 250): LogView {
  const cursor = useRef(0);
  const [view, setView] = useState<LogView>({ records: [], lost: 0 });
  useInterval(() => {
    const result = vm.readLog(cursor.current, 256);
    cursor.current = result.nextCursor;
    if (result.records.length === 0 && result.lost === 0) return;
    setView((old) => ({ records: [...old.records, ...result.records].slice(-keep), lost: old.lost + result.lost }));
  }, ms);
  return view;
}
