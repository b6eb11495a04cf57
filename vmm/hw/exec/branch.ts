/**
 * Near control transfers (SDM Vol.2): JMP, Jcc, CALL, RET, LOOP/LOOPcc, JrCXZ. Every handler here
 * ends its block and sets RIP itself. Relative targets were made absolute by the decoder. In
 * 64-bit mode a non-canonical target raises #GP(0) at the branch, which does not happen.
 */
import { fault } from '../access.js';
import type { Cpu } from '../cpu.js';
import { condition, zf } from '../flags.js';
import type { Insn } from '../insn.js';
import { Gpr, TWO32, Vector } from '../state.js';
import { CANONICAL_LIMIT, adjustStack, getRm, getRm64, peek, push } from './operands.js';

/** A near branch target as a number, checked (64-bit) or wrapped to the operand size. */
function checkedTarget(c: Cpu, i: Insn, target: number): number {
  if (c.mode === 64) {
    if (target < -CANONICAL_LIMIT || target >= CANONICAL_LIMIT) fault(c, Vector.GP, 0);
    return target;
  }
  return i.size === 2 ? target & 0xffff : target >>> 0;
}

function pushReturn(c: Cpu, i: Insn): void {
  if (c.mode === 64) push(c, 8, i.next | 0, Math.floor(i.next / TWO32) | 0);
  else push(c, i.size, i.next, 0);
}

export function jmpRel(c: Cpu, i: Insn): void {
  c.rip = checkedTarget(c, i, i.target);
}

export function jcc(c: Cpu, i: Insn): void {
  c.rip = condition(c, i.op) ? checkedTarget(c, i, i.target) : i.next;
}

export function callRel(c: Cpu, i: Insn): void {
  const target = checkedTarget(c, i, i.target);
  pushReturn(c, i);
  c.rip = target;
}

/** The target of JMP/CALL Ev: a 64-bit register or memory operand in 64-bit mode. */
function indirectTarget(c: Cpu, i: Insn): number {
  if (c.mode === 64) {
    const lo = getRm64(c, i);
    return c.memHi * TWO32 + (lo >>> 0);
  }
  return getRm(c, i) >>> 0;
}

export function jmpIndirect(c: Cpu, i: Insn): void {
  c.rip = checkedTarget(c, i, indirectTarget(c, i));
}

export function callIndirect(c: Cpu, i: Insn): void {
  const target = checkedTarget(c, i, indirectTarget(c, i));
  pushReturn(c, i);
  c.rip = target;
}

/** RET and RET imm16: the return address is checked before RSP moves. */
export function ret(c: Cpu, i: Insn): void {
  const size = c.mode === 64 ? 8 : i.size;
  const lo = peek(c, size, 0);
  const target = checkedTarget(c, i, size === 8 ? c.memHi * TWO32 + (lo >>> 0) : lo >>> 0);
  adjustStack(c, size + i.imm);
  c.rip = target;
}

/** The count register of LOOP/JrCXZ by address size: decrement (LOOP) and test for zero. */
function counter(c: Cpu, i: Insn, decrement: boolean): boolean {
  const r = c.r;
  const at = Gpr.RCX * 2;
  switch (i.addressSize) {
    case 8: {
      if (decrement) {
        const lo = r[at]!;
        r[at] = (lo - 1) | 0;
        if (lo === 0) r[at + 1] = (r[at + 1]! - 1) | 0;
      }
      return (r[at]! | r[at + 1]!) !== 0;
    }
    case 4:
      if (decrement) {
        r[at] = (r[at]! - 1) | 0;
        r[at + 1] = 0;
      }
      return r[at] !== 0;
    default:
      if (decrement) r[at] = (r[at]! & ~0xffff) | ((r[at]! - 1) & 0xffff);
      return (r[at]! & 0xffff) !== 0;
  }
}

/** LOOP (op 2), LOOPE (op 1), LOOPNE (op 0), as E2, E1, E0 number them. */
export function loop(c: Cpu, i: Insn): void {
  const nonZero = counter(c, i, true);
  const taken = i.op === 2 ? nonZero : i.op === 1 ? nonZero && zf(c) : nonZero && !zf(c);
  c.rip = taken ? checkedTarget(c, i, i.target) : i.next;
}

export function jrcxz(c: Cpu, i: Insn): void {
  c.rip = counter(c, i, false) ? i.next : checkedTarget(c, i, i.target);
}
