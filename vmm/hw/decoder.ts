/**
 * The instruction decoder (SDM Vol.2 chapter 2): legacy prefixes, REX, the one- and two-byte
 * opcode maps of hw/opcodes.ts, ModRM/SIB with every addressing form (RIP-relative, 16- and 32-bit
 * addressing), displacements and immediates. It fills an Insn with everything its handler needs and
 * nothing to look up again. `describeInstruction` turns the same decoding into mnemonic and operands
 * for tests against iced-x86 and for the disassembly the tools show.
 */
import type { Cpu } from './cpu.js';
import { Ea, HIGH_BYTE_BASE, Insn, Rep } from './insn.js';
import { type OpcodeEntry, type OpcodeNode, ONE_BYTE, TWO_BYTE, allEntries } from './opcodes.js';
import { GPR_NAMES, Gpr, SEG_NAMES, Seg, TWO32 } from './state.js';

export const DecodeStatus = {
  OK: 0,
  /** An undefined encoding: #UD. */
  INVALID: 1,
  /** A real instruction the model does not implement: #UD, logged. */
  UNSUPPORTED: 2,
  /** The bytes ran out (only for a byte array). */
  TRUNCATED: 3,
  /** More than 15 bytes: #GP(0) (SDM Vol.2 2.3.11). */
  TOO_LONG: 4,
} as const;

/** Where the decoder reads instruction bytes: byte(k) is the k-th byte, -1 when there is none. */
export interface ByteSource {
  byte(k: number): number;
}

/** Code in guest memory: the bytes of one page, then the next page through a fetch translation. */
export class GuestCodeSource implements ByteSource {
  private physical = 0;
  private pageEnd = 0;
  private linear = 0;

  constructor(private readonly c: Cpu) {}

  reset(physical: number, pageEnd: number, linear: number): void {
    this.physical = physical;
    this.pageEnd = pageEnd;
    this.linear = linear;
  }

  byte(k: number): number {
    const at = this.physical + k;
    return at < this.pageEnd ? this.c.bytes[at]! : this.c.bytes[this.c.fetchAddress(this.linear + k)]!;
  }
}

class ArraySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array, private readonly offset: number) {}
  byte(k: number): number {
    const at = this.offset + k;
    return at < this.bytes.length ? this.bytes[at]! : -1;
  }
}

/** 90 with REX.B is XCHG R8, RAX, not NOP. */
const XCHG_R8 = ONE_BYTE[0x91] as OpcodeEntry;

const FIXED_OPERANDS = new Set(['AL', 'rAX', 'eAX', 'CL', 'DX', '1', 'ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'XB']);

/** Whether an operand is encoded in ModRM. */
function inModrm(spec: string): boolean {
  return !FIXED_OPERANDS.has(spec) && 'EGMRSCD'.includes(spec[0]!);
}

/** Decoder state for one instruction beyond what the Insn keeps (for description). */
interface Raw {
  rex: number;
  segOverride: number;
  modrm: number;
}
const raw: Raw = { rex: 0, segOverride: -1, modrm: -1 };

function sizeOf(rule: string, mode: number, opsize: boolean, rexW: boolean): number {
  const v = rexW ? 8 : opsize ? (mode === 16 ? 4 : 2) : mode === 16 ? 2 : 4;
  switch (rule) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return 4;
    case 'q': return 8;
    case 'd64': return mode === 64 ? (opsize ? 2 : 8) : v;
    case 'f64': return mode === 64 ? 8 : v;
    case 'y': return mode === 64 && rexW ? 8 : 4;
    case 'z': return opsize ? (mode === 16 ? 4 : 2) : mode === 16 ? 2 : 4;
    default: return v;
  }
}

/** The size in bytes an operand spec's suffix names (v, y, z from the instruction's size). */
function operandSize(spec: string, size: number): number {
  const suffix = spec.slice(1);
  switch (suffix) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': return 4;
    case 'q': return 8;
    case 'dq': return 16;
    case 'z': return Math.min(size, 4);
    default: return size;
  }
}

function byteRegister(n: number, size: number, rex: number): number {
  return size === 1 && rex === 0 && n >= 4 && n <= 7 ? HIGH_BYTE_BASE + n - 4 : n;
}

/**
 * Decode the instruction at `ip` (RIP in 64-bit mode, EIP/IP otherwise) for `mode` into `out`.
 * May throw FAULT from a fetch translation (the source's business).
 */
export function decode(src: ByteSource, ip: number, mode: 16 | 32 | 64, out: Insn): number {
  let k = 0;
  let rex = 0;
  let opsize = false;
  let adsize = false;
  let lock = false;
  let rep: number = Rep.NONE;
  let seg = -1;
  let b: number;
  for (;;) {
    if (k >= 15) return DecodeStatus.TOO_LONG;
    b = src.byte(k);
    if (b < 0) return DecodeStatus.TRUNCATED;
    if (b === 0x66) opsize = true;
    else if (b === 0x67) adsize = true;
    else if (b === 0xf0) lock = true;
    else if (b === 0xf2) rep = Rep.REPNE;
    else if (b === 0xf3) rep = Rep.REP;
    else if (b === 0x26) seg = Seg.ES;
    else if (b === 0x2e) seg = Seg.CS;
    else if (b === 0x36) seg = Seg.SS;
    else if (b === 0x3e) seg = Seg.DS;
    else if (b === 0x64) seg = Seg.FS;
    else if (b === 0x65) seg = Seg.GS;
    else if (mode === 64 && (b & 0xf0) === 0x40) {
      rex = b;
      k++;
      continue;
    } else break;
    // A REX prefix counts only directly before the opcode.
    rex = 0;
    k++;
  }
  k++;
  let node: OpcodeNode | undefined;
  if (b === 0x0f) {
    const b2 = src.byte(k++);
    if (b2 < 0) return DecodeStatus.TRUNCATED;
    if (b2 === 0x38 || b2 === 0x3a) return DecodeStatus.UNSUPPORTED;
    node = TWO_BYTE[b2];
    b = 0x100 | b2;
  } else {
    if (mode === 64 && (b === 0xc4 || b === 0xc5 || b === 0x62)) return DecodeStatus.UNSUPPORTED; // VEX, EVEX
    node = b === 0x90 && (rex & 1) !== 0 ? XCHG_R8 : ONE_BYTE[b];
  }
  let modrm = -1;
  while (node !== undefined && node.kind !== 'op') {
    if (node.kind === 'prefix') {
      if (rep === Rep.REP && node.pf3) {
        node = node.pf3;
        rep = Rep.NONE;
      } else if (rep === Rep.REPNE && node.pf2) {
        node = node.pf2;
        rep = Rep.NONE;
      } else if (opsize && node.p66) node = node.p66;
      else node = node.none;
      continue;
    }
    if (node.kind === 'rexw') {
      node = (rex & 8) !== 0 ? node.w1 : node.w0;
      continue;
    }
    if (modrm < 0) {
      modrm = src.byte(k++);
      if (modrm < 0) return DecodeStatus.TRUNCATED;
    }
    if (node.kind === 'group') node = node.entries[(modrm >>> 3) & 7];
    else if (node.kind === 'mod') node = modrm >>> 6 === 3 ? node.reg : node.mem;
    else node = node.entries[modrm & 7];
  }
  if (node === undefined) return DecodeStatus.INVALID;
  const entry = node;
  if ((entry.modes === 'legacy' && mode === 64) || (entry.modes === 'long' && mode !== 64)) return DecodeStatus.INVALID;
  if (entry.unsupported) return DecodeStatus.UNSUPPORTED;

  const rexW = (rex & 8) !== 0;
  const size = sizeOf(entry.size ?? 'v', mode, opsize, rexW);
  const addressSize = mode === 64 ? (adsize ? 4 : 8) : mode === 32 ? (adsize ? 2 : 4) : adsize ? 4 : 2;
  const i = out;
  i.entry = entry;
  i.size = size;
  i.size2 = entry.size2 ?? size;
  i.addressSize = addressSize;
  i.op = entry.op ?? 0;
  i.rep = entry.repeatable ? rep : Rep.NONE;
  i.lock = lock;
  i.mem = false;
  i.ea = Ea.NONE;
  i.base = -1;
  i.index = -1;
  i.scale = 1;
  i.disp = 0;
  i.imm = 0;
  i.immHi = 0;
  i.imm2 = 0;
  i.target = 0;
  i.cl = false;
  i.reg = 0;
  i.rm = 0;
  i.seg = Seg.DS;
  i.segBase = mode !== 64;

  const operands = entry.operands;
  const needsModrm = operands.some(inModrm);
  if (needsModrm && modrm < 0) {
    modrm = src.byte(k++);
    if (modrm < 0) return DecodeStatus.TRUNCATED;
  }
  const mod = modrm >>> 6;
  const regField = ((modrm >>> 3) & 7) | ((rex & 4) << 1);
  const rmField = (modrm & 7) | ((rex & 1) << 3);
  let ripRelative = false;
  let relative = 0;
  let hasRelative = false;
  let immediates = 0;

  const readAddress64 = (): number => {
    const lo = readBytes(4);
    const hi = readBytes(4) | 0;
    return hi * TWO32 + lo;
  };
  const readBytes = (n: number): number => {
    let v = 0;
    for (let j = 0; j < n; j++) {
      const x = src.byte(k + j);
      if (x < 0) throw TRUNCATED;
      v += x * 2 ** (8 * j);
    }
    k += n;
    return v;
  };
  try {
    // The memory operand's address comes right after ModRM (SIB, displacement).
    const hasMemory = needsModrm && mod !== 3 && operands.some((s) => s[0] === 'E' || s[0] === 'M');
    if (hasMemory) {
      i.mem = true;
      if (addressSize === 2) {
        const rm = modrm & 7;
        const bases = [Gpr.RBX, Gpr.RBX, Gpr.RBP, Gpr.RBP, -1, -1, Gpr.RBP, Gpr.RBX];
        const indexes = [Gpr.RSI, Gpr.RDI, Gpr.RSI, Gpr.RDI, Gpr.RSI, Gpr.RDI, -1, -1];
        i.ea = Ea.ADDR16;
        i.base = bases[rm]!;
        i.index = indexes[rm]!;
        if (mod === 0 && rm === 6) {
          i.base = -1;
          i.disp = readBytes(2);
        } else if (mod === 1) i.disp = (readBytes(1) << 24) >> 24;
        else if (mod === 2) i.disp = (readBytes(2) << 16) >> 16;
        if (i.base === Gpr.RBP) i.seg = Seg.SS;
      } else {
        let base = rmField;
        let index = -1;
        if ((modrm & 7) === 4) {
          const sib = readBytes(1);
          i.scale = 1 << (sib >>> 6);
          index = ((sib >>> 3) & 7) | ((rex & 2) << 2);
          if (index === Gpr.RSP) index = -1;
          base = (sib & 7) | ((rex & 1) << 3);
          if ((sib & 7) === 5 && mod === 0) base = -1;
        } else if ((modrm & 7) === 5 && mod === 0) {
          base = -1;
          ripRelative = mode === 64;
        }
        if (mod === 1) i.disp = (readBytes(1) << 24) >> 24;
        else if (mod === 2 || base === -1) i.disp = readBytes(4) | 0;
        i.base = base;
        i.index = index;
        if (base === Gpr.RSP || base === Gpr.RBP) i.seg = Seg.SS;
        i.ea = addressSize === 4 ? Ea.ADDR32 : base >= 0 && index < 0 ? Ea.BASE : base < 0 && index < 0 ? Ea.ABSOLUTE : Ea.SIB;
      }
    }
    for (const spec of operands) {
      const first = spec[0]!;
      if (FIXED_OPERANDS.has(spec)) {
        // Accumulator operands are implicit in the handlers (i.reg and i.rm default to RAX).
        if (spec === 'CL') i.cl = true;
        if (spec === '1') i.imm = 1;
        continue;
      }
      switch (first) {
        case 'E':
          if (mod === 3) i.rm = byteRegister(rmField, operandSize(spec, size), rex);
          break;
        case 'M':
          break;
        case 'G':
          i.reg = byteRegister(regField, operandSize(spec, size), rex);
          break;
        case 'R':
          i.rm = rmField;
          break;
        case 'Z':
          i.reg = byteRegister((b & 7) | ((rex & 1) << 3), operandSize(spec, size), rex);
          break;
        case 'S':
          if (((modrm >>> 3) & 7) > 5) return DecodeStatus.INVALID;
          i.reg = (modrm >>> 3) & 7;
          break;
        case 'C': case 'D':
          i.reg = regField;
          break;
        case 'O':
          i.mem = true;
          i.ea = Ea.ABSOLUTE;
          i.disp = addressSize === 8 ? readAddress64() : readBytes(addressSize);
          break;
        case 'X': case 'Y':
          break;
        case 'A': {
          i.imm = readBytes(size === 2 ? 2 : 4);
          i.imm2 = readBytes(2);
          break;
        }
        case 'J':
          relative = spec === 'Jb' ? (readBytes(1) << 24) >> 24 : size === 2 ? (readBytes(2) << 16) >> 16 : readBytes(4) | 0;
          hasRelative = true;
          break;
        case 'I': {
          let v: number;
          let hi = 0;
          if (spec === 'Ib') v = readBytes(1);
          else if (spec === 'Ibs') {
            const s8 = (readBytes(1) << 24) >> 24;
            v = size === 1 ? s8 & 0xff : size === 2 ? s8 & 0xffff : s8;
            hi = s8 >> 31;
          } else if (spec === 'Iw') v = readBytes(2);
          else if (spec === 'Iv' && size === 8) {
            v = readBytes(4) | 0;
            hi = readBytes(4) | 0;
          } else if (size === 2) v = readBytes(2);
          else if (size === 1) v = readBytes(1);
          else {
            v = readBytes(4) | 0;
            hi = size === 8 ? v >> 31 : 0;
          }
          if (immediates++ === 0) {
            i.imm = v;
            i.immHi = hi;
          } else i.imm2 = v;
          break;
        }
        default:
          break;
      }
    }
  } catch (error) {
    if (error === TRUNCATED) return DecodeStatus.TRUNCATED;
    throw error;
  }
  if (k > 15) return DecodeStatus.TOO_LONG;

  if (operands.includes('XB')) {
    i.mem = true;
    i.base = Gpr.RBX;
    i.ea = addressSize === 8 ? Ea.BASE : addressSize === 4 ? Ea.ADDR32 : Ea.ADDR16;
  }
  if (operands.includes('Xb') || operands.includes('Xv') || operands.includes('Xz')) i.seg = seg >= 0 ? seg : Seg.DS;

  if (seg >= 0 && (mode !== 64 || seg === Seg.FS || seg === Seg.GS)) i.seg = seg;
  i.segBase = mode !== 64 || i.seg === Seg.FS || i.seg === Seg.GS;
  raw.rex = rex;
  raw.segOverride = seg;
  raw.modrm = modrm;

  i.length = k;
  i.rip = ip;
  i.next = mode === 64 ? ip + k : mode === 32 ? (ip + k) % TWO32 : (ip + k) & 0xffff;
  if (ripRelative) {
    i.ea = Ea.ABSOLUTE;
    i.disp = addressSize === 4 ? (i.next + i.disp) % TWO32 : i.next + i.disp;
  }
  if (hasRelative) {
    const t = i.next + relative;
    i.target = mode === 64 ? t : size === 2 ? t & 0xffff : t >>> 0;
  }
  if (lock && (!entry.lockable || !i.mem)) return DecodeStatus.INVALID;
  i.exec = i.mem && entry.execMem !== undefined ? entry.execMem : entry.exec;
  return DecodeStatus.OK;
}

const TRUNCATED = { name: 'truncated' } as const;

// --- description, for iced-x86 comparison and disassembly -----------------------------------------

export type OperandInfo =
  | { readonly kind: 'reg'; readonly reg: string }
  | { readonly kind: 'mem'; readonly size: number; readonly segment: string; readonly base: string; readonly index: string; readonly scale: number; readonly displacement: bigint }
  | { readonly kind: 'imm'; readonly value: bigint }
  | { readonly kind: 'branch'; readonly target: bigint };

export type Described =
  | { readonly ok: true; readonly length: number; readonly mnemonic: string; readonly operands: readonly OperandInfo[]; readonly rep: '' | 'rep' | 'repne'; readonly lock: boolean }
  | { readonly ok: false; readonly reason: 'unsupported' | 'invalid' | 'truncated' };

const BYTE_NAMES = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b', 'ah', 'ch', 'dh', 'bh'];
const WORD_NAMES = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const DWORD_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];

export function registerName(n: number, size: number): string {
  switch (size) {
    case 1: return BYTE_NAMES[n]!;
    case 2: return WORD_NAMES[n]!;
    case 4: return DWORD_NAMES[n]!;
    default: return GPR_NAMES[n]!;
  }
}

const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

/** Decode `bytes` at `offset` as iced-x86 would describe the instruction (tests, disassembly). */
export function describeInstruction(bytes: Uint8Array, offset: number, ip: bigint, bitness: 16 | 32 | 64): Described {
  const i = new Insn();
  const ipNumber = Number(BigInt.asIntN(64, ip));
  const status = decode(new ArraySource(bytes, offset), ipNumber, bitness, i);
  if (status === DecodeStatus.TRUNCATED) return { ok: false, reason: 'truncated' };
  if (status === DecodeStatus.UNSUPPORTED) return { ok: false, reason: 'unsupported' };
  if (status !== DecodeStatus.OK) return { ok: false, reason: 'invalid' };
  const e = i.entry!;
  const variantSize = e.mnemonicByAddressSize ? i.addressSize : i.size;
  const mnemonic = typeof e.mnemonic === 'string' ? e.mnemonic : e.mnemonic[(variantSize === 1 ? 4 : variantSize) as 2 | 4 | 8];
  const segmentOf = (): string => SEG_NAMES[raw.segOverride >= 0 ? raw.segOverride : i.seg]!;
  const memory = (size: number): OperandInfo => ({
    kind: 'mem',
    size,
    segment: segmentOf(),
    base: i.ea === Ea.ABSOLUTE ? (i.addressSize === 8 && raw.modrm >= 0 && (raw.modrm & 0xc7) === 5 ? 'rip' : '') : i.base >= 0 ? registerName(i.base, i.addressSize) : '',
    index: i.index >= 0 ? registerName(i.index, i.addressSize) : '',
    scale: i.scale,
    displacement: i.addressSize === 8 ? u64(i.disp) : BigInt(i.disp >>> 0) & (i.addressSize === 4 ? 0xffffffffn : 0xffffn),
  });
  const stringMemory = (size: number, segment: string, base: number): OperandInfo =>
    ({ kind: 'mem', size, segment, base: registerName(base, i.addressSize), index: '', scale: 1, displacement: 0n });
  const operands: OperandInfo[] = [];
  let immediates = 0;
  for (const spec of e.operands) {
    const size = operandSize(spec, i.size);
    switch (spec) {
      case 'AL': operands.push({ kind: 'reg', reg: 'al' }); continue;
      case 'rAX': operands.push({ kind: 'reg', reg: registerName(0, i.size) }); continue;
      case 'eAX': operands.push({ kind: 'reg', reg: registerName(0, Math.min(i.size, 4)) }); continue;
      case 'CL': operands.push({ kind: 'reg', reg: 'cl' }); continue;
      case 'DX': operands.push({ kind: 'reg', reg: 'dx' }); continue;
      case '1': operands.push({ kind: 'imm', value: 1n }); continue;
      case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS': operands.push({ kind: 'reg', reg: spec.toLowerCase() }); continue;
      case 'XB': operands.push({ kind: 'mem', size: 1, segment: segmentOf(), base: registerName(Gpr.RBX, i.addressSize), index: 'al', scale: 1, displacement: 0n }); continue;
      default: break;
    }
    switch (spec[0]) {
      case 'E': operands.push(i.mem ? memory(size) : { kind: 'reg', reg: registerName(i.rm, size) }); break;
      case 'M': operands.push(memory(spec === 'M' ? 0 : spec === 'Mp' ? i.size + 2 : spec === 'Ms' ? (bitness === 64 ? 10 : 6) : size)); break;
      case 'G': case 'Z': operands.push({ kind: 'reg', reg: registerName(i.reg, size) }); break;
      case 'R': operands.push({ kind: 'reg', reg: registerName(i.rm, size) }); break;
      case 'S': operands.push({ kind: 'reg', reg: SEG_NAMES[i.reg]! }); break;
      case 'C': operands.push({ kind: 'reg', reg: `cr${i.reg}` }); break;
      case 'D': operands.push({ kind: 'reg', reg: `dr${i.reg}` }); break;
      case 'O': operands.push(memory(size)); break;
      case 'J': operands.push({ kind: 'branch', target: u64(i.target) }); break;
      case 'A': operands.push({ kind: 'branch', target: BigInt(i.imm >>> 0) }); break;
      case 'X': operands.push({ ...stringMemory(size, segmentOf(), Gpr.RSI) }); break;
      case 'Y': operands.push(stringMemory(size, 'es', Gpr.RDI)); break;
      case 'I': {
        const first = immediates++ === 0;
        const v = first ? i.imm : i.imm2;
        let value: bigint;
        if (spec === 'Ibs') value = u64(v >= 0x80 && size === 1 ? v - 0x100 : size === 2 && v >= 0x8000 ? v - 0x10000 : v | 0);
        else if (spec === 'Iv' && i.size === 8) value = (BigInt(i.immHi >>> 0) << 32n) | BigInt(i.imm >>> 0);
        else if (spec === 'Iz' && i.size === 8) value = u64(v | 0);
        else value = BigInt(v >>> 0);
        operands.push({ kind: 'imm', value });
        break;
      }
      default: break;
    }
  }
  return { ok: true, length: i.length, mnemonic, operands, rep: i.rep === Rep.REP ? 'rep' : i.rep === Rep.REPNE ? 'repne' : '', lock: i.lock };
}

/** The mnemonics the table supports (for the README and the decoder test). */
export function supportedMnemonics(): string[] {
  const names = new Set<string>();
  for (const e of allEntries()) {
    if (e.unsupported) continue;
    if (typeof e.mnemonic === 'string') names.add(e.mnemonic);
    else for (const n of Object.values(e.mnemonic)) names.add(n);
  }
  return [...names].sort();
}
