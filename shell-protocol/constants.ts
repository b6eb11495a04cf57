/**
 * The numbers of VMCALL ABI v1. `spec.md` is the normative text; these tables are its source of
 * truth for code, and the C header is generated from them.
 */
import { namesByValue } from './tables.js';

/** "YMIR" as little-endian bytes: what PROBE returns in RBX. */
export const VMC_MAGIC = 0x52494d59;
/** "YMRQ": first field of every CALL request. */
export const REQUEST_MAGIC = 0x51524d59;
/** "YMRS": first field of every CALL response. */
export const RESPONSE_MAGIC = 0x53524d59;
/** "YMSC": first field of the MAP_SHARED counter page. */
export const SHARED_PAGE_MAGIC = 0x43534d59;

export const ABI_MAJOR = 1;
/** 1.1 added DIS, BT and SEAL (and the per-range flags after PROTECTED's ranges). */
export const ABI_MINOR = 1;
/** As PROBE reports it in RCX: major << 16 | minor. */
export const ABI_VERSION = (ABI_MAJOR << 16) | ABI_MINOR;

/** Largest request or response, in bytes. */
export const MAX_MESSAGE_SIZE = 1 << 20;
/** Most entries in one CALL. */
export const MAX_ENTRIES = 1024;
/** Largest ECHO argument and MEM_READ length. */
export const MAX_ECHO_BYTES = 4096;
export const MAX_MEM_READ_BYTES = 65536;
/** Most records one LOG_READ returns. */
export const MAX_LOG_RECORDS = 256;
/** Most write-protected ranges the VMM keeps. */
export const MAX_PROTECTED_RANGES = 64;
export const PAGE_SIZE = 4096;
/** Most instructions one DIS decodes, and most frames one BT returns. */
export const MAX_DIS_INSTRUCTIONS = 64;
export const MAX_BT_FRAMES = 64;
/** The longest x86 instruction (SDM Vol. 2A 2.3.11). */
export const MAX_INSTRUCTION_BYTES = 15;

/** VMCALL service numbers, in RAX. */
export const Service = {
  HELLO: 0,
  PROBE: 1,
  CALL: 2,
  MAP_SHARED: 3,
} as const;
export type Service = (typeof Service)[keyof typeof Service];

/** Feature bits PROBE reports in RDX. */
export const Feature = {
  MULTICALL: 1 << 0,
  PHYSICAL_ADDRESSES: 1 << 1,
  SHARED_COUNTERS: 1 << 2,
  WRITE_PROTECT: 1 << 3,
  LOG: 1 << 4,
  DISASSEMBLY: 1 << 5,
  BACKTRACE: 1 << 6,
  SEAL: 1 << 7,
} as const;
export type Feature = (typeof Feature)[keyof typeof Feature];
export const ALL_FEATURES = Object.values(Feature).reduce((a, b) => a | b, 0);

/** CALL flags, in RDI. */
export const CallFlag = {
  /** Request and response addresses are guest-physical instead of guest-virtual. */
  PHYSICAL: 1 << 0,
} as const;
export type CallFlag = (typeof CallFlag)[keyof typeof CallFlag];
export const CALL_FLAGS_MASK = CallFlag.PHYSICAL;

/** Request header flags. */
export const RequestFlag = {
  /** Stop at the first entry whose status is not OK; later entries are not run. */
  STOP_ON_ERROR: 1 << 0,
} as const;
export type RequestFlag = (typeof RequestFlag)[keyof typeof RequestFlag];
export const REQUEST_FLAGS_MASK = RequestFlag.STOP_ON_ERROR;

/** CALL ops. */
export const Op = {
  HELLO: 1,
  OPS: 2,
  VM_INFO: 3,
  VCPU_REGS: 4,
  EXIT_STATS: 5,
  LOG_READ: 6,
  TRANSLATE: 7,
  MEM_READ: 8,
  PROTECT: 9,
  UNPROTECT: 10,
  PROTECTED: 11,
  STATS_RESET: 12,
  LOG_LEVEL: 13,
  ECHO: 14,
  DIS: 15,
  BT: 16,
  SEAL: 17,
} as const;
export type Op = (typeof Op)[keyof typeof Op];
export type OpName = keyof typeof Op;

/** Ops that answer EPERM unless the caller runs at CPL 0 (MAP_SHARED, a service, too). */
export const PRIVILEGED_OPS: ReadonlySet<Op> = new Set<Op>([
  Op.MEM_READ,
  Op.PROTECT,
  Op.UNPROTECT,
  Op.SEAL,
  Op.STATS_RESET,
  Op.LOG_LEVEL,
]);

const serviceNames = namesByValue(Service);
/** `2` -> `CALL`; a number the ABI does not define -> `SERVICE_n`. */
export function serviceName(nr: number | bigint): string {
  return serviceNames.get(Number(nr)) ?? `SERVICE_${nr}`;
}

const opNames = namesByValue(Op);
export function opName(op: number): string {
  return opNames.get(op) ?? `OP_${op}`;
}
/** The table key of an op number, or undefined for a number ABI v1 does not define. */
export function opKey(op: number): OpName | undefined {
  return opNames.get(op);
}
export function isOp(op: number): op is Op {
  return opNames.has(op);
}

/** Status codes: 0 or a negative Linux errno, as Xen and KVM return them. */
export const Status = {
  OK: 0,
  EPERM: -1,
  ENOENT: -2,
  E2BIG: -7,
  EFAULT: -14,
  EBUSY: -16,
  EEXIST: -17,
  EINVAL: -22,
  ENOSPC: -28,
  ENOSYS: -38,
  EPROTO: -71,
  EOVERFLOW: -75,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
export type StatusName = keyof typeof Status;

const STATUS_MEANING: Record<StatusName, string> = {
  OK: 'success',
  EPERM: 'not permitted (CPL 0 needed, or the range is sealed)',
  ENOENT: 'no such object',
  E2BIG: 'too large',
  EFAULT: 'bad address',
  EBUSY: 'busy',
  EEXIST: 'already exists',
  EINVAL: 'invalid argument',
  ENOSPC: 'response space exhausted',
  ENOSYS: 'not implemented',
  EPROTO: 'protocol error',
  EOVERFLOW: 'value too large for the field',
};

const statusNames = namesByValue(Status);
export function isStatus(value: number): value is Status {
  return statusNames.has(value);
}
/** `-14` -> `EFAULT`; a number outside the table -> `E?(-n)`. */
export function statusName(status: number): string {
  return statusNames.get(status) ?? `E?(${status})`;
}
/** `-14` -> `EFAULT (bad address)`. */
export function statusMessage(status: number): string {
  const name = statusNames.get(status);
  return name ? `${name} (${STATUS_MEANING[name]})` : `unknown status ${status}`;
}

/** vCPU run state in snapshots. */
export const VcpuState = {
  NOT_STARTED: 0,
  RUNNING: 1,
  HALTED: 2,
  STOPPED: 3,
} as const;
export type VcpuState = (typeof VcpuState)[keyof typeof VcpuState];

/** VMM log levels (LOG_LEVEL, LOG_READ). */
export const LogLevel = {
  DEBUG: 0,
  INFO: 1,
  WARN: 2,
  ERROR: 3,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
/** LOG_LEVEL argument that only reads the level. */
export const LOG_LEVEL_QUERY = 0xffffffff;
/** EXIT_STATS / STATS_RESET argument meaning every vCPU. */
export const ALL_VCPUS = 0xffffffff;

/** TRANSLATE permission bits. */
export const PageFlag = {
  PRESENT: 1 << 0,
  WRITABLE: 1 << 1,
  USER: 1 << 2,
  NO_EXECUTE: 1 << 3,
} as const;
export type PageFlag = (typeof PageFlag)[keyof typeof PageFlag];

/** OPS result entry flags. */
export const OpInfoFlag = {
  PRIVILEGED: 1 << 0,
} as const;
export type OpInfoFlag = (typeof OpInfoFlag)[keyof typeof OpInfoFlag];

/** DIS argument `syntax`: how the VMM formats the instructions. */
export const DisSyntax = {
  INTEL: 0,
  /** AT&T, as GNU as writes it. */
  ATT: 1,
} as const;
export type DisSyntax = (typeof DisSyntax)[keyof typeof DisSyntax];

/** DIS result `stop`: why fewer instructions than asked may follow. */
export const DisStop = {
  /** As many instructions as asked were decoded. */
  COUNT: 0,
  /** The next instruction's bytes are not readable (unmapped, outside guest memory, or supervisor to a CPL-3 caller). */
  UNMAPPED: 1,
} as const;
export type DisStop = (typeof DisStop)[keyof typeof DisStop];

/** Flags of one disassembled instruction. */
export const DisInsnFlag = {
  /** The bytes are not a valid instruction (text `(bad)`); decoding went on after them. */
  INVALID: 1 << 0,
} as const;
export type DisInsnFlag = (typeof DisInsnFlag)[keyof typeof DisInsnFlag];

/** BT result `stop`: why the walk of the RBP chain ended. */
export const BtStop = {
  /** max_frames frames were returned. */
  MAX_FRAMES: 0,
  /** RBP reached 0: the outermost frame. */
  ZERO_FRAME: 1,
  /** A frame's 16 bytes are not readable (unmapped, outside guest memory, or supervisor to a CPL-3 caller). */
  UNMAPPED: 2,
  /** The saved RBP does not lie above the frame it was read from: a corrupt chain, or code without frame pointers. */
  NOT_INCREASING: 3,
} as const;
export type BtStop = (typeof BtStop)[keyof typeof BtStop];

/** Per-range flags after PROTECTED's ranges (ABI 1.1). */
export const ProtectedFlag = {
  /** Made by SEAL: nothing lifts it until the VM restarts. */
  SEALED: 1 << 0,
} as const;
export type ProtectedFlag = (typeof ProtectedFlag)[keyof typeof ProtectedFlag];
