import { useRef, useState } from 'react';
import { EXIT_REASON_COUNT } from '../../shell-protocol/exit-reasons.js';
import type { VmMonitor } from '../../vmm/monitor-api.js';
import { useInterval } from './use-interval.js';

export interface ExitRow {
  readonly reason: number;
  readonly total: number;
  readonly percent: number;
  /** Exits per second over the last refresh. */
  readonly rate: number;
}

export interface ExitSummary {
  readonly rows: readonly ExitRow[];
  readonly total: number;
  readonly rate: number;
}

/** Exit counts over every vCPU, as kvm_stat shows them, refreshed every `ms`. */
export function exitSummary(vm: VmMonitor, previous: readonly number[] | undefined, seconds: number): { summary: ExitSummary; counts: number[] } {
  const counts = new Array<number>(EXIT_REASON_COUNT).fill(0);
  for (let v = 0; v < vm.config.vcpus; v++) vm.exitCounts(v).forEach((n, reason) => { counts[reason]! += n; });
  const total = counts.reduce((a, b) => a + b, 0);
  const rows: ExitRow[] = [];
  let rate = 0;
  counts.forEach((n, reason) => {
    if (n === 0) return;
    const r = previous && seconds > 0 ? Math.max(0, (n - (previous[reason] ?? 0)) / seconds) : 0;
    rate += r;
    rows.push({ reason, total: n, percent: total === 0 ? 0 : (n * 100) / total, rate: r });
  });
  return { summary: { rows, total, rate }, counts };
}

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
