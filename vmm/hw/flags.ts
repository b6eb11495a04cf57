/**
 * Lazy status flags (as Bochs and QEMU keep them): an arithmetic instruction records what it did
 * — the operation, the operand size, its operands and result — and CF, PF, AF, ZF, SF and OF are
 * computed only when something reads them (a Jcc, SETcc, PUSHF, an interrupt). Most results are
 * never looked at, so most instructions pay two or three stores for their flags.
 *
 * Operands are stored as the handlers have them: sizes 1 and 2 masked to their width (unsigned),
 * size 4 as an int32, size 8 as int32 halves (A/AHi, B/BHi, Res/ResHi).
 */
import { type CpuState, Flag, STATUS_FLAGS } from './state.js';

export const LF = {
  ADD: 0,
  ADC: 1,
  SUB: 2,
  SBB: 3,
  /** AND, OR, XOR, TEST: CF = OF = 0, AF = 0 (undefined in the SDM), SF/ZF/PF from the result. */
  LOGIC: 4,
  /** INC and DEC: as ADD/SUB of 1, with CF kept from before (in lfAux). */
  INC: 5,
  DEC: 6,
  /** SF, ZF, PF from the result; CF, OF and AF given in lfAux (shifts, multiplies). */
  RESULT: 7,
  /** All six given in lfAux. */
  EXPLICIT: 8,
} as const;

/** PARITY[b] is PF for a result whose low byte is b: set when the number of 1 bits is even. */
const PARITY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let bits = 0;
  for (let v = b; v !== 0; v >>= 1) bits += v & 1;
  PARITY[b] = (bits & 1) === 0 ? 1 : 0;
}

/** Whether the sign bit of a value of `size` bytes (stored as described above) is set. */
function negative(size: number, lo: number, hi: number): boolean {
  switch (size) {
    case 1: return (lo & 0x80) !== 0;
    case 2: return (lo & 0x8000) !== 0;
    case 4: return lo < 0;
    default: return hi < 0;
  }
}

/** a < b as unsigned values of the recorded size. */
function below(size: number, a: number, aHi: number, b: number, bHi: number): boolean {
  if (size === 8) return aHi !== bHi ? aHi >>> 0 < bHi >>> 0 : a >>> 0 < b >>> 0;
  return a >>> 0 < b >>> 0;
}

/** a < b as signed values of the recorded size. */
function less(size: number, a: number, aHi: number, b: number, bHi: number): boolean {
  switch (size) {
    case 1: return ((a << 24) >> 24) < ((b << 24) >> 24);
    case 2: return ((a << 16) >> 16) < ((b << 16) >> 16);
    case 4: return a < b;
    default: return aHi !== bHi ? aHi < bHi : a >>> 0 < b >>> 0;
  }
}

function equal(s: CpuState): boolean {
  return s.lfSize === 8 ? s.lfA === s.lfB && s.lfAHi === s.lfBHi : s.lfA === s.lfB;
}

export function cf(s: CpuState): boolean {
  switch (s.lfOp) {
    case LF.ADD: return below(s.lfSize, s.lfRes, s.lfResHi, s.lfA, s.lfAHi);
    case LF.ADC: return below(s.lfSize, s.lfRes, s.lfResHi, s.lfA, s.lfAHi) || (s.lfAux !== 0 && s.lfRes === s.lfA && s.lfResHi === s.lfAHi);
    case LF.SUB: return below(s.lfSize, s.lfA, s.lfAHi, s.lfB, s.lfBHi);
    case LF.SBB: return below(s.lfSize, s.lfA, s.lfAHi, s.lfB, s.lfBHi) || (s.lfAux !== 0 && equal(s));
    case LF.LOGIC: return false;
    case LF.INC: case LF.DEC: return s.lfAux !== 0;
    default: return (s.lfAux & Flag.CF) !== 0;
  }
}

export function zf(s: CpuState): boolean {
  if (s.lfOp === LF.EXPLICIT) return (s.lfAux & Flag.ZF) !== 0;
  return s.lfSize === 8 ? (s.lfRes | s.lfResHi) === 0 : s.lfRes === 0;
}

export function sf(s: CpuState): boolean {
  if (s.lfOp === LF.EXPLICIT) return (s.lfAux & Flag.SF) !== 0;
  return negative(s.lfSize, s.lfRes, s.lfResHi);
}

export function of(s: CpuState): boolean {
  switch (s.lfOp) {
    case LF.ADD: case LF.ADC: case LF.INC:
      return negative(s.lfSize, (s.lfA ^ s.lfRes) & (s.lfB ^ s.lfRes), (s.lfAHi ^ s.lfResHi) & (s.lfBHi ^ s.lfResHi));
    case LF.SUB: case LF.SBB: case LF.DEC:
      return negative(s.lfSize, (s.lfA ^ s.lfB) & (s.lfA ^ s.lfRes), (s.lfAHi ^ s.lfBHi) & (s.lfAHi ^ s.lfResHi));
    case LF.LOGIC: return false;
    default: return (s.lfAux & Flag.OF) !== 0;
  }
}

export function pf(s: CpuState): boolean {
  if (s.lfOp === LF.EXPLICIT) return (s.lfAux & Flag.PF) !== 0;
  return PARITY[s.lfRes & 0xff] === 1;
}

export function af(s: CpuState): boolean {
  switch (s.lfOp) {
    case LF.LOGIC: return false;
    case LF.RESULT: case LF.EXPLICIT: return (s.lfAux & Flag.AF) !== 0;
    default: return ((s.lfA ^ s.lfB ^ s.lfRes) & 0x10) !== 0;
  }
}

/** The six status flags as RFLAGS bits. */
export function statusFlags(s: CpuState): number {
  if (s.lfOp === LF.EXPLICIT) return s.lfAux & STATUS_FLAGS;
  return (cf(s) ? Flag.CF : 0) | (pf(s) ? Flag.PF : 0) | (af(s) ? Flag.AF : 0) | (zf(s) ? Flag.ZF : 0) |
    (sf(s) ? Flag.SF : 0) | (of(s) ? Flag.OF : 0);
}

/** RFLAGS as software reads it (PUSHF, interrupt frames, the VMCS guest RFLAGS). */
export function readRflags(s: CpuState): number {
  return (s.flags & ~STATUS_FLAGS) | statusFlags(s) | Flag.FIXED1;
}

/** Set the six status flags from RFLAGS bits (POPF, SAHF, IRET, CLC and the like). */
export function setStatusFlags(s: CpuState, bits: number): void {
  s.lfOp = LF.EXPLICIT;
  s.lfAux = bits & STATUS_FLAGS;
}

/** Record a result whose SF/ZF/PF come from it and whose CF/OF/AF are given. */
export function setResultFlags(s: CpuState, size: number, res: number, resHi: number, explicit: number): void {
  s.lfOp = LF.RESULT;
  s.lfSize = size;
  s.lfRes = res;
  s.lfResHi = resHi;
  s.lfAux = explicit;
}

/** Record a logical operation's result (AND, OR, XOR, TEST). */
export function setLogicFlags(s: CpuState, size: number, res: number, resHi: number): void {
  s.lfOp = LF.LOGIC;
  s.lfSize = size;
  s.lfRes = res;
  s.lfResHi = resHi;
}

/**
 * The condition of Jcc/SETcc/CMOVcc number `cc` (SDM Vol.1 Appendix B): even numbers test a
 * condition, odd ones its negation. After a compare (SUB), the common ones are read straight from
 * the operands.
 */
export function condition(s: CpuState, cc: number): boolean {
  let v: boolean;
  const sub = s.lfOp === LF.SUB;
  switch (cc >> 1) {
    case 0: v = of(s); break;
    case 1: v = sub ? below(s.lfSize, s.lfA, s.lfAHi, s.lfB, s.lfBHi) : cf(s); break;
    case 2: v = zf(s); break;
    case 3: v = sub ? !below(s.lfSize, s.lfB, s.lfBHi, s.lfA, s.lfAHi) : cf(s) || zf(s); break;
    case 4: v = sf(s); break;
    case 5: v = pf(s); break;
    case 6: v = sub ? less(s.lfSize, s.lfA, s.lfAHi, s.lfB, s.lfBHi) : sf(s) !== of(s); break;
    default: v = sub ? !less(s.lfSize, s.lfB, s.lfBHi, s.lfA, s.lfAHi) : zf(s) || sf(s) !== of(s); break;
  }
  return (cc & 1) === 0 ? v : !v;
}
