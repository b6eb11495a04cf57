/**
 * `npm run bench`: measure every figure, print a table and write bench/results.json as
 * `{ machine, results: [{ name, value, unit, target, met, ratioToBaseline }] }`.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Figure, met } from './harness.js';
import { EMPTY_CALL, SAB_ROUND_TRIP, baselineFigures } from './figures/baseline.js';
import { codecFigures } from './figures/codec.js';
import { debugFigures } from './figures/debug.js';
import { machineFigures } from './figures/machine.js';
import { systemFigures } from './figures/system.js';
import { tuiFigures } from './figures/tui.js';

/** Each group measures one part of the project; add a group here when a part gains figures. */
const groups: ReadonlyArray<readonly [string, () => Promise<Figure[]>]> = [
  ['baseline', baselineFigures],
  ['codec', codecFigures],
  ['machine', machineFigures],
  ['system', systemFigures],
  ['debug', () => debugFigures()],
  ['tui', tuiFigures],
];

function formatValue(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function formatTarget(figure: Figure): string {
  if (!figure.target) return '';
  return `${figure.target.direction === 'at-most' ? '<=' : '>='} ${formatValue(figure.target.value)}`;
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const figures: Figure[] = [];
  for (const [group, measure] of groups) {
    if (only && group !== only && group !== 'baseline') continue;
    process.stderr.write(`measuring ${group}...\n`);
    figures.push(...(await measure()));
  }
  const emptyCall = figures.find((f) => f.name === EMPTY_CALL)?.value;
  const sabRoundTrip = figures.find((f) => f.name === SAB_ROUND_TRIP)?.value;
  /** A time figure as a multiple of a baseline measured in this run (rates and sizes have none). */
  const ratio = (f: Figure, baselineNs: number | undefined): number | null => {
    const ns = f.unit === 'ns' ? f.value : f.unit === 'ms' ? f.value * 1e6 : undefined;
    return ns !== undefined && baselineNs ? ns / baselineNs : null;
  };
  const results = figures.map((f) => ({
    name: f.name,
    value: f.value,
    unit: f.unit,
    target: f.target ? `${f.target.direction === 'at-most' ? '<=' : '>='} ${f.target.value} ${f.unit}` : null,
    met: met(f),
    ratioToEmptyCall: ratio(f, emptyCall),
    ratioToSabRoundTrip: ratio(f, sabRoundTrip),
    note: f.note ?? null,
  }));
  const width = Math.max(...figures.map((f) => f.name.length));
  process.stdout.write(`${'figure'.padEnd(width)}  ${'value'.padStart(9)} ${'unit'.padEnd(8)} ${'target'.padEnd(12)} ${'verdict'.padEnd(7)} ${'x empty call'.padStart(12)} ${'x SAB trip'.padStart(10)}\n`);
  results.forEach((r, i) => {
    const f = figures[i]!;
    const verdict = r.met === null ? '' : r.met ? 'met' : 'MISSED';
    const times = (x: number | null): string => (x === null ? '' : formatValue(x));
    process.stdout.write(
      `${f.name.padEnd(width)}  ${formatValue(f.value).padStart(9)} ${f.unit.padEnd(8)} ${formatTarget(f).padEnd(12)} ${verdict.padEnd(7)} ${times(r.ratioToEmptyCall).padStart(12)} ${times(r.ratioToSabRoundTrip).padStart(10)}${f.note ? `  (${f.note})` : ''}\n`,
    );
  });
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
  // bench/results.json at the package root, whether this runs compiled (dist/bench) or from source.
  const out = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './results.json' : '../../bench/results.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify({ machine, results }, null, 2)}\n`);
  process.stdout.write(`\nwrote ${out}\n`);
}

await main();
