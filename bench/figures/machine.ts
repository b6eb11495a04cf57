/**
 * The machine and the VMCALL services, timed from inside the guest (bench/images/machine-bench.c):
 * an exit's round trip, PROBE, multi-call entries, a 64 KiB CALL response and UART output.
 */
import { fileURLToPath } from 'node:url';
import { MAX_MEM_READ_BYTES } from '../../shell-protocol/index.js';
import { createVm } from '../../vmm/vm.js';
import { bareImage } from '../../scripts/build-image.js';
import { type Figure, median, percentile } from '../harness.js';

/** A bench image's C source (bench/images/<name>.c), from source or from the build. */
export function benchSource(name: string): string {
  return fileURLToPath(new URL(`${import.meta.url.includes('/dist/') ? '../../../bench' : '..'}/images/${name}.c`, import.meta.url));
}

interface MachineBenchReport {
  /** ns per call, one value per batch. */
  readonly cpuid: number[];
  readonly probe: number[];
  /** ns per multi-call entry, one value per batch, by entries per call. */
  readonly echo1: number[];
  readonly echo16: number[];
  readonly echo256: number[];
  /** ns for one CALL answering 64 KiB. */
  readonly memRead64k: number[];
  readonly uartNs: number;
  readonly uartBytes: number;
}

async function runGuest(): Promise<{ report: MachineBenchReport; uartReceived: number }> {
  const vm = createVm({ vcpus: 1, kernel: bareImage(benchSource('machine-bench')), initrd: '' });
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
  if (uartReceived < report.uartBytes) throw new Error(`COM1 delivered ${uartReceived} of ${report.uartBytes} bytes`);
  const note = 'guest RDTSC over batches; p50/p99 of batch averages';
  const figures: Figure[] = [
    { name: 'CPUID exit round trip, in the guest, p50', value: median(report.cpuid), unit: 'ns', note },
    { name: 'CPUID exit round trip, in the guest, p99', value: percentile(report.cpuid, 99), unit: 'ns', note },
    { name: 'VMCALL round trip (PROBE), in the guest, p50', value: median(report.probe), unit: 'ns', target: { value: 250, direction: 'at-most' }, note },
    { name: 'VMCALL round trip (PROBE), in the guest, p99', value: percentile(report.probe, 99), unit: 'ns', note },
  ];
  for (const [entries, values] of [[1, report.echo1], [16, report.echo16], [256, report.echo256]] as const) {
    const perEntry = median(values);
    figures.push({ name: `multi-call ECHO(8 bytes), ${entries} entr${entries === 1 ? 'y' : 'ies'} per call, per entry`, value: perEntry, unit: 'ns' });
  }
  figures.push({ name: '64 KiB response through CALL (MEM_READ)', value: MAX_MEM_READ_BYTES / (median(report.memRead64k) / 1e9), unit: 'B/s' });
  figures.push({ name: 'UART output, one I/O exit per byte', value: report.uartBytes / (report.uartNs / 1e9), unit: 'B/s' });
  return figures;
}
