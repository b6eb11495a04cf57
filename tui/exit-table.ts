/**
 * Exit counts as kvm_stat shows them — per reason over every vCPU, with % of total and rate — for
 * the TUI's exits pane, `ymir stat` and `ymir top`. Plain data: no Ink here, so the commands that
 * do not draw the TUI do not load it.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../shell-protocol/exit-reasons.js';
import type { VmMonitor } from '../vmm/monitor-api.js';

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

export type ExitSortKey = 'total' | 'rate' | 'name';
export const EXIT_SORT_KEYS: readonly ExitSortKey[] = ['total', 'rate', 'name'];

export function sortExits(rows: readonly ExitRow[], sort: ExitSortKey): ExitRow[] {
  return [...rows].sort((a, b) =>
    sort === 'name' ? exitReasonName(a.reason).localeCompare(exitReasonName(b.reason))
    : sort === 'rate' ? b.rate - a.rate || b.total - a.total
    : b.total - a.total);
}
