import { useRef, useState } from 'react';
import type { VmMonitor } from '../../vmm/monitor-api.js';
import { type ExitSummary, exitSummary } from '../exit-table.js';
import { useInterval } from './use-interval.js';

/** The exit table over every vCPU, with rates from the counts `ms` ago, refreshed every `ms`. */
export function useExitRates(vm: VmMonitor, ms = 500): ExitSummary {
  const previous = useRef<{ counts: number[]; at: number } | undefined>(undefined);
  const [summary, setSummary] = useState<ExitSummary>(() => exitSummary(vm, undefined, 0).summary);
  useInterval(() => {
    const now = performance.now();
    const last = previous.current;
    const next = exitSummary(vm, last?.counts, last ? (now - last.at) / 1000 : 0);
    previous.current = { counts: next.counts, at: now };
    setSummary(next.summary);
  }, ms);
  return summary;
}
