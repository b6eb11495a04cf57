/**
 * Exit counts as kvm_stat shows them — per reason, with % of total and rate, over every vCPU or
 * one — for the TUI's exits pane, `ymir stat` and `ymir top`. Plain data: no Ink here, so the
 * commands that do not draw the TUI do not load it.
 */
import { EXIT_REASON_COUNT, exitReasonName } from '../shell-protocol/exit-reasons.js';
import type { VmView } from '../vmm/monitor-api.js';

export interface VcpuExits {
  readonly total: number;
  /** Exits per second over the last refresh. */
  readonly rate: number;
}

export interface ExitRow {
  readonly reason: number;
  readonly total: number;
  readonly percent: number;
  /** Exits per second over the last refresh. */
  readonly rate: number;
  /** The same, per vCPU in the summary's scope (kvm_stat's drill-down). */
  readonly perVcpu: readonly VcpuExits[];
}

export interface ExitSummary {
  readonly rows: readonly ExitRow[];
  readonly total: number;
  readonly rate: number;
  /** Whose exits: every vCPU, or one. */
  readonly vcpu: number | 'all';
}

/** Counters of every vCPU, indexed [vcpu][reason]: what the next summary's rates are measured from. */
export type ExitCounts = readonly (readonly number[])[];

export function readExitCounts(vm: VmView): number[][] {
  return Array.from({ length: vm.config.vcpus }, (_, v) => [...vm.exitCounts(v)]);
}

/** The summary of `counts` (every vCPU, or `vcpu` alone), with rates from `previous` taken `seconds` before. */
export function summarizeExits(counts: ExitCounts, previous: ExitCounts | undefined, seconds: number, vcpu: number | 'all' = 'all'): ExitSummary {
  const vcpus = vcpu === 'all' ? counts.map((_, v) => v) : [vcpu];
  const rateOf = (v: number, reason: number): number =>
    previous && seconds > 0 ? Math.max(0, ((counts[v]?.[reason] ?? 0) - (previous[v]?.[reason] ?? 0)) / seconds) : 0;
  const rows: ExitRow[] = [];
  let total = 0;
  let rate = 0;
  for (let reason = 0; reason < EXIT_REASON_COUNT; reason++) {
    const perVcpu = vcpus.map((v) => ({ total: counts[v]?.[reason] ?? 0, rate: rateOf(v, reason) }));
    const n = perVcpu.reduce((sum, c) => sum + c.total, 0);
    if (n === 0) continue;
    const r = perVcpu.reduce((sum, c) => sum + c.rate, 0);
    rows.push({ reason, total: n, percent: 0, rate: r, perVcpu });
    total += n;
    rate += r;
  }
  return { rows: rows.map((row) => ({ ...row, percent: total === 0 ? 0 : (row.total * 100) / total })), total, rate, vcpu };
}

/** Reads the counters now and summarises them against `previous` (then pass the returned counts next time). */
export function exitSummary(vm: VmView, previous: ExitCounts | undefined, seconds: number, vcpu: number | 'all' = 'all'): { summary: ExitSummary; counts: number[][] } {
  const counts = readExitCounts(vm);
  return { summary: summarizeExits(counts, previous, seconds, vcpu), counts };
}

export type ExitSortKey = 'total' | 'rate' | 'name';
export const EXIT_SORT_KEYS: readonly ExitSortKey[] = ['total', 'rate', 'name'];

export function sortExits(rows: readonly ExitRow[], sort: ExitSortKey): ExitRow[] {
  return [...rows].sort((a, b) =>
    sort === 'name' ? exitReasonName(a.reason).localeCompare(exitReasonName(b.reason))
    : sort === 'rate' ? b.rate - a.rate || b.total - a.total
    : b.total - a.total);
}

/** A rate or count in at most six characters: 812, 12.3k, 4.1M. */
export function compactNumber(n: number): string {
  const units: readonly [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, suffix] of units) {
    if (n >= size * 0.99995) {
      const scaled = n / size;
      return `${scaled >= 99.95 ? Math.round(scaled) : scaled.toFixed(1)}${suffix}`;
    }
  }
  return String(Math.round(n));
}

/** `n` whole when it fits `width` characters, else compactly (12345678 in 6: 12.3M). */
export function fitNumber(n: number, width: number): string {
  const whole = String(Math.round(n));
  return whole.length <= width ? whole : compactNumber(n);
}
