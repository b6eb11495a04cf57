/**
 * One decoded instruction, as the decoder leaves it for its handler (Bochs's bxInstruction_c):
 * every field an executor needs is resolved once at decode time — operand size, register numbers,
 * the addressing form and displacement, immediates, branch targets as absolute addresses — and the
 * record is cached with its page (hw/code-cache.ts). All records share one shape, so the handler
 * call sites stay monomorphic in V8.
 */
import type { Cpu } from './cpu.js';
import type { OpcodeEntry } from './opcodes.js';

export type Handler = (c: Cpu, i: Insn) => void;

/** How a memory operand's address is formed. */
export const Ea = {
  /** No memory operand (ModRM.mod = 3, or none). */
  NONE: 0,
  /** 64-bit: base + disp. */
  BASE: 1,
  /** 64-bit: [base] + index * scale + disp. */
  SIB: 2,
  /** 64-bit: an absolute address known at decode time (RIP-relative, or disp32 with no base). */
  ABSOLUTE: 3,
  /** 32-bit address size: the offset wraps at 2^32. */
  ADDR32: 4,
  /** 16-bit address size (BX+SI and friends): the offset wraps at 2^16. */
  ADDR16: 5,
} as const;

/** Byte-register numbers 16..19 are AH, CH, DH, BH (encodings 4..7 without a REX prefix). */
export const HIGH_BYTE_BASE = 16;

export const Rep = { NONE: 0, REP: 1, REPNE: 2 } as const;

export class Insn {
  /** Linear address of the instruction and of the next one. */
  rip = 0;
  next = 0;
  length = 0;
  exec: Handler = unimplemented;
  entry: OpcodeEntry | undefined = undefined;
  /** The handler's sub-operation: the ALU operation, a condition code, a shift kind, a CR number. */
  op = 0;
  /** Operand size in bytes (1, 2, 4, 8). */
  size = 4;
  /** Source operand size of MOVZX/MOVSX/MOVSXD (and similar narrowing forms). */
  size2 = 4;
  /** Address size in bytes (2, 4, 8). */
  addressSize = 8;
  /** Register operand (ModRM.reg or the opcode's low bits); byte registers use 16..19 for AH..BH. */
  reg = 0;
  /** The r/m operand when it is a register. */
  rm = 0;
  /** Whether the r/m operand is in memory. */
  mem = false;
  ea: number = Ea.NONE;
  base = -1;
  index = -1;
  scale = 1;
  /** Displacement, or for Ea.ABSOLUTE the whole address. */
  disp = 0;
  /** The segment of the memory operand (override or default), hw/state.ts Seg numbering. */
  seg = 3;
  /** Whether the segment's base is added (always outside 64-bit mode; FS and GS in it). */
  segBase = false;
  /** Immediate, sign- or zero-extended to the operand size (int32; sizes 1 and 2 masked). */
  imm = 0;
  /** High half of a 64-bit immediate (MOV r64, imm64) or of a sign-extended imm32. */
  immHi = 0;
  /** A second immediate (ENTER's nesting level, a far pointer's selector). */
  imm2 = 0;
  /** Absolute branch target. */
  target = 0;
  /** The shift count is CL (not the immediate). */
  cl = false;
  rep: number = Rep.NONE;
  lock = false;
}

function unimplemented(): void {
  throw new Error('instruction executed before it was decoded');
}
