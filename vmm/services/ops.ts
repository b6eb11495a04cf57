/**
 * The CALL ops, VMM side: each takes its argument bytes and answers a status or result data.
 * Layouts and argument checks come from shell-protocol; the answers from the VMM's shared state.
 */
import {
  ALL_VCPUS, LOG_LEVEL_QUERY, Op, PRIVILEGED_OPS, Status, VcpuState,
} from '../../shell-protocol/constants.js';
import {
  btSize, decodeAddressArgs, decodeBtArgs, decodeDisArgs, decodeLogLevelArgs, decodeLogReadArgs, decodeMemReadArgs,
  decodeRangeArgs, decodeVcpuArgs, encodeBt, encodeDis, encodeExitStats, encodeLogLevelResult, encodeLogRead, encodeOps,
  encodeProtected, encodeRegs, encodeText, echoArgsStatus, encodeTranslation, encodeVmInfo, exitStatsSize, opsSize,
} from '../../shell-protocol/ops.js';
import type { RequestEntries } from '../../shell-protocol/codec.js';
import { EXIT_REASON_COUNT } from '../../shell-protocol/exit-reasons.js';
import { RegisterSnapshot, VmInfo } from '../../shell-protocol/structs.js';
import { gpa, gva, hex } from '../hw/address.js';
import { Attention } from '../hw/cpu.js';
import { Cr0 } from '../hw/state.js';
import { walk } from '../hw/mmu.js';
import { LEVELS } from '../log-ring.js';
import type { RegisterSnapshot as Snapshot } from '../monitor-api.js';
import { Control } from '../shared.js';
import { LOGO, HELLO_MESSAGE } from '../exits/vmcall.js';
import { backtrace } from './backtrace.js';
import type { Caller } from './caller.js';
import { type ServiceContext, VMM_NAME } from './context.js';
import { disassemble } from './disassemble.js';

/** An entry's arguments, in place in the request: `args()` makes a view of them for a decoder. */
export type OpArgs = Pick<RequestEntries, 'bytes' | 'argStart' | 'argLength' | 'args'>;

/**
 * An op's answer: a status without data, data bytes, data written straight into the response, or
 * the op's own arguments (ECHO), copied from the request without a view made of them.
 */
export type OpAnswer =
  | number
  | Uint8Array
  | { readonly length: number; readonly fill: Fill }
  | OpArgs;

export type OpHandler = (caller: Caller, ctx: ServiceContext, args: OpArgs) => OpAnswer;

const STATE_CODE = { 'not-started': VcpuState.NOT_STARTED, running: VcpuState.RUNNING, halted: VcpuState.HALTED, stopped: VcpuState.STOPPED } as const;
/** CR0.PG as a snapshot holds it. */
const BIG_CR0_PG = BigInt(Cr0.PG);
const BANNER = encodeText(`GREETINGS FROM VMX-ROOT...\n${LOGO}\n${HELLO_MESSAGE}\n`);

type Fill = (bytes: Uint8Array, at: number) => void;
function filled(length: number, fill: Fill): OpAnswer {
  return { length, fill };
}

function noArgs(args: OpArgs, answer: () => OpAnswer): OpAnswer {
  return args.argLength === 0 ? answer() : Status.EINVAL;
}

function vcpuIndex(ctx: ServiceContext, args: OpArgs, allowAll: boolean): number | undefined {
  const decoded = decodeVcpuArgs(args.args());
  if (!decoded.ok) return undefined;
  const v = decoded.value;
  if (v === ALL_VCPUS) return allowAll ? v : undefined;
  return v < ctx.shared.vcpus ? v : undefined;
}

const hello: OpHandler = (_caller, _ctx, args) => noArgs(args, () => BANNER);

const vmInfo: OpHandler = (_caller, ctx, args) =>
  noArgs(args, () =>
    encodeVmInfo({
      vcpuCount: ctx.shared.vcpus,
      logLevel: Atomics.load(ctx.shared.control, Control.LOG_LEVEL),
      memoryBytes: BigInt(ctx.shared.memory.size),
      uptimeNs: BigInt(Math.round(ctx.shared.uptimeMs() * 1e6)),
      vmmName: VMM_NAME,
    }, new Uint8Array(VmInfo.size)),
  );

/** The caller's own registers as of this VMCALL; another vCPU's as of its last exit (it is asked for a new one). */
function snapshot(caller: Caller, ctx: ServiceContext, target: number): Snapshot {
  if (target === caller.index) caller.publishSnapshot();
  else ctx.shared.kick(target, Attention.SNAPSHOT);
  return ctx.shared.readSnapshot(target);
}

const vcpuRegs: OpHandler = (caller, ctx, args) => {
  const target = vcpuIndex(ctx, args, false);
  if (target === undefined) return Status.EINVAL;
  const s = snapshot(caller, ctx, target);
  return encodeRegs({
    vcpu: target, state: STATE_CODE[s.state], sequence: s.sequence, lastExitReason: s.lastExitReason, cpl: s.cpl,
    gprs: s.gprs, rip: s.rip, rflags: s.rflags, cr0: s.cr0, cr2: s.cr2, cr3: s.cr3, cr4: s.cr4, efer: s.efer,
    fsBase: s.fsBase, gsBase: s.gsBase, cs: s.cs, ds: s.ds, es: s.es, fs: s.fs, gs: s.gs, ss: s.ss,
  }, new Uint8Array(RegisterSnapshot.size));
};

const exitStats: OpHandler = (_caller, ctx, args) => {
  const target = vcpuIndex(ctx, args, true);
  if (target === undefined) return Status.EINVAL;
  const shared = ctx.shared;
  const counts = new Array<number>(EXIT_REASON_COUNT).fill(0);
  const vcpus = target === ALL_VCPUS ? [...Array(shared.vcpus).keys()] : [target];
  for (const v of vcpus) for (let r = 0; r < EXIT_REASON_COUNT; r++) counts[r]! += shared.exitCount(v, r);
  const nonZero = counts.filter((n) => n !== 0).length;
  return filled(exitStatsSize(nonZero), (bytes, at) => encodeExitStats(target, counts, bytes, at));
};

const logRead: OpHandler = (_caller, ctx, args) => {
  const decoded = decodeLogReadArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const cursor = decoded.value.cursor > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(decoded.value.cursor);
  const result = ctx.shared.log.read(cursor, decoded.value.maxRecords);
  return encodeLogRead({
    nextCursor: BigInt(result.nextCursor),
    lost: BigInt(result.lost),
    records: result.records.map((r) => ({ sequence: BigInt(r.sequence), timeNs: BigInt(Math.round(r.timeMs * 1e6)), level: LEVELS.indexOf(r.level), scope: r.scope, message: r.message })),
  });
};

const translate: OpHandler = (caller, _ctx, args) => {
  const decoded = decodeAddressArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const result = walk(caller.memory, caller.cr3, gva(decoded.value));
  // With paging off every address "translates"; only those in guest memory lead anywhere.
  if (!result.ok || !caller.memory.contains(result.gpa, 1)) return Status.EFAULT;
  return encodeTranslation({ gpa: result.gpa, pageSize: BigInt(result.pageSize), flags: result.flags });
};

const memRead: OpHandler = (_caller, ctx, args) => {
  const decoded = decodeMemReadArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const { gpa: start, length } = decoded.value;
  if (!ctx.shared.memory.contains(start, length)) return Status.EFAULT;
  const source = ctx.shared.memory.slice(gpa(start), length);
  return filled(length, (bytes, at) => bytes.set(source, at));
};

const PROTECT_STATUS = {
  ok: Status.OK, 'outside-memory': Status.EFAULT, overlap: Status.EEXIST, full: Status.EBUSY, 'not-found': Status.ENOENT,
  sealed: Status.EPERM, 'shared-page': Status.EBUSY,
} as const;

function protectWith(sealed: boolean): OpHandler {
  return (caller, ctx, args) => {
    const decoded = decodeRangeArgs(args.args());
    if (!decoded.ok) return decoded.error.status;
    const { gpa: start, length } = decoded.value;
    const result = ctx.protectedRanges.protect(start, length, sealed);
    const range = `${hex(start)}-${hex(start + length - 1n)}`;
    if (result === 'ok') caller.log('info', 'ept', sealed ? `Sealed ${range} against guest writes until the VM restarts` : `Protected ${range} against guest writes`);
    return PROTECT_STATUS[result];
  };
}

const unprotect: OpHandler = (caller, ctx, args) => {
  const decoded = decodeRangeArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const range = `${hex(decoded.value.gpa)}+${hex(decoded.value.length)}`;
  const result = ctx.protectedRanges.unprotect(decoded.value.gpa, decoded.value.length);
  if (result === 'ok') caller.log('info', 'ept', `Unprotected ${range}`);
  if (result === 'sealed') caller.log('warn', 'ept', `Refused to unprotect sealed ${range}`);
  return PROTECT_STATUS[result];
};

const protectedList: OpHandler = (_caller, ctx, args) => noArgs(args, () => encodeProtected(ctx.protectedRanges.list()));

const statsReset: OpHandler = (caller, ctx, args) => {
  const target = vcpuIndex(ctx, args, true);
  if (target === undefined) return Status.EINVAL;
  const vcpus = target === ALL_VCPUS ? [...Array(ctx.shared.vcpus).keys()] : [target];
  for (const v of vcpus) ctx.shared.resetExitCounts(v);
  caller.log('info', 'vmc', `Exit counters reset (${target === ALL_VCPUS ? 'all vCPUs' : `vCPU ${target}`})`);
  return Status.OK;
};

const logLevel: OpHandler = (_caller, ctx, args) => {
  const decoded = decodeLogLevelArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const previous = Atomics.load(ctx.shared.control, Control.LOG_LEVEL);
  if (decoded.value !== LOG_LEVEL_QUERY) Atomics.store(ctx.shared.control, Control.LOG_LEVEL, decoded.value);
  return encodeLogLevelResult(previous, Atomics.load(ctx.shared.control, Control.LOG_LEVEL));
};

const echo: OpHandler = (_caller, _ctx, args) => echoArgsStatus(args.argLength) ?? args;

const dis: OpHandler = (caller, _ctx, args) => {
  const decoded = decodeDisArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const result = disassemble(caller, decoded.value);
  return typeof result === 'number' ? result : encodeDis(result);
};

/** RBP's index in a snapshot's GPRs (RAX, RCX, RDX, RBX, RSP, RBP, ...: the ModRM order). */
const GPR_RBP = 5;

/** The RBP chain of a vCPU, read through its own paging as the caller may read it. */
const bt: OpHandler = (caller, ctx, args) => {
  const decoded = decodeBtArgs(args.args());
  if (!decoded.ok) return decoded.error.status;
  const target = decoded.value.vcpu;
  if (target >= ctx.shared.vcpus) return Status.EINVAL;
  const s = snapshot(caller, ctx, target);
  const space = { memory: ctx.shared.memory, cr3: (s.cr0 & BIG_CR0_PG) !== 0n ? s.cr3 : undefined, cpl: caller.cpl };
  const walked = backtrace(space, s.rip, s.gprs[GPR_RBP]!, decoded.value.maxFrames);
  return filled(btSize(walked.frames.length), (bytes, at) => encodeBt({ vcpu: target, stop: walked.stop, sequence: s.sequence, frames: walked.frames }, bytes, at));
};

const HANDLERS = new Map<number, OpHandler>([
  [Op.HELLO, hello],
  [Op.VM_INFO, vmInfo],
  [Op.VCPU_REGS, vcpuRegs],
  [Op.EXIT_STATS, exitStats],
  [Op.LOG_READ, logRead],
  [Op.TRANSLATE, translate],
  [Op.MEM_READ, memRead],
  [Op.UNPROTECT, unprotect],
  [Op.PROTECTED, protectedList],
  [Op.STATS_RESET, statsReset],
  [Op.LOG_LEVEL, logLevel],
  [Op.ECHO, echo],
  [Op.DIS, dis],
  [Op.BT, bt],
  [Op.PROTECT, protectWith(false)],
  [Op.SEAL, protectWith(true)],
]);

const OP_LIST = [...Object.entries(Op)].map(([name, op]) => ({ op, name, privileged: PRIVILEGED_OPS.has(op) }));
HANDLERS.set(Op.OPS, (_caller, _ctx, args) => noArgs(args, () => filled(opsSize(OP_LIST.length), (bytes, at) => encodeOps(OP_LIST, bytes, at))));

/** Run one op for a caller at `cpl`: ENOSYS for an unknown op, EPERM for a privileged one at CPL 3. */
export function runOp(caller: Caller, ctx: ServiceContext, op: number, args: OpArgs): OpAnswer {
  const handler = HANDLERS.get(op);
  if (!handler) return Status.ENOSYS;
  if (caller.cpl !== 0 && PRIVILEGED_OPS.has(op as Op)) return Status.EPERM;
  return handler(caller, ctx, args);
}
