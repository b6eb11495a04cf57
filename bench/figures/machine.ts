/**
 * The machine and the VMCALL services, timed from inside the guest (bench/images/machine-bench.ts):
 * an exit's round trip, PROBE, multi-call entries, a 64 KiB CALL response and UART output.
 */
import { MAX_MEM_READ_BYTES } from '../../shell-protocol/index.js';
import { createVm } from '../../vmm/vm.js';
import { type Figure, median, percentile } from '../harness.js';
import { MULTICALL_SIZES, type MachineBenchReport, UART_BYTES } from '../images/machine-bench.js';

/** The guest image next to this module, as compiled (.js) or run from source (.ts). */
export function benchImage(name: string): string {
  return new URL(`../images/${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
}

async function runGuest(): Promise<{ report: MachineBenchReport; uartReceived: number }> {
  const vm = createVm({ vcpus: 1, guestImage: benchImage('machine-bench') });
  let uartReceived = 0;
  vm.com1.onData((bytes) => { uartReceived += bytes.length; });
  let com2 = '';
  vm.com2.onData((bytes) => { com2 += Buffer.from(bytes).toString(); });
  vm.start();
  const stop = await vm.waitForStop();
  if (stop.kind !== 'debug-exit' || stop.status !== 0) throw new Error(`the machine bench guest stopped: ${JSON.stringify(stop, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return { report: JSON.parse(com2) as MachineBenchReport, uartReceived };
}

export async function machineFigures(): Promise<Figure[]> {
  const { report, uartReceived } = await runGuest();
  if (uartReceived < UART_BYTES) throw new Error(`COM1 delivered ${uartReceived} of ${UART_BYTES} bytes`);
  const note = 'guest RDTSC over batches; p50/p99 of batch averages';
  const figures: Figure[] = [
    { name: 'CPUID exit round trip, in the guest, p50', value: median(report.cpuid), unit: 'ns', note },
    { name: 'VMCALL round trip (PROBE), in the guest, p50', value: median(report.probe), unit: 'ns', target: { value: 100, direction: 'at-most' }, note },
    { name: 'VMCALL round trip (PROBE), in the guest, p99', value: percentile(report.probe, 99), unit: 'ns', note },
  ];
  for (const entries of MULTICALL_SIZES) {
    const perEntry = median(report.multicall[entries]!);
    figures.push({
      name: `multi-call ECHO(8 bytes), ${entries} entr${entries === 1 ? 'y' : 'ies'} per call, per entry`,
      value: perEntry,
      unit: 'ns',
      ...(entries === 256 ? { target: { value: 20, direction: 'at-most' as const } } : {}),
    });
    figures.push({ name: `multi-call ECHO(8 bytes), ${entries} per call, throughput`, value: 1e9 / perEntry, unit: 'entries/s' });
  }
  figures.push({ name: '64 KiB response through CALL (MEM_READ)', value: MAX_MEM_READ_BYTES / (median(report.memRead64k) / 1e9), unit: 'B/s', target: { value: 2e9, direction: 'at-least' } });
  figures.push({ name: 'UART output, one I/O exit per byte', value: UART_BYTES / (report.uartNs / 1e9), unit: 'B/s', target: { value: 5e6, direction: 'at-least' } });
  return figures;
}
