/**
 * What the SDM leaves undefined, per instruction, so the differential test masks exactly that and
 * nothing else. Source: Intel SDM Vol. 2 (instruction set reference), the "Flags Affected" and
 * "Operation" sections of each instruction named below, and Vol. 1 Appendix A (EFLAGS
 * cross-reference, Table A-2); the rules that depend on the count are the SDM's words restated:
 *
 *   MUL, IMUL (all forms)   SF ZF AF PF undefined
 *   DIV, IDIV               CF OF SF ZF AF PF undefined
 *   AND OR XOR TEST         AF undefined
 *   BT BTS BTR BTC          OF SF AF PF undefined (CF defined, ZF unaffected)
 *   BSF BSR                 CF OF SF AF PF undefined; the destination is undefined when the
 *                           source is 0 (ZF = 1 after the instruction says so)
 *   TZCNT LZCNT             OF SF AF PF undefined
 *   SHL SAL SHR SAR         masked count 0: nothing changes. Otherwise AF undefined; OF undefined
 *                           unless the count is 1; CF undefined for SHL/SHR when the count is at
 *                           least the operand size (possible for 8- and 16-bit operands)
 *   ROL ROR RCL RCR         masked count 0: nothing changes. Otherwise OF undefined unless the
 *                           masked count is 1 (SF ZF AF PF are never affected)
 *   SHLD SHRD               masked count 0: nothing changes. Otherwise AF undefined; OF undefined
 *                           unless the count is 1; count greater than the operand size (16-bit
 *                           only): CF OF SF ZF AF PF and the destination undefined
 *   MOV to/from CRn, DRn    CF OF SF ZF AF PF undefined
 *
 * Everything else in the corpus defines all the flags it writes. Iced-x86's per-instruction
 * `rflagsUndefined` is a second, independent reading (count-independent); differential.test.ts
 * checks the two agree.
 */
import type { Instruction } from 'iced-x86';
import { iced, mnemonicName } from './iced.js';
import { RFLAGS } from './trace.js';

export const CF = 0x1n;
export const PF = 0x4n;
export const AF = 0x10n;
export const ZF = 0x40n;
export const SF = 0x80n;
export const OF = 0x800n;
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** The facts about one instruction the rules need, read once from iced per address. */
export interface FlagFacts {
  readonly mnemonic: string;
  /** Destination operand size in bits. */
  readonly bits: number;
  /** Shift/rotate count: an immediate, or CL. */
  readonly count: { readonly imm: number } | 'cl' | undefined;
  /** The destination GPR's SDM number (for an undefined destination), if it is a register. */
  readonly destinationGpr: number | undefined;
}

export interface Undefined {
  /** RFLAGS bits whose value is undefined after the instruction. */
  readonly flags: bigint;
  /** GPRs (SDM numbers) whose value is undefined after the instruction. */
  readonly gprs: readonly number[];
}

const NONE: Undefined = { flags: 0n, gprs: [] };

const FIXED: Readonly<Record<string, bigint>> = {
  mul: SF | ZF | AF | PF,
  imul: SF | ZF | AF | PF,
  div: ARITH,
  idiv: ARITH,
  and: AF,
  or: AF,
  xor: AF,
  test: AF,
  bt: OF | SF | AF | PF,
  bts: OF | SF | AF | PF,
  btr: OF | SF | AF | PF,
  btc: OF | SF | AF | PF,
  'mov cr/dr': ARITH,
  bsf: CF | OF | SF | AF | PF,
  bsr: CF | OF | SF | AF | PF,
  tzcnt: OF | SF | AF | PF,
  lzcnt: OF | SF | AF | PF,
};

const SHIFTS = new Set(['shl', 'sal', 'shr', 'sar']);
const ROTATES = new Set(['rol', 'ror', 'rcl', 'rcr']);
const DOUBLE_SHIFTS = new Set(['shld', 'shrd']);

/** Mnemonics whose undefined flags depend on the count (and so differ from iced's static mask). */
export const COUNT_DEPENDENT = new Set([...SHIFTS, ...ROTATES, ...DOUBLE_SHIFTS]);

export function flagFacts(i: Instruction): FlagFacts {
  const K = iced.OpKind;
  const special = (n: number): boolean => i.opKind(n) === K.Register && (iced.RegisterExt.isCR(i.opRegister(n)) || iced.RegisterExt.isDR(i.opRegister(n)));
  const mnemonic = mnemonicName(i) === 'mov' && i.opCount === 2 && (special(0) || special(1)) ? 'mov cr/dr' : mnemonicName(i);
  let bits = 0;
  let destinationGpr: number | undefined;
  if (i.opCount > 0 && i.opKind(0) === K.Register) {
    const reg = i.opRegister(0);
    bits = iced.RegisterExt.size(reg) * 8;
    if (iced.RegisterExt.isGPR(reg) && bits >= 16) destinationGpr = iced.RegisterExt.number(iced.RegisterExt.fullRegister(reg));
  } else {
    bits = iced.MemorySizeExt.size(i.memorySize) * 8;
  }
  let count: FlagFacts['count'];
  if (COUNT_DEPENDENT.has(mnemonic)) {
    const last = i.opCount - 1;
    count = i.opKind(last) === K.Register ? 'cl' : { imm: Number(i.immediate(last) & 0xffn) };
  }
  return { mnemonic, bits, count, destinationGpr };
}

/**
 * The undefined part of the state after `facts`' instruction ran from `before` to `after`
 * (native register states, SDM order, RFLAGS at index 16 of trace.ts's layout).
 */
export function undefinedAfter(facts: FlagFacts, before: BigUint64Array, after: BigUint64Array): Undefined {
  const fixed = FIXED[facts.mnemonic];
  if (fixed !== undefined) {
    const zeroSource = (facts.mnemonic === 'bsf' || facts.mnemonic === 'bsr') && (after[RFLAGS]! & ZF) !== 0n;
    return { flags: fixed, gprs: zeroSource && facts.destinationGpr !== undefined ? [facts.destinationGpr] : [] };
  }
  if (facts.count === undefined) return NONE;
  const raw = facts.count === 'cl' ? Number(before[1]! & 0xffn) : facts.count.imm;
  const count = raw & (facts.bits === 64 ? 63 : 31);
  if (count === 0) return NONE;
  let flags = count === 1 ? 0n : OF;
  if (SHIFTS.has(facts.mnemonic)) {
    flags |= AF;
    if ((facts.mnemonic === 'shl' || facts.mnemonic === 'sal' || facts.mnemonic === 'shr') && count >= facts.bits) flags |= CF;
  } else if (DOUBLE_SHIFTS.has(facts.mnemonic)) {
    flags |= AF;
    if (count > facts.bits) {
      return { flags: ARITH, gprs: facts.destinationGpr !== undefined ? [facts.destinationGpr] : [] };
    }
  }
  return { flags, gprs: [] };
}

/** iced-x86's static undefined-flags mask in RFLAGS bit positions. */
export function icedUndefinedFlags(i: Instruction): bigint {
  const b = i.rflagsUndefined;
  const R = iced.RflagsBits;
  let out = 0n;
  if (b & R.OF) out |= OF;
  if (b & R.SF) out |= SF;
  if (b & R.ZF) out |= ZF;
  if (b & R.AF) out |= AF;
  if (b & R.CF) out |= CF;
  if (b & R.PF) out |= PF;
  return out;
}
