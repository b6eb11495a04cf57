import { useRef, useState } from 'react';
import type { VmView } from '../../vmm/monitor-api.js';
import { type ExitCounts, type ExitSummary, readExitCounts, summarizeExits } from '../exit-table.js';
import { useInterval } from './use-interval.js';

export interface ExitRates {
  readonly summary: ExitSummary;
  /** When each reason's count (in this scope) last grew, by performance.now(). */
  readonly changedAt: ReadonlyMap<number, number>;
}

/**
 * The exit table of every vCPU or one, with rates over the last `ms`, refreshed every `ms`. The
 * view changes (and the pane redraws) only when a count or a rate did: an idle VM costs no frames.
 */
export function useExitRates(vm: VmView, vcpu: number | 'all', ms = 500): ExitRates {
  const previous = useRef<{ counts: ExitCounts; at: number } | undefined>(undefined);
  const changedAt = useRef(new Map<number, number>());
  const [rates, setRates] = useState<ExitRates>(() => ({ summary: summarizeExits(readExitCounts(vm), undefined, 0, vcpu), changedAt: changedAt.current }));
  const refresh = (): void => {
    const now = performance.now();
    const counts = readExitCounts(vm);
    const last = previous.current;
    const summary = summarizeExits(counts, last?.counts, last ? (now - last.at) / 1000 : 0, vcpu);
    const before = last ? summarizeExits(last.counts, undefined, 0, vcpu) : undefined;
    for (const row of summary.rows) {
      const old = before?.rows.find((r) => r.reason === row.reason)?.total ?? 0;
      if (row.total > old) changedAt.current.set(row.reason, now);
    }
    previous.current = { counts, at: now };
    setRates((old) => (sameSummary(old.summary, summary) ? old : { summary, changedAt: new Map(changedAt.current) }));
  };
  useInterval(refresh, ms);
  const scope = useRef(vcpu);
  if (scope.current !== vcpu) {
    scope.current = vcpu;
    queueMicrotask(refresh); // a new scope shows at once, not at the next tick
  }
  return rates;
}

function sameSummary(a: ExitSummary, b: ExitSummary): boolean {
  return a.vcpu === b.vcpu && a.total === b.total && Math.round(a.rate) === Math.round(b.rate) && a.rows.length === b.rows.length &&
    a.rows.every((row, i) => row.reason === b.rows[i]!.reason && row.total === b.rows[i]!.total && Math.round(row.rate) === Math.round(b.rows[i]!.rate));
}
