/**
 * The TUI idle (CPU, bytes drawn) and while the guest floods the console: Ink's render time per
 * frame, the time from a key to the frame that shows it, and the memory of the process — measured
 * in a child process (bench/tui-session.ts) so nothing else the bench did counts against it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Figure, median, percentile } from '../harness.js';
import type { TuiSessionReport } from '../tui-session.js';

const SESSION = fileURLToPath(new URL(`../tui-session${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));

function session(): Promise<TuiSessionReport> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, SESSION], { env: { ...process.env, NODE_ENV: 'production' }, timeout: 60_000 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as TuiSessionReport);
    });
  });
}

export async function tuiFigures(): Promise<Figure[]> {
  const report = await session();
  const note = `guest printed ${(report.floodBytes / 2 ** 20).toFixed(1)} MiB meanwhile`;
  return [
    { name: 'idle TUI at the shell prompt, CPU use (whole process, VM included)', value: report.idleCpuPercent, unit: '% core', target: { value: 2, direction: 'at-most' }, note: '120x40, 5 s after boot settled' },
    { name: 'idle TUI, bytes drawn on the terminal per second', value: report.idleBytesPerSecond, unit: 'B/s', note: 'only changed rows are redrawn' },
    { name: 'TUI under a console flood: frame render time, p95', value: percentile(report.frameMs, 95), unit: 'ms', target: { value: 33, direction: 'at-most' }, note: `${report.frameMs.length} frames; ${note}` },
    { name: 'TUI under a console flood: input-to-echo latency, median', value: median(report.echoMs), unit: 'ms' },
    { name: 'TUI under a console flood: input-to-echo latency, p95', value: percentile(report.echoMs, 95), unit: 'ms', target: { value: 50, direction: 'at-most' }, note: `${report.echoMs.length} keys` },
    { name: 'host process memory with the TUI (RSS)', value: report.rssBytes / 2 ** 20, unit: 'MiB', target: { value: 200, direction: 'at-most' }, note: 'VM of 64 MiB, 2 vCPUs, full scrollback' },
  ];
}
