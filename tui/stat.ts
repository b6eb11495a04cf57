/** `ymir stat`: exit counters as kvm_stat shows them — a live table, `-1` once, `-l` log lines. */
import { exitReasonName } from '../shell-protocol/exit-reasons.js';
import type { VmMonitor } from '../vmm/monitor-api.js';
import { exitSummary, sortExits } from './exit-table.js';

export interface StatOptions {
  readonly once: boolean;
  readonly logLines: boolean;
  readonly intervalMs: number;
}

function table(vm: VmMonitor, previous: number[] | undefined, seconds: number): { text: string; counts: number[] } {
  const { summary, counts } = exitSummary(vm, previous, seconds);
  const lines = [`ymir stat - VM ${vm.state}, up ${(vm.uptimeMs() / 1000).toFixed(1)} s`, '', `${'Event'.padEnd(24)} ${'Total'.padStart(12)} ${'%Total'.padStart(7)} ${'CurAvg/s'.padStart(10)}`];
  for (const row of sortExits(summary.rows, 'total')) {
    lines.push(`${exitReasonName(row.reason).padEnd(24)} ${String(row.total).padStart(12)} ${row.percent.toFixed(1).padStart(7)} ${Math.round(row.rate).toString().padStart(10)}`);
  }
  lines.push(`${'Total'.padEnd(24)} ${String(summary.total).padStart(12)} ${'100.0'.padStart(7)} ${Math.round(summary.rate).toString().padStart(10)}`);
  return { text: `${lines.join('\n')}\n`, counts };
}

/** One line per interval: the per-second rate of each reason seen so far (kvm_stat -l). */
function logLine(vm: VmMonitor, previous: number[] | undefined, seconds: number, header: boolean): { text: string; counts: number[] } {
  const { summary, counts } = exitSummary(vm, previous, seconds);
  const rows = sortExits(summary.rows, 'name');
  const head = header ? `${rows.map((r) => exitReasonName(r.reason).padStart(18)).join(' ')}\n` : '';
  return { text: `${head}${rows.map((r) => Math.round(r.rate).toString().padStart(18)).join(' ')}\n`, counts };
}

/** For views with no console (QEMU's -serial null): the guest's serial output is consumed, so it never waits on a full ring. */
export function discardSerialOutput(vm: VmMonitor): void {
  vm.com1.onData(() => undefined);
  vm.com2.onData(() => undefined);
}

export async function runStat(vm: VmMonitor, options: StatOptions, out: NodeJS.WritableStream, stopped: () => boolean): Promise<void> {
  discardSerialOutput(vm);
  vm.start();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let previous: number[] | undefined;
  let last = performance.now();
  for (let frame = 0; ; frame++) {
    await sleep(options.intervalMs);
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    if (options.logLines) {
      const { text, counts } = logLine(vm, previous, seconds, frame % 20 === 0);
      out.write(text);
      previous = counts;
    } else {
      const { text, counts } = table(vm, previous, seconds);
      out.write(options.once ? text : `\x1b[H\x1b[2J${text}`);
      previous = counts;
    }
    if (options.once || stopped() || vm.state === 'stopped') return;
  }
}
