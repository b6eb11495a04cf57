/**
 * The command lines the C ymirsh is checked on, each with the VMM that answers them. Their
 * expected output (typescript-answers.json) was recorded from the TypeScript ymirsh, the first
 * implementation of these commands, against the same answers before it was retired.
 */
import { LogLevel, Op, Status } from '../../shell-protocol/constants.js';
import { encodeExitStats, encodeLogRead, exitStatsSize } from '../../shell-protocol/ops.js';
import { type Responder, goldenVmm } from './oracle.js';

export interface Scenario {
  readonly lines: readonly string[];
  readonly respond: Responder;
}

export const ANSWERS = [
  'version', 'info', 'regs 1', 'regs all', 'exits', 'exits 0', 'exits --sort name --all', 'exits all --sort reason', 'log -n 5',
  'translate 0x7f0000001000', 'xp/6xw 0x1000', 'xp/24xb 0x1000', 'xp/3xg 0x1000', 'xp/6dw 0x1000', 'xp/12uh 0x1000', 'xp/24c 0x1000',
  'xp/3dg 0x1000', 'x/6xw 0x7f0000001000', 'protect 0x100000 0x2000', 'unprotect 0x100000 0x2000',
  'stats reset 0', 'stats reset', 'loglevel warn', 'loglevel', 'ops', 'banner', 'hello',
];

export const USAGE_ERRORS = [
  'x/8q 0x1000', 'xp/0xw 0x1000', 'xp/99999999999999999999xb 0', 'x/2xg 0xfffffffffffffffc', 'x', 'regs 1 2', 'regs 300', 'regs zz', 'exits --sort foo',
  'exits --bogus', 'exits --watch 0', 'loglevel loud', 'translate', 'translate 1 2', 'translate 0x1_0000_0000_0000_0000', 'protect 1',
  'unprotect 0x1000', 'stats', 'stats clear', 'ping 0', 'ping 2000000', 'log -z', 'log -n', 'hello there', 'protected 1', 'frob',
];

/** 1, 3, 5 and 7 of 20000 are 0.005, 0.015, 0.025 and 0.035 %: the doubles lie above, below, above and above. */
function roundingVmm(): Responder {
  const counts = Array.from({ length: 76 }, (_, r) => [1, 3, 5, 7, 19984][[10, 12, 18, 30, 48].indexOf(r)] ?? 0);
  const stats = new Uint8Array(exitStatsSize(5));
  encodeExitStats(0xffffffff, counts, stats);
  const times = [500n, 1_000_000_500n, 2_500n, 7_500n, 123_456_789_500n, 999_999_999_500n, 4_000_000_000_000n];
  const records = times.map((timeNs, i) => ({ sequence: BigInt(i), timeNs, level: LogLevel.INFO, scope: 'vmc', message: `record ${i}\n\n` }));
  return (op, args) => {
    if (op === Op.EXIT_STATS) return { status: 0, data: stats };
    if (op === Op.LOG_READ && new DataView(args.buffer, args.byteOffset).getBigUint64(0, true) < 7n) return { status: 0, data: encodeLogRead({ nextCursor: 7n, lost: 2n, records }) };
    if (op === Op.LOG_READ) return { status: 0, data: encodeLogRead({ nextCursor: 7n, lost: 0n, records: [] }) };
    return goldenVmm()(op, args);
  };
}

export const SCENARIOS = {
  answers: { lines: [...ANSWERS, 'protected'], respond: goldenVmm() },
  usage: { lines: USAGE_ERRORS, respond: goldenVmm() },
  rounding: { lines: ['exits', 'exits --sort name', 'log'], respond: roundingVmm() },
  failing: {
    lines: ['translate 0x7f0000001000', 'x/2xg 0x7f0000001000', 'regs 9', 'regs all', 'protect 0x3000000 0x2000', 'unprotect 0x3000000 0x2000', 'xp/2xg 0x1000', 'stats reset 1', 'loglevel error', 'protected'],
    respond: goldenVmm({ [Op.TRANSLATE]: Status.EFAULT, [Op.VCPU_REGS]: Status.EINVAL, [Op.PROTECT]: Status.EEXIST, [Op.UNPROTECT]: Status.ENOENT, [Op.MEM_READ]: Status.EPERM, [Op.STATS_RESET]: Status.EPERM, [Op.LOG_LEVEL]: Status.EPERM, [Op.PROTECTED]: Status.ENOSYS }),
  },
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
