/**
 * The stack (SDM Vol.2): PUSH, POP, PUSHF, POPF, ENTER, LEAVE. In 64-bit mode pushes and pops are
 * 8 bytes unless a 66 prefix makes them 2; RSP is the stack pointer, SS's base is not added.
 */
import type { Cpu } from '../cpu.js';
import { readRflags } from '../flags.js';
import type { Insn } from '../insn.js';
import { Flag, Gpr, RFLAGS_WRITABLE } from '../state.js';
import { writeRflags } from '../system.js';
import {
  address, adjustStack, getReg, getRm, getRm64, load, load64, peek, pop, push, setReg, setReg64, store, store64,
} from './operands.js';

/** PUSH r (50+r). PUSH RSP pushes RSP's value from before the push. */
export function pushReg(c: Cpu, i: Insn): void {
  const n = i.reg;
  if (i.size === 8) push(c, 8, c.r[n * 2]!, c.r[n * 2 + 1]!);
  else push(c, i.size, getReg(c, n, i.size), 0);
}

/** PUSH r/m (FF /6). */
export function pushRm(c: Cpu, i: Insn): void {
  if (i.size === 8) {
    const lo = getRm64(c, i);
    push(c, 8, lo, c.memHi);
  } else push(c, i.size, getRm(c, i), 0);
}

/** PUSH imm (68, 6A), sign-extended to the operand size. */
export function pushImm(c: Cpu, i: Insn): void {
  push(c, i.size, i.imm, i.immHi);
}

/** POP r (58+r). */
export function popReg(c: Cpu, i: Insn): void {
  const lo = pop(c, i.size);
  if (i.size === 8) setReg64(c, i.reg, lo, c.memHi);
  else setReg(c, i.reg, i.size, lo);
}

/**
 * POP r/m (8F /0). The value is read first; a memory destination's address is computed with RSP
 * already incremented (SDM "POP"), and RSP is not changed if the store faults.
 */
export function popRm(c: Cpu, i: Insn): void {
  if (!i.mem) {
    const lo = pop(c, i.size);
    if (i.size === 8) setReg64(c, i.rm, lo, c.memHi);
    else setReg(c, i.rm, i.size, lo);
    return;
  }
  const lo = peek(c, i.size, 0);
  const hi = c.memHi;
  const savedLo = c.r[Gpr.RSP * 2]!;
  const savedHi = c.r[Gpr.RSP * 2 + 1]!;
  adjustStack(c, i.size);
  try {
    const a = address(c, i);
    if (i.size === 8) store64(c, a, lo, hi);
    else store(c, a, i.size, lo);
  } catch (error) {
    c.r[Gpr.RSP * 2] = savedLo;
    c.r[Gpr.RSP * 2 + 1] = savedHi;
    throw error;
  }
}

/** PUSHF: RFLAGS with VM and RF cleared in the image (SDM "PUSHF"). */
export function pushf(c: Cpu, i: Insn): void {
  const f = readRflags(c) & ~(Flag.VM | Flag.RF);
  push(c, i.size, i.size === 2 ? f & 0xffff : f, 0);
}

/** POPF: which bits change depends on CPL and IOPL (SDM "POPF", Table 4-... in Vol.2). */
export function popf(c: Cpu, i: Insn): void {
  const v = pop(c, i.size);
  let writable = RFLAGS_WRITABLE & ~(Flag.VIF | Flag.VIP | Flag.RF);
  if (c.cpl > 0) writable &= ~Flag.IOPL;
  if (c.cpl > ((c.flags & Flag.IOPL) >>> 12)) writable &= ~Flag.IF;
  if (i.size === 2) writable &= 0xffff;
  writeRflags(c, (readRflags(c) & ~writable) | (v & writable));
  c.rip = i.next;
}

/** ENTER imm16, imm8: make a stack frame with `level` nesting levels. */
export function enter(c: Cpu, i: Insn): void {
  const size = i.size;
  const level = i.imm2 & 31;
  const bp = Gpr.RBP;
  if (size === 8) push(c, 8, c.r[bp * 2]!, c.r[bp * 2 + 1]!);
  else push(c, size, getReg(c, bp, size), 0);
  const frameLo = c.r[Gpr.RSP * 2]!;
  const frameHi = c.r[Gpr.RSP * 2 + 1]!;
  if (level > 0) {
    for (let n = 1; n < level; n++) {
      // Copy the enclosing frames' pointers, each read from the old frame pointer minus n units.
      const bpValue = size === 8 ? c.r[bp * 2 + 1]! * 2 ** 32 + (c.r[bp * 2]! >>> 0) : getReg(c, bp, size) >>> 0;
      const at = bpValue - n * size;
      if (size === 8) push(c, 8, load64(c, at), c.memHi);
      else push(c, size, load(c, at, size), 0);
    }
    if (size === 8) push(c, 8, frameLo, frameHi);
    else push(c, size, frameLo, 0);
  }
  if (size === 8) setReg64(c, bp, frameLo, frameHi);
  else setReg(c, bp, size, frameLo);
  adjustStack(c, -i.imm);
}

/** LEAVE: RSP = RBP, then POP RBP. */
export function leave(c: Cpu, i: Insn): void {
  const savedLo = c.r[Gpr.RSP * 2]!;
  const savedHi = c.r[Gpr.RSP * 2 + 1]!;
  if (c.mode === 64) setReg64(c, Gpr.RSP, c.r[Gpr.RBP * 2]!, c.r[Gpr.RBP * 2 + 1]!);
  else if (c.stackSize32) setReg(c, Gpr.RSP, 4, c.r[Gpr.RBP * 2]!);
  else setReg(c, Gpr.RSP, 2, c.r[Gpr.RBP * 2]!);
  try {
    const lo = pop(c, i.size);
    if (i.size === 8) setReg64(c, Gpr.RBP, lo, c.memHi);
    else setReg(c, Gpr.RBP, i.size, lo);
  } catch (error) {
    c.r[Gpr.RSP * 2] = savedLo;
    c.r[Gpr.RSP * 2 + 1] = savedHi;
    throw error;
  }
}

