import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Op, Status } from '../../shell-protocol/constants.js';
import { byCommand, goldenVmm, pipeAnswer, recorded } from './oracle.js';
import { Kind, build, runYmirsh } from './pipe.js';
import { ANSWERS, SCENARIOS, type ScenarioName } from './scenarios.js';

let binary: string;
beforeAll(() => {
  binary = `${build()}/ymirsh-pipe`;
});

/** Run `lines` of a scenario in one C ymirsh (-k --json), each beside what the TypeScript ymirsh answered. */
async function both(scenario: ScenarioName, lines: readonly string[] = SCENARIOS[scenario].lines) {
  const run = await runYmirsh(binary, ['-k', '--json', '-c', lines.join('; ')], { answer: pipeAnswer(SCENARIOS[scenario].respond) });
  const outputs = byCommand(run.stdout);
  const reports = new Map(run.data.trim().split('\n').map((l) => JSON.parse(l) as { command: string; status: number; data?: unknown }).map((o) => [o.command, o]));
  return lines.map((line) => ({ line, c: { text: outputs.get(line), status: reports.get(line)?.status, data: reports.get(line)?.data }, ts: recorded(scenario, line) }));
}

/** JSON as JSON.stringify leaves it: what --json carries of a TypeScript answer. */
const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

describe('the C ymirsh, answered by the golden vectors', () => {
  it('prints every answer as the TypeScript ymirsh prints it, byte for byte', async () => {
    for (const { line, c, ts } of await both('answers', ANSWERS)) {
      expect(c.text, line).toBe(ts.text);
      expect(c.status, line).toBe(ts.status);
    }
  });

  it('reports the same --json data, exit counts now with each reason\'s SDM number', async () => {
    for (const { line, c, ts } of await both('answers', ANSWERS)) {
      let expected = asJson(ts.data);
      if (line.startsWith('exits')) {
        const data = expected as { counts: Record<string, number> };
        const numbers: Record<string, number> = { CPUID: 10, HLT: 12, VMCALL: 18 };
        expected = { ...data, counts: Object.entries(data.counts).map(([reason, count]) => ({ reason, nr: numbers[reason], count })) };
      }
      expect(c.data, line).toEqual(expected);
    }
  });

  it('shows each range of PROTECTED as the TypeScript ymirsh did, and marks the sealed one', async () => {
    const [{ c, ts }] = (await both('answers', ['protected'])) as [Awaited<ReturnType<typeof both>>[number]];
    const rows = ts.text.split('\n');
    expect(c.text).toBe([rows[0], rows[1], `${rows[2]}  sealed`, ...rows.slice(3)].join('\n'));
    expect(c.data).toEqual((asJson(ts.data) as object[]).map((r, i) => ({ ...r, sealed: i === 1 })));
  });

  it('rounds percentages and times as JavaScript\'s toFixed does, ties included, without floating point', async () => {
    for (const { line, c, ts } of await both('rounding')) expect(c.text, line).toBe(ts.text);
  });

  it('explains failed ops in the same sentence', async () => {
    for (const { line, c, ts } of await both('failing')) {
      expect(c.text, line).toBe(ts.text);
      expect([c.status, ts.status], line).toEqual([1, 1]);
    }
    const run = await runYmirsh(binary, ['-c', 'x/2xg 0x7f0000001000'], { answer: pipeAnswer(goldenVmm({ [Op.MEM_READ]: Status.EPERM })) });
    expect(byCommand(run.stdout).get('x/2xg 0x7f0000001000')).toBe('x: EPERM: reading page 0x7f0000001000 needs root (CPL 0)\n');
  });

  it('gives the same usage errors, with status 2', async () => {
    for (const { line, c, ts } of await both('usage')) {
      // protect gained --seal.
      expect(c.text, line).toBe(ts.text.replace('usage: protect GPA LEN', 'usage: protect [--seal] GPA LEN'));
      expect([c.status, ts.status], line).toEqual([2, 2]);
    }
  });

  it('builds requests byte for byte as the golden vectors hold them', async () => {
    const cases: [string, string][] = [
      ['banner', 'request-hello'], ['ops', 'request-ops'], ['regs 1', 'request-vcpu_regs'], ['exits', 'request-exit_stats'],
      ['translate 0x7f0000001000', 'request-translate'], ['xp/6xw 0x1000', 'request-mem_read'], ['protect 0x100000 0x2000', 'request-protect'],
      ['unprotect 0x100000 0x2000', 'request-unprotect'], ['protect --seal 0x100000 0x2000', 'request-seal'], ['protected', 'request-protected'],
      ['stats reset 0', 'request-stats_reset'], ['loglevel warn', 'request-log_level'], ['echo ymir', 'request-echo'], ['dis 0x401000 3', 'request-dis'],
      ['bt 0', 'request-bt'],
    ];
    const vectors = fileURLToPath(new URL('../../shell-protocol/vectors/', import.meta.url));
    for (const [line, vector] of cases) {
      const run = await runYmirsh(binary, ['-c', line], { answer: pipeAnswer(goldenVmm()) });
      const requests = run.frames.filter((f) => f.request).map((f) => Buffer.from(f.request!).toString('hex'));
      expect(requests, line).toEqual([readFileSync(`${vectors}${vector}.bin`).toString('hex')]);
    }
    const version = await runYmirsh(binary, ['-c', 'version'], { answer: pipeAnswer(goldenVmm()) });
    expect(version.frames.map((f) => f.request && Buffer.from(f.request).toString('hex'))).toEqual([undefined, undefined, readFileSync(`${vectors}request-vm_info.bin`).toString('hex')]);
  });

  it('sends privileged ops through the kernel and the rest as its own VMCALL', async () => {
    const run = await runYmirsh(binary, ['-c', 'ops; xp/6xw 0x1000; protect 0x100000 0x2000; dis 0x401000 3'], { answer: pipeAnswer(goldenVmm()) });
    expect(run.frames.map((f) => f.kind)).toEqual([Kind.DIRECT, Kind.DIRECT, Kind.KERNEL, Kind.KERNEL, Kind.KERNEL]);
  });
});
