/**
 * The architectural state of one x86-64 logical processor (SDM Vol.3A 2.1, Vol.1 3.4), laid out for
 * a fast interpreter: 64-bit general-purpose registers as pairs of 32-bit halves in an Int32Array
 * (no BigInt on the hot path), RIP as a JS number (a canonical linear address fits a double
 * exactly), arithmetic flags computed lazily from the last result (hw/flags.ts), and segment
 * registers with their descriptor caches in typed arrays.
 */

/** General-purpose registers in the SDM's encoding order (ModRM.reg/rm with REX.R/B). */
export const Gpr = {
  RAX: 0, RCX: 1, RDX: 2, RBX: 3, RSP: 4, RBP: 5, RSI: 6, RDI: 7,
  R8: 8, R9: 9, R10: 10, R11: 11, R12: 12, R13: 13, R14: 14, R15: 15,
} as const;
export type Gpr = (typeof Gpr)[keyof typeof Gpr];
export const GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** Segment registers in their encoding order (ModRM.reg of MOV Sreg), then LDTR and TR. */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5, LDTR: 6, TR: 7 } as const;
export type Seg = (typeof Seg)[keyof typeof Seg];
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

/** RFLAGS bits (SDM Vol.1 3.4.3). */
export const Flag = {
  CF: 1 << 0, FIXED1: 1 << 1, PF: 1 << 2, AF: 1 << 4, ZF: 1 << 6, SF: 1 << 7, TF: 1 << 8, IF: 1 << 9,
  DF: 1 << 10, OF: 1 << 11, IOPL: 3 << 12, NT: 1 << 14, RF: 1 << 16, VM: 1 << 17, AC: 1 << 18,
  VIF: 1 << 19, VIP: 1 << 20, ID: 1 << 21,
} as const;
/** The six status flags the arithmetic instructions compute. */
export const STATUS_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;
/** Every RFLAGS bit software can change on this CPU (no VM86, VIF/VIP only through POPF at CPL 0). */
export const RFLAGS_WRITABLE = STATUS_FLAGS | Flag.TF | Flag.IF | Flag.DF | Flag.IOPL | Flag.NT | Flag.RF | Flag.AC | Flag.VIF | Flag.VIP | Flag.ID;

export const Cr0 = { PE: 1 << 0, MP: 1 << 1, EM: 1 << 2, TS: 1 << 3, ET: 1 << 4, NE: 1 << 5, WP: 1 << 16, AM: 1 << 18, NW: 1 << 29, CD: 1 << 30, PG: 2 ** 31 } as const;
export const Cr4 = {
  VME: 1 << 0, PVI: 1 << 1, TSD: 1 << 2, DE: 1 << 3, PSE: 1 << 4, PAE: 1 << 5, MCE: 1 << 6, PGE: 1 << 7, PCE: 1 << 8,
  OSFXSR: 1 << 9, OSXMMEXCPT: 1 << 10, UMIP: 1 << 11, VMXE: 1 << 13, FSGSBASE: 1 << 16, PCIDE: 1 << 17, OSXSAVE: 1 << 18,
  SMEP: 1 << 20, SMAP: 1 << 21,
} as const;
export const Efer = { SCE: 1 << 0, LME: 1 << 8, LMA: 1 << 10, NXE: 1 << 11 } as const;

/**
 * Segment access rights in the VMCS format (SDM Vol.3C 25.4.1, Table 25-2): the descriptor's
 * type, S, DPL, P, AVL, L, D/B and G bits, plus "unusable".
 */
export const SegAttr = {
  TYPE: 0xf, ACCESSED: 1, CODE: 1 << 3, S: 1 << 4, DPL_SHIFT: 5, P: 1 << 7, AVL: 1 << 12, L: 1 << 13, DB: 1 << 14, G: 1 << 15,
  UNUSABLE: 1 << 16,
} as const;

/** Exception vectors (SDM Vol.3A 6.3.1). */
export const Vector = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13,
  PF: 14, MF: 16, AC: 17, MC: 18, XM: 19,
} as const;

/** 2^32, for joining a 64-bit value's halves into a number. */
export const TWO32 = 4294967296;

/** The state a reset or INIT gives a logical processor (SDM Vol.3A Table 9-1). */
export class CpuState {
  /** GPR n is r[2n] (bits 31:0) and r[2n+1] (bits 63:32). */
  readonly r = new Int32Array(32);
  /** RIP: a canonical linear address in 64-bit mode, EIP/IP (zero-extended) otherwise. */
  rip = 0;
  /** RFLAGS bits other than the six status flags, which live in the lazy-flags fields below. */
  flags = Flag.FIXED1;

  // Lazy status flags: the last flag-setting operation and its operands (hw/flags.ts).
  lfOp = 0;
  lfSize = 4;
  lfA = 0;
  lfAHi = 0;
  lfB = 0;
  lfBHi = 0;
  lfRes = 0;
  lfResHi = 0;
  /** Operation-specific: carry in (ADC/SBB), the kept CF (INC/DEC), explicit flag bits. */
  lfAux = 0;

  /** Segment registers: visible selector and the hidden descriptor cache. */
  readonly segSelector = new Uint16Array(8);
  readonly segBase = new Float64Array(8);
  readonly segLimit = new Float64Array(8);
  readonly segAttr = new Int32Array(8);
  gdtrBase = 0;
  gdtrLimit = 0xffff;
  idtrBase = 0;
  idtrLimit = 0xffff;

  cr0 = Cr0.ET | Cr0.NW | Cr0.CD;
  cr2Lo = 0;
  cr2Hi = 0;
  cr3 = 0;
  cr4 = 0;
  efer = 0;
  /** DR0..DR3, DR6, DR7 (DR4/5 alias DR6/7 when CR4.DE is clear). */
  readonly dr = new BigUint64Array([0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n]);

  // MSR-backed state the CPU keeps itself (passed through by the MSR bitmap).
  star = 0n;
  lstar = 0;
  cstar = 0;
  fmask = 0;
  kernelGsBase = 0;
  tscAux = 0;
  /** Added to the host's nanosecond clock to give this vCPU's TSC (the VMCS TSC offset). */
  tscOffset = 0;

  /** Current privilege level: CS.RPL once loaded, i.e. SS.DPL (SDM Vol.3A 5.5). */
  cpl = 0;
  /** Instruction-set mode: 64, 32 or 16 (CS.L, CS.D; real mode is 16). */
  mode: 16 | 32 | 64 = 16;
  /** Blocking by STI or MOV SS for the next instruction (SDM Vol.3A 6.8.3). */
  interruptShadow = false;
  /** Blocking by NMI: from NMI delivery until the next IRET. */
  nmiBlocked = false;
  /** DR7 enables a breakpoint (L0-L3/G0-G3): instructions then run one at a time to check them. */
  breakpointsEnabled = false;
  /**
   * Instructions must run one at a time: the monitor trap flag, an interrupt shadow or DR7 asks
   * for it (TF is checked apart). Kept up to date where those change, so the run loop reads one field.
   */
  singleStep = false;

  constructor() {
    this.resetSegments();
  }

  /** Real-mode segments as after reset, CS = F000 with base FFFF0000 (SDM Table 9-1). */
  resetSegments(): void {
    for (let s = 0; s < 6; s++) this.loadRealSegment(s, 0);
    this.segSelector[Seg.CS] = 0xf000;
    this.segBase[Seg.CS] = 0xffff0000;
    this.segLimit[Seg.LDTR] = 0xffff;
    this.segAttr[Seg.LDTR] = SegAttr.P | 2;
    this.segLimit[Seg.TR] = 0xffff;
    this.segAttr[Seg.TR] = SegAttr.P | 11;
  }

  /** A segment as real mode loads it: base = selector * 16, limit 64 KiB, read/write (or code). */
  loadRealSegment(seg: number, selector: number): void {
    this.segSelector[seg] = selector;
    this.segBase[seg] = selector * 16;
    this.segLimit[seg] = 0xffff;
    this.segAttr[seg] = SegAttr.P | SegAttr.S | (seg === Seg.CS ? 0xb : 3);
  }

  gprLow(n: number): number {
    return this.r[n * 2]! >>> 0;
  }
  /** GPR n as a number: exact when it holds a canonical address or any value below 2^53. */
  gprNumber(n: number): number {
    return this.r[n * 2 + 1]! * TWO32 + (this.r[n * 2]! >>> 0);
  }
  gpr(n: number): bigint {
    return (BigInt(this.r[n * 2 + 1]! >>> 0) << 32n) | BigInt(this.r[n * 2]! >>> 0);
  }
  setGpr(n: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.r[n * 2] = Number(v & 0xffffffffn) | 0;
    this.r[n * 2 + 1] = Number(v >> 32n) | 0;
  }
  /** Set GPR n from a number (an integer in [-2^53, 2^64)); negative values sign-extend. */
  setGprNumber(n: number, value: number): void {
    this.r[n * 2] = value | 0;
    this.r[n * 2 + 1] = Math.floor(value / TWO32) | 0;
  }

  get cr2(): bigint {
    return (BigInt(this.cr2Hi >>> 0) << 32n) | BigInt(this.cr2Lo >>> 0);
  }
  set cr2(value: bigint) {
    const v = BigInt.asUintN(64, value);
    this.cr2Lo = Number(v & 0xffffffffn) | 0;
    this.cr2Hi = Number(v >> 32n) | 0;
  }

  /** A linear address (a number) as an unsigned 64-bit bigint. */
  static linearBig(address: number): bigint {
    return BigInt.asUintN(64, BigInt(address));
  }
}
