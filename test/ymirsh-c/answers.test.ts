import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogLevel, Op, Status } from '../../shell-protocol/constants.js';
import { encodeExitStats, encodeLogRead, exitStatsSize } from '../../shell-protocol/ops.js';
import { type Responder, byCommand, goldenVmm, pipeAnswer, runTypeScript } from './oracle.js';
import { Kind, build, runYmirsh } from './pipe.js';

let binary: string;
beforeAll(() => {
  binary = `${build()}/ymirsh-pipe`;
});

/** Run `lines` in one C ymirsh (-k --json) and each in the TypeScript ymirsh against the same VMM. */
async function both(lines: readonly string[], respond: Responder) {
  const run = await runYmirsh(binary, ['-k', '--json', '-c', lines.join('; ')], { answer: pipeAnswer(respond) });
  const outputs = byCommand(run.stdout);
  const reports = new Map(run.data.trim().split('\n').map((l) => JSON.parse(l) as { command: string; status: number; data?: unknown }).map((o) => [o.command, o]));
  return lines.map((line) => ({ line, c: { text: outputs.get(line), status: reports.get(line)?.status, data: reports.get(line)?.data }, ts: runTypeScript(line, respond) }));
}

/** JSON as JSON.stringify leaves it: what --json carries of a TypeScript answer. */
const asJson = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

const ANSWERS = [
  'version', 'info', 'regs 1', 'regs all', 'exits', 'exits 0', 'exits --sort name --all', 'exits all --sort reason', 'log -n 5',
  'translate 0x7f0000001000', 'xp/6xw 0x1000', 'xp/24xb 0x1000', 'xp/3xg 0x1000', 'xp/6dw 0x1000', 'xp/12uh 0x1000', 'xp/24c 0x1000',
  'xp/3dg 0x1000', 'x/6xw 0x7f0000001000', 'protect 0x100000 0x2000', 'unprotect 0x100000 0x2000',
  'stats reset 0', 'stats reset', 'loglevel warn', 'loglevel', 'ops', 'banner', 'hello',
];

describe('the C ymirsh, answered by the golden vectors', () => {
  it('prints every answer as the TypeScript ymirsh prints it, byte for byte', async () => {
    for (const { line, c, ts } of await both(ANSWERS, goldenVmm())) {
      expect(c.text, line).toBe(ts.text);
      expect(c.status, line).toBe(ts.status);
    }
  });

  it('reports the same --json data, exit counts now with each reason\'s SDM number', async () => {
    for (const { line, c, ts } of await both(ANSWERS, goldenVmm())) {
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
    const [{ c, ts }] = (await both(['protected'], goldenVmm())) as [Awaited<ReturnType<typeof both>>[number]];
    const rows = ts.text.split('\n');
    expect(c.text).toBe([rows[0], rows[1], `${rows[2]}  sealed`, ...rows.slice(3)].join('\n'));
    expect(c.data).toEqual((asJson(ts.data) as object[]).map((r, i) => ({ ...r, sealed: i === 1 })));
  });

  it('rounds percentages and times as JavaScript\'s toFixed does, ties included, without floating point', async () => {
    // 1, 3, 5 and 7 of 20000 are 0.005, 0.015, 0.025 and 0.035 %: the doubles lie above, below, above and above.
    const counts = Array.from({ length: 76 }, (_, r) => [1, 3, 5, 7, 19984][[10, 12, 18, 30, 48].indexOf(r)] ?? 0);
    const stats = new Uint8Array(exitStatsSize(5));
    encodeExitStats(0xffffffff, counts, stats);
    const times = [500n, 1_000_000_500n, 2_500n, 7_500n, 123_456_789_500n, 999_999_999_500n, 4_000_000_000_000n];
    const records = times.map((timeNs, i) => ({ sequence: BigInt(i), timeNs, level: LogLevel.INFO, scope: 'vmc', message: `record ${i}\n\n` }));
    const respond: Responder = (op, args) => {
      if (op === Op.EXIT_STATS) return { status: 0, data: stats };
      if (op === Op.LOG_READ && new DataView(args.buffer, args.byteOffset).getBigUint64(0, true) < 7n) return { status: 0, data: encodeLogRead({ nextCursor: 7n, lost: 2n, records }) };
      if (op === Op.LOG_READ) return { status: 0, data: encodeLogRead({ nextCursor: 7n, lost: 0n, records: [] }) };
      return goldenVmm()(op, args);
    };
    for (const { line, c, ts } of await both(['exits', 'exits --sort name', 'log'], respond)) expect(c.text, line).toBe(ts.text);
  });

  it('explains failed ops in the same sentence', async () => {
    const failing = goldenVmm({ [Op.TRANSLATE]: Status.EFAULT, [Op.VCPU_REGS]: Status.EINVAL, [Op.PROTECT]: Status.EEXIST, [Op.UNPROTECT]: Status.ENOENT, [Op.MEM_READ]: Status.EPERM, [Op.STATS_RESET]: Status.EPERM, [Op.LOG_LEVEL]: Status.EPERM, [Op.PROTECTED]: Status.ENOSYS });
    const lines = ['translate 0x7f0000001000', 'x/2xg 0x7f0000001000', 'regs 9', 'regs all', 'protect 0x3000000 0x2000', 'unprotect 0x3000000 0x2000', 'xp/2xg 0x1000', 'stats reset 1', 'loglevel error', 'protected'];
    for (const { line, c, ts } of await both(lines, failing)) {
      expect(c.text, line).toBe(ts.text);
      expect([c.status, ts.status], line).toEqual([1, 1]);
    }
    const [{ c }] = (await both(['x/2xg 0x7f0000001000'], goldenVmm({ [Op.MEM_READ]: Status.EPERM }))) as [Awaited<ReturnType<typeof both>>[number]];
    expect(c.text).toBe('x: EPERM: reading page 0x7f0000001000 needs root (CPL 0)\n');
  });

  it('gives the same usage errors, with status 2', async () => {
    const lines = [
      'x/8q 0x1000', 'xp/0xw 0x1000', 'xp/99999999999999999999xb 0', 'x/2xg 0xfffffffffffffffc', 'x', 'regs 1 2', 'regs 300', 'regs zz', 'exits --sort foo',
      'exits --bogus', 'exits --watch 0', 'loglevel loud', 'translate', 'translate 1 2', 'translate 0x1_0000_0000_0000_0000', 'protect 1',
      'unprotect 0x1000', 'stats', 'stats clear', 'ping 0', 'ping 2000000', 'log -z', 'log -n', 'hello there', 'protected 1', 'frob',
    ];
    for (const { line, c, ts } of await both(lines, goldenVmm())) {
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
