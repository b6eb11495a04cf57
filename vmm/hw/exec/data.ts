/**
 * Data movement (SDM Vol.2): MOV, MOVZX, MOVSX, MOVSXD, LEA, XCHG, XADD, CMPXCHG, CMPXCHG8B/16B,
 * CBW/CWDE/CDQE, CWD/CDQ/CQO, CMOVcc, SETcc, LAHF/SAHF, XLAT, and the flag instructions CLC, STC,
 * CMC, CLD, STD. XCHG with memory is always locked; the others take a LOCK prefix.
 */
import { fault, lockedAddress, probeWrite } from '../access.js';
import type { Cpu } from '../cpu.js';
import { condition, readRflags, setStatusFlags } from '../flags.js';
import type { Insn } from '../insn.js';
import { Flag, Gpr, Vector } from '../state.js';
import { Alu, alu, alu64 } from './alu.js';
import {
  address, getReg, getRm, getRm64, load, load64, load64ForUpdate, loadForUpdate, offset, setReg, setReg64, signExtend, store, store64,
} from './operands.js';

/** MOV Ev, Gv: register destination. */
export function movRmRegReg(c: Cpu, i: Insn): void {
  if (i.size === 8) setReg64(c, i.rm, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
  else setReg(c, i.rm, i.size, getReg(c, i.reg, i.size));
}

/** MOV Ev, Gv: memory destination (also MOV moffs, AL/rAX). */
export function movRmRegMem(c: Cpu, i: Insn): void {
  const a = address(c, i);
  if (i.size === 8) store64(c, a, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
  else store(c, a, i.size, getReg(c, i.reg, i.size));
}

/** MOV Gv, Ev (also MOV AL/rAX, moffs). */
export function movRegRm(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const lo = getRm64(c, i);
    setReg64(c, i.reg, lo, c.memHi);
  } else setReg(c, i.reg, i.size, getRm(c, i));
}

/** MOV reg, imm (B0..BF, and C6/C7 with a register operand: the decoder puts it in i.reg). */
export function movRegImm(c: Cpu, i: Insn): void {
  if (i.size === 8) setReg64(c, i.reg, i.imm, i.immHi);
  else setReg(c, i.reg, i.size, i.imm);
}

/** MOV m, imm (C6/C7). */
export function movMemImm(c: Cpu, i: Insn): void {
  const a = address(c, i);
  if (i.size === 8) store64(c, a, i.imm, i.immHi);
  else store(c, a, i.size, i.imm);
}

/** The source of MOVZX/MOVSX/MOVSXD: i.size2 bytes from r/m. */
function narrowSource(c: Cpu, i: Insn): number {
  return i.mem ? load(c, address(c, i), i.size2) : getReg(c, i.rm, i.size2);
}

export function movzx(c: Cpu, i: Insn): void {
  const v = narrowSource(c, i);
  if (i.size === 8) setReg64(c, i.reg, v, 0);
  else setReg(c, i.reg, i.size, v);
}

/** MOVSX and MOVSXD. */
export function movsx(c: Cpu, i: Insn): void {
  const v = signExtend(narrowSource(c, i), i.size2);
  if (i.size === 8) setReg64(c, i.reg, v, v >> 31);
  else setReg(c, i.reg, i.size, v);
}

/** LEA Gv, M: the offset, not the segment, truncated to the operand size. */
export function lea(c: Cpu, i: Insn): void {
  const lo = offset(c, i);
  if (i.size === 8) setReg64(c, i.reg, lo, c.eaHi);
  else setReg(c, i.reg, i.size, lo);
}

/** XCHG Ev, Gv and XCHG reg, rAX (i.rm, i.reg). */
export function xchgReg(c: Cpu, i: Insn): void {
  const r = c.r;
  if (i.size === 8) {
    const lo = r[i.rm * 2]!;
    const hi = r[i.rm * 2 + 1]!;
    setReg64(c, i.rm, r[i.reg * 2]!, r[i.reg * 2 + 1]!);
    setReg64(c, i.reg, lo, hi);
    return;
  }
  const a = getReg(c, i.rm, i.size);
  setReg(c, i.rm, i.size, getReg(c, i.reg, i.size));
  setReg(c, i.reg, i.size, a);
}

/** XCHG m, reg: atomic (the processor asserts LOCK for it whatever the prefixes). */
export function xchgMem(c: Cpu, i: Insn): void {
  const a = address(c, i);
  const p = lockedAddress(c, a, i.size);
  if (p >= 0 && p % i.size === 0) {
    if (i.size === 8) {
      const next = (BigInt(c.r[i.reg * 2 + 1]! >>> 0) << 32n) | BigInt(c.r[i.reg * 2]! >>> 0);
      const old = Atomics.exchange(c.atomic64, p / 8, next);
      setReg64(c, i.reg, Number(old & 0xffffffffn) | 0, Number(old >> 32n) | 0);
    } else {
      const view = i.size === 1 ? c.atomic8 : i.size === 2 ? c.atomic16 : c.memory.words;
      setReg(c, i.reg, i.size, Atomics.exchange(view, p / i.size, getReg(c, i.reg, i.size)));
    }
    return;
  }
  if (i.size === 8) {
    const lo = load64ForUpdate(c, a);
    const hi = c.memHi;
    store64(c, a, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
    setReg64(c, i.reg, lo, hi);
  } else {
    const v = loadForUpdate(c, a, i.size);
    store(c, a, i.size, getReg(c, i.reg, i.size));
    setReg(c, i.reg, i.size, v);
  }
}

/** XADD Ev, Gv: dst = dst + src, src = old dst; flags of the ADD. */
export function xadd(c: Cpu, i: Insn): void {
  if (!i.mem) {
    if (i.size === 8) {
      const dLo = c.r[i.rm * 2]!;
      const dHi = c.r[i.rm * 2 + 1]!;
      const lo = alu64(c, Alu.ADD, dLo, dHi, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
      setReg64(c, i.reg, dLo, dHi);
      setReg64(c, i.rm, lo, c.resHi);
    } else {
      const d = getReg(c, i.rm, i.size);
      const res = alu(c, Alu.ADD, i.size, d, getReg(c, i.reg, i.size));
      setReg(c, i.reg, i.size, d);
      setReg(c, i.rm, i.size, res);
    }
    return;
  }
  const a = address(c, i);
  const p = i.lock ? lockedAddress(c, a, i.size) : -1;
  if (p >= 0 && p % i.size === 0 && i.size !== 8) {
    const view = i.size === 1 ? c.atomic8 : i.size === 2 ? c.atomic16 : c.memory.words;
    const src = getReg(c, i.reg, i.size);
    const old = Atomics.add(view, p / i.size, src);
    alu(c, Alu.ADD, i.size, i.size === 4 ? old : old & (i.size === 1 ? 0xff : 0xffff), src);
    setReg(c, i.reg, i.size, old);
    return;
  }
  if (i.size === 8) {
    const dLo = load64ForUpdate(c, a);
    const dHi = c.memHi;
    const lo = alu64(c, Alu.ADD, dLo, dHi, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
    store64(c, a, lo, c.resHi);
    setReg64(c, i.reg, dLo, dHi);
  } else {
    const d = loadForUpdate(c, a, i.size);
    store(c, a, i.size, alu(c, Alu.ADD, i.size, d, getReg(c, i.reg, i.size)));
    setReg(c, i.reg, i.size, d);
  }
}

/**
 * CMPXCHG Ev, Gv: if rAX equals dst, dst = src (ZF = 1); else rAX = dst (ZF = 0). Flags as
 * CMP rAX, dst. A register destination of 32 bits is zero-extended only when it is written.
 */
export function cmpxchg(c: Cpu, i: Insn): void {
  const size = i.size;
  if (i.mem && i.lock) {
    const a = address(c, i);
    const p = lockedAddress(c, a, size);
    if (p >= 0 && p % size === 0) {
      if (size === 8) {
        const expected = (BigInt(c.r[1]! >>> 0) << 32n) | BigInt(c.r[0]! >>> 0);
        const next = (BigInt(c.r[i.reg * 2 + 1]! >>> 0) << 32n) | BigInt(c.r[i.reg * 2]! >>> 0);
        const old = Atomics.compareExchange(c.atomic64, p / 8, expected, next);
        const oldLo = Number(old & 0xffffffffn) | 0;
        const oldHi = Number(old >> 32n) | 0;
        alu64(c, Alu.CMP, c.r[0]!, c.r[1]!, oldLo, oldHi);
        if (old !== expected) setReg64(c, Gpr.RAX, oldLo, oldHi);
      } else {
        const view = size === 1 ? c.atomic8 : size === 2 ? c.atomic16 : c.memory.words;
        const expected = getReg(c, Gpr.RAX, size);
        const raw = Atomics.compareExchange(view, p / size, expected, getReg(c, i.reg, size));
        const old = size === 4 ? raw : raw & (size === 1 ? 0xff : 0xffff);
        alu(c, Alu.CMP, size, expected, old);
        if (old !== expected) setReg(c, Gpr.RAX, size, old);
      }
      return;
    }
  }
  const a = i.mem ? address(c, i) : 0;
  if (size === 8) {
    const dLo = i.mem ? load64ForUpdate(c, a) : c.r[i.rm * 2]!;
    const dHi = i.mem ? c.memHi : c.r[i.rm * 2 + 1]!;
    alu64(c, Alu.CMP, c.r[0]!, c.r[1]!, dLo, dHi);
    const equal = dLo === c.r[0] && dHi === c.r[1];
    if (equal) {
      if (i.mem) store64(c, a, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
      else setReg64(c, i.rm, c.r[i.reg * 2]!, c.r[i.reg * 2 + 1]!);
    } else {
      if (i.mem) store64(c, a, dLo, dHi);
      setReg64(c, Gpr.RAX, dLo, dHi);
    }
    return;
  }
  const d = i.mem ? loadForUpdate(c, a, size) : getReg(c, i.rm, size);
  const expected = getReg(c, Gpr.RAX, size);
  alu(c, Alu.CMP, size, expected, d);
  if (d === expected) {
    if (i.mem) store(c, a, size, getReg(c, i.reg, size));
    else setReg(c, i.rm, size, getReg(c, i.reg, size));
  } else {
    if (i.mem) store(c, a, size, d);
    setReg(c, Gpr.RAX, size, d);
  }
}

/** CMPXCHG8B m64 (i.size 4) and CMPXCHG16B m128 (i.size 8, 16-byte aligned or #GP). */
export function cmpxchgWide(c: Cpu, i: Insn): void {
  const a = address(c, i);
  const r = c.r;
  const keep = readRflags(c);
  probeWrite(c, a, i.size * 2);
  if (i.size !== 8) {
    const lo = load(c, a, 4);
    const hi = load(c, a + 4, 4);
    const equal = lo === r[0] && hi === r[Gpr.RDX * 2];
    if (equal) {
      store(c, a, 4, r[Gpr.RBX * 2]!);
      store(c, a + 4, 4, r[Gpr.RCX * 2]!);
    } else {
      setReg(c, Gpr.RAX, 4, lo);
      setReg(c, Gpr.RDX, 4, hi);
    }
    setStatusFlags(c, equal ? keep | Flag.ZF : keep & ~Flag.ZF);
    return;
  }
  if (a % 16 !== 0) fault(c, Vector.GP, 0);
  const lo0 = load64(c, a);
  const lo1 = c.memHi;
  const hi0 = load64(c, a + 8);
  const hi1 = c.memHi;
  const equal = lo0 === r[0] && lo1 === r[1] && hi0 === r[Gpr.RDX * 2] && hi1 === r[Gpr.RDX * 2 + 1];
  if (equal) {
    store64(c, a, r[Gpr.RBX * 2]!, r[Gpr.RBX * 2 + 1]!);
    store64(c, a + 8, r[Gpr.RCX * 2]!, r[Gpr.RCX * 2 + 1]!);
  } else {
    setReg64(c, Gpr.RAX, lo0, lo1);
    setReg64(c, Gpr.RDX, hi0, hi1);
  }
  setStatusFlags(c, equal ? keep | Flag.ZF : keep & ~Flag.ZF);
}

/** CBW / CWDE / CDQE: sign-extend the lower half of rAX into all of it. */
export function signExtendAccumulator(c: Cpu, i: Insn): void {
  const r = c.r;
  switch (i.size) {
    case 2: setReg(c, Gpr.RAX, 2, (r[0]! << 24) >> 24); break;
    case 4: setReg(c, Gpr.RAX, 4, (r[0]! << 16) >> 16); break;
    default: setReg64(c, Gpr.RAX, r[0]!, r[0]! >> 31);
  }
}

/** CWD / CDQ / CQO: rDX = the sign of rAX. */
export function signToRdx(c: Cpu, i: Insn): void {
  const r = c.r;
  switch (i.size) {
    case 2: setReg(c, Gpr.RDX, 2, (r[0]! << 16) >> 31); break;
    case 4: setReg(c, Gpr.RDX, 4, r[0]! >> 31); break;
    default: setReg64(c, Gpr.RDX, r[1]! >> 31, r[1]! >> 31);
  }
}

/** CMOVcc Gv, Ev: the source is read (and may fault) either way; a 32-bit destination is always written. */
export function cmov(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const lo = getRm64(c, i);
    if (condition(c, i.op)) setReg64(c, i.reg, lo, c.memHi);
    return;
  }
  const v = getRm(c, i);
  if (condition(c, i.op)) setReg(c, i.reg, i.size, v);
  else if (i.size === 4) setReg(c, i.reg, 4, c.r[i.reg * 2]!);
}

export function setcc(c: Cpu, i: Insn): void {
  const v = condition(c, i.op) ? 1 : 0;
  if (i.mem) store(c, address(c, i), 1, v);
  else setReg(c, i.rm, 1, v);
}

/** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
export function lahf(c: Cpu): void {
  setReg(c, 16, 1, (readRflags(c) & 0xd5) | 2);
}

/** SAHF: SF, ZF, AF, PF, CF from AH. */
export function sahf(c: Cpu): void {
  const ah = (c.r[0]! >>> 8) & 0xff;
  setStatusFlags(c, (readRflags(c) & ~0xd5) | (ah & 0xd5));
}

/** XLAT: AL = [seg:rBX + AL] (the decoder builds that address as the memory operand). */
export function xlat(c: Cpu, i: Insn): void {
  const base = address(c, i);
  setReg(c, Gpr.RAX, 1, load(c, base + (c.r[0]! & 0xff), 1));
}

/** CLC (op 0), STC (1), CMC (2). */
export function carryFlag(c: Cpu, i: Insn): void {
  const f = readRflags(c);
  setStatusFlags(c, i.op === 0 ? f & ~Flag.CF : i.op === 1 ? f | Flag.CF : f ^ Flag.CF);
}

/** CLD (op 0), STD (1). */
export function directionFlag(c: Cpu, i: Insn): void {
  c.flags = i.op === 0 ? c.flags & ~Flag.DF : c.flags | Flag.DF;
}

export function nop(): void {
  // NOP, multi-byte NOP (0F 1F), prefetch hints, PAUSE, fences: no architectural effect here.
}
