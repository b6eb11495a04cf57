/**
 * The generated corpus: GNU as (Intel syntax) programs that execute every integer instruction form
 * issue 10 lists, in every operand size, on register and memory operands in every addressing form,
 * from random states drawn from a seeded PRNG mixed with the flag edge cases (0, 1, -1, the sign
 * bit, MIN/MAX, shift counts 0, 1, size-1, size, 31, 63, masked counts, carries in). Every case
 * loads the registers and memory it uses, then RFLAGS (push imm; popfq), then runs its instruction,
 * so each instruction starts from a chosen state. One program per instruction family, so one
 * family's bug does not hide another's. Faulting cases list (faulting RIP, resume RIP) pairs in
 * .ymir_resume; both the stepper and the comparison continue there.
 *
 * Undefined results are not generated: BSWAP of a 16-bit register, SHLD/SHRD of a 16-bit memory
 * operand by more than 16 (a register destination is generated and masked, undefined-flags.ts).
 */

/** xoshiro128** (public domain, Blackman and Vigna): small, fast, good enough, and reproducible. */
export class Rng {
  private s: Uint32Array;
  constructor(seed: number) {
    // splitmix32 to spread the seed over the state.
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let n = 0; n < 4; n++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[n] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  u32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(): boolean {
    return (this.u32() & 1) === 1;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export type Bits = 8 | 16 | 32 | 64;
const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const PTR: Readonly<Record<number, string>> = { 8: 'byte', 16: 'word', 32: 'dword', 64: 'qword', 128: 'xmmword' };

const R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const R8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const HIGH8 = ['ah', 'ch', 'dh', 'bh'];
export const RSP = 4;

export function gprName(n: number, bits: Bits): string {
  return (bits === 64 ? R64 : bits === 32 ? R32 : bits === 16 ? R16 : R8)[n]!;
}

/** The condition codes in encoding order (SDM Vol. 1 Appendix B). */
export const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;

/** Flag values popfq may load at CPL 3 without side effects: the status flags, DF, IF. */
const STATUS = 0x8d5;
const DF = 0x400;

/** A register operand: its text and how to give it a value (the rest of the register random). */
interface RegOperand {
  readonly text: string;
  readonly gpr: number;
  readonly high: boolean;
}

/** The data the corpus programs work on: 4 pages at the end of the data segment (unmapped after). */
export const SCRATCH_PAGES = 4;
const SCRATCH = 'ymir_scratch';
const SCRATCH_BYTES = SCRATCH_PAGES * 4096;
/** ymir_fs_base / ymir_gs_base: the bases the stepper and the TestMachine set (trace.ts). */
const FS_OFFSET = 0x1800;
const GS_OFFSET = 0x2400;
/** An address never mapped on either side (below the program: Linux's mmap_min_addr is 64 KiB). */
const UNMAPPED = 0x1000n;

class Case {
  readonly setup: string[] = [];
  readonly body: string[] = [];
  private readonly loads = new Map<number, bigint>();
  private flagsValue: number;
  readonly used = new Set<number>([RSP]);

  constructor(
    readonly gen: Generator,
    readonly label: string,
  ) {
    this.flagsValue = 0x202 | (gen.rng.u32() & STATUS);
  }

  get rng(): Rng {
    return this.gen.rng;
  }

  /** A GPR not used yet in this case (never RSP). */
  freeGpr(avoid: readonly number[] = []): number {
    for (;;) {
      const n = this.rng.int(16);
      if (!this.used.has(n) && !avoid.includes(n)) {
        this.used.add(n);
        return n;
      }
    }
  }

  /** Set a 64-bit register before the instruction. */
  set(gpr: number, value: bigint): void {
    this.used.add(gpr);
    this.loads.set(gpr, value & mask(64));
  }

  /** A register operand of `bits` holding `low` in its low bits (the rest random). */
  reg(bits: Bits, low: bigint, options: { allowHigh?: boolean; gpr?: number; avoid?: readonly number[] } = {}): RegOperand {
    if (bits === 8 && options.allowHigh === true && options.gpr === undefined && this.rng.int(3) === 0) {
      const parents = [0, 1, 2, 3].filter((n) => !this.used.has(n) && !(options.avoid ?? []).includes(n));
      if (parents.length > 0) {
        const gpr = this.rng.pick(parents);
        this.set(gpr, (this.rng.u64() & ~0xff00n) | ((low & 0xffn) << 8n));
        return { text: HIGH8[gpr]!, gpr, high: true };
      }
    }
    const gpr = options.gpr ?? this.freeGpr(options.avoid ?? []);
    this.set(gpr, (this.rng.u64() & ~mask(bits)) | (low & mask(bits)));
    return { text: gprName(gpr, bits), gpr, high: false };
  }

  /** Two distinct register operands that can share an instruction (AH..BH only beside legacy ones). */
  regPair(bits: Bits): [RegOperand, RegOperand] {
    const d = this.reg(bits, this.gen.value(bits), { allowHigh: true });
    if (d.high) return [d, this.legacyReg(bits, this.gen.value(bits))];
    const s = this.reg(bits, this.gen.value(bits), { allowHigh: bits === 8 && d.gpr < 4 });
    return this.rng.bool() ? [d, s] : [s, d];
  }

  /** Legacy registers only (no REX), for instructions that name AH..BH. */
  legacyReg(bits: Bits, low: bigint): RegOperand {
    const choices = (bits === 8 ? [0, 1, 2, 3] : [0, 1, 2, 3, 5, 6, 7]).filter((n) => !this.used.has(n));
    const gpr = this.rng.pick(choices);
    return this.reg(bits, low, { gpr });
  }

  flags(value: number): void {
    this.flagsValue = 0x202 | (value & (STATUS | DF));
  }

  setFlagBits(bits: number, on: boolean): void {
    this.flagsValue = on ? this.flagsValue | bits : this.flagsValue & ~bits;
  }

  /** Store `bytes` at `where` (a scratch offset, or an address expression) before the instruction. */
  poke(where: number | string, bytes: Uint8Array): void {
    const at = typeof where === 'number' ? `${SCRATCH} + ${where}` : where;
    let k = 0;
    while (k < bytes.length) {
      const left = bytes.length - k;
      const width = left >= 4 ? 4 : left >= 2 ? 2 : 1;
      let v = 0n;
      for (let b = width - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[k + b]!);
      this.setup.push(`mov ${PTR[width * 8]} ptr [${at} + ${k}], ${hex(v)}`);
      k += width;
    }
  }

  /** Random (or `value`'s) contents for `length` bytes at `where`. */
  fill(where: number | string, length: number, value?: bigint): void {
    const bytes = new Uint8Array(length);
    for (let k = 0; k < length; k++) bytes[k] = value === undefined ? this.rng.int(256) : Number((value >> BigInt(8 * k)) & 0xffn);
    this.poke(where, bytes);
  }

  emit(out: string[]): void {
    out.push(`${this.label}:`);
    for (const line of this.setup) out.push(`    ${line}`);
    for (const [gpr, value] of this.loads) out.push(`    mov ${R64[gpr]}, ${hex(value)}`);
    out.push(`    push ${hex(BigInt(this.flagsValue))}`, '    popfq');
    for (const line of this.body) out.push(line.endsWith(':') ? line : `    ${line}`);
  }
}

type AddressMode = 'abs' | 'rip' | 'base' | 'disp8' | 'disp32' | 'sib' | 'index' | 'rsp' | 'fs' | 'gs' | 'addr32';
const ADDRESS_MODES: readonly AddressMode[] = ['abs', 'rip', 'base', 'disp8', 'disp32', 'sib', 'sib', 'index', 'rsp', 'fs', 'gs', 'addr32'];

export interface CorpusOptions {
  readonly seed: number;
  /** Random cases per form (edge cases come on top, with probability 1/3 each value). */
  readonly cases: number;
}

export interface CorpusProgram {
  readonly name: string;
  readonly source: string;
  readonly cases: number;
  /** Forms (mnemonic, operand pattern, size) and how many cases each got. */
  readonly forms: ReadonlyMap<string, number>;
}

export class Generator {
  readonly rng: Rng;
  private readonly lines: string[] = [];
  private readonly resumes: string[] = [];
  private readonly forms = new Map<string, number>();
  private caseCount = 0;
  private local = 0;
  private slots = 0;

  constructor(
    readonly name: string,
    seed: number,
  ) {
    this.rng = new Rng(seed);
  }

  /** A value for a `bits`-wide operand: an edge case one time in three, random otherwise. */
  value(bits: number): bigint {
    const m = mask(bits);
    const sign = 1n << BigInt(bits - 1);
    if (this.rng.int(3) === 0) {
      return this.rng.pick([0n, 1n, m, sign, sign - 1n, sign + 1n, 2n, m - 1n, BigInt(this.rng.int(16)), sign >> 1n]) & m;
    }
    switch (this.rng.int(4)) {
      case 0: return BigInt(this.rng.int(256)) & m;
      case 1: return (m - BigInt(this.rng.int(256))) & m;
      default: return this.rng.u64() & m;
    }
  }

  /** A number no other call returns (for addresses that must be unique in the program). */
  slot(): number {
    return this.slots++;
  }

  /** A fresh local label. */
  label(hint: string): string {
    return `.L${hint}_${this.local++}`;
  }

  /** Add a case of form `form`; `build` fills it. */
  add(form: string, build: (c: Case) => void): void {
    const label = `case_${this.caseCount++}_${form.replace(/[^a-zA-Z0-9]+/g, '_')}`;
    const c = new Case(this, label);
    build(c);
    c.emit(this.lines);
    this.forms.set(form, (this.forms.get(form) ?? 0) + 1);
  }

  /** Mark the next body line of `c` as faulting, resuming after it. */
  faulting(c: Case, instruction: string): void {
    const at = this.label('fault');
    const resume = this.label('resume');
    c.body.push(`${at}:`, instruction, `${resume}:`);
    this.resumes.push(`.quad ${at}, ${resume}`);
  }

  /** A resume entry for a fault at an address other than a label (a jump into unmapped memory). */
  resumeAt(address: string, resume: string): void {
    this.resumes.push(`.quad ${address}, ${resume}`);
  }

  /**
   * A memory operand of `bytes` bytes: picks a scratch offset (sometimes across a page boundary)
   * and an addressing form, sets the registers it needs and returns the operand text (without the
   * size keyword) and the offset.
   */
  memory(c: Case, bytes: number, options: { mode?: AddressMode; offset?: number; align?: number; avoid?: readonly number[] } = {}): { text: string; where: string } {
    let offset = options.offset;
    if (offset === undefined) {
      const crossing = this.rng.int(5) === 0 && bytes > 1 && options.align === undefined;
      if (crossing) {
        offset = 4096 * this.rng.range(1, SCRATCH_PAGES - 1) - this.rng.range(1, bytes - 1);
      } else {
        offset = this.rng.int(SCRATCH_BYTES - bytes - 64) + 32;
        if (options.align !== undefined) offset -= offset % options.align;
      }
    }
    const mode = options.mode ?? this.rng.pick(options.offset === undefined && bytes <= 8 ? ADDRESS_MODES : ADDRESS_MODES.filter((m) => m !== 'rsp'));
    const where = `${SCRATCH} + ${offset}`;
    const avoid = options.avoid ?? [];
    const target = (symbol: string, plus: bigint): string => `${symbol} + ${plus >= 0n ? plus : `(${plus})`}`;
    const d8 = (): bigint => BigInt(this.rng.range(-128, 127));
    const d32 = (): bigint => BigInt(this.rng.range(-0x7fffffff, 0x7fffffff));
    // Registers get addresses computed by the assembler: `mov reg, imm64` takes an expression.
    const setExpr = (gpr: number, expr: string): void => {
      c.used.add(gpr);
      c.setup.push(`movabs ${R64[gpr]}, offset ${expr}`);
    };
    switch (mode) {
      case 'abs':
        return { text: `[${target(SCRATCH, BigInt(offset))}]`, where };
      case 'rip':
        return { text: `[rip + ${target(SCRATCH, BigInt(offset))}]`, where };
      case 'rsp': {
        // RSP is ymir_stack_top - 8 at every case (cases keep the stack balanced): the red zone,
        // below the flags the case pushes.
        const below = this.rng.range(16 + bytes, 120);
        return { text: `[rsp - ${below}]`, where: `ymir_stack_top - 8 - ${below}` };
      }
      case 'base': {
        const b = c.freeGpr(avoid);
        setExpr(b, target(SCRATCH, BigInt(offset)));
        return { text: `[${R64[b]}]`, where };
      }
      case 'disp8':
      case 'disp32': {
        const b = c.freeGpr(avoid);
        const d = mode === 'disp8' ? d8() : d32();
        setExpr(b, target(SCRATCH, BigInt(offset) - d));
        return { text: `[${R64[b]} ${d >= 0n ? '+' : '-'} ${d >= 0n ? d : -d}]`, where };
      }
      case 'sib': {
        const b = c.freeGpr(avoid);
        const i = c.freeGpr([...avoid, RSP]);
        const scale = this.rng.pick([1, 2, 4, 8]);
        const index = this.rng.bool() ? BigInt(this.rng.range(-4096, 4096)) : BigInt(this.rng.int(64));
        const d = this.rng.pick([0n, d8(), d32()]);
        c.set(i, index);
        setExpr(b, target(SCRATCH, BigInt(offset) - index * BigInt(scale) - d));
        const disp = d === 0n ? '' : ` ${d >= 0n ? '+' : '-'} ${d >= 0n ? d : -d}`;
        return { text: `[${R64[b]} + ${R64[i]}*${scale}${disp}]`, where };
      }
      case 'index': {
        const i = c.freeGpr([...avoid, RSP]);
        const scale = this.rng.pick([1, 2, 4, 8]);
        const index = BigInt(this.rng.int(512));
        c.set(i, index);
        return { text: `[${R64[i]}*${scale} + ${target(SCRATCH, BigInt(offset) - index * BigInt(scale))}]`, where };
      }
      case 'fs':
      case 'gs': {
        const b = c.freeGpr(avoid);
        const d = d8();
        const base = mode === 'fs' ? FS_OFFSET : GS_OFFSET;
        c.set(b, BigInt(offset - base) - d);
        return { text: `${mode}:[${R64[b]} ${d >= 0n ? '+' : '-'} ${d >= 0n ? d : -d}]`, where };
      }
      case 'addr32': {
        // 67h: the upper half of the base register must not take part in the address.
        const b = c.freeGpr(avoid);
        const d = d8();
        c.used.add(b);
        c.setup.push(`movabs ${R64[b]}, offset ${hex(this.rng.u64() & ~mask(32))} + ${target(SCRATCH, BigInt(offset) - d)}`);
        return { text: `[${R32[b]} ${d >= 0n ? '+' : '-'} ${d >= 0n ? d : -d}]`, where };
      }
    }
  }

  /** A memory operand of `bytes` bytes with random (or given) contents. */
  memOperand(c: Case, bytes: number, options: { value?: bigint; mode?: AddressMode; align?: number; avoid?: readonly number[]; offset?: number } = {}): string {
    const m = this.memory(c, bytes, options);
    c.fill(m.where, bytes, options.value);
    return `${PTR[bytes * 8]} ptr ${m.text}`;
  }

  program(): CorpusProgram {
    const out = [
      `/* ${this.name}: generated by test/cpu/corpus.ts; do not edit. */`,
      '    .intel_syntax noprefix',
      '    .text',
      '    .globl ymir_main',
      'ymir_main:',
    ];
    out.push(...this.lines);
    out.push('    xor eax, eax', '    cld', '    ret');
    out.push('    .section .ymir_resume, "a"', ...this.resumes.map((r) => `    ${r}`));
    out.push('    .section .note.GNU-stack, "", @progbits');
    out.push(
      '    .bss',
      '    .balign 4096',
      `    .globl ${SCRATCH}, ymir_fs_base, ymir_gs_base`,
      `${SCRATCH}:`,
      `    .skip ${SCRATCH_BYTES}`,
      `    .set ymir_fs_base, ${SCRATCH} + ${FS_OFFSET}`,
      `    .set ymir_gs_base, ${SCRATCH} + ${GS_OFFSET}`,
    );
    return { name: this.name, source: `${out.join('\n')}\n`, cases: this.caseCount, forms: this.forms };
  }
}

// --- the families ---------------------------------------------------------------------------------

const SIZES: readonly Bits[] = [8, 16, 32, 64];
const WIDE: readonly Bits[] = [16, 32, 64];

/** An immediate that fits `bits` (sign-extended imm8/imm32 forms as the assembler picks them). */
function immediate(g: Generator, bits: Bits): bigint {
  const small = g.rng.bool();
  const limit = bits === 8 ? 8 : small ? 8 : bits === 16 ? 16 : 32;
  const v = g.value(limit);
  // Signed view, so the assembler picks the sign-extending encodings.
  const signed = v >= 1n << BigInt(limit - 1) ? v - (1n << BigInt(limit)) : v;
  return signed;
}

const imm = (v: bigint): string => (v < 0n ? `-${hex(-v)}` : hex(v));

function alu(g: Generator, n: number): void {
  for (const op of ['add', 'adc', 'sub', 'sbb', 'and', 'or', 'xor', 'cmp']) {
    for (const bits of SIZES) {
      for (let k = 0; k < n; k++) {
        g.add(`${op} r${bits}, r${bits}`, (c) => {
          const [d, s] = c.regPair(bits);
          c.body.push(`${g.rng.bool() ? '{load} ' : ''}${op} ${d.text}, ${s.text}`);
        });
        g.add(`${op} r${bits}, r${bits} (same)`, (c) => {
          const d = c.reg(bits, g.value(bits));
          c.body.push(`${op} ${d.text}, ${d.text}`);
        });
        g.add(`${op} r${bits}, m${bits}`, (c) => {
          const d = c.reg(bits, g.value(bits));
          c.body.push(`${op} ${d.text}, ${g.memOperand(c, bits / 8, { avoid: [d.gpr] })}`);
        });
        g.add(`${op} m${bits}, r${bits}`, (c) => {
          const s = c.reg(bits, g.value(bits));
          const lock = op !== 'cmp' && g.rng.bool() ? 'lock ' : '';
          c.body.push(`${lock}${op} ${g.memOperand(c, bits / 8, { avoid: [s.gpr] })}, ${s.text}`);
        });
        g.add(`${op} r${bits}, imm`, (c) => {
          const d = c.reg(bits, g.value(bits), { allowHigh: true });
          c.body.push(`${op} ${d.text}, ${imm(immediate(g, bits))}`);
        });
        g.add(`${op} acc${bits}, imm`, (c) => {
          const d = c.reg(bits, g.value(bits), { gpr: 0 });
          c.body.push(`${op} ${d.text}, ${imm(immediate(g, bits))}`);
        });
        g.add(`${op} m${bits}, imm`, (c) => {
          const lock = op !== 'cmp' && g.rng.int(3) === 0 ? 'lock ' : '';
          c.body.push(`${lock}${op} ${g.memOperand(c, bits / 8)}, ${imm(immediate(g, bits))}`);
        });
      }
    }
  }
  for (const bits of SIZES) {
    for (let k = 0; k < n; k++) {
      g.add(`test r${bits}, r${bits}`, (c) => {
        const d = c.reg(bits, g.value(bits));
        const s = c.reg(bits, g.value(bits));
        c.body.push(`test ${d.text}, ${s.text}`);
      });
      g.add(`test m${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`test ${g.memOperand(c, bits / 8, { avoid: [s.gpr] })}, ${s.text}`);
      });
      g.add(`test r${bits}, imm`, (c) => {
        const d = g.rng.bool() ? c.reg(bits, g.value(bits), { gpr: 0 }) : c.reg(bits, g.value(bits), { allowHigh: true });
        c.body.push(`test ${d.text}, ${imm(immediate(g, bits === 64 ? 32 : bits))}`);
      });
      g.add(`test m${bits}, imm`, (c) => {
        c.body.push(`test ${g.memOperand(c, bits / 8)}, ${imm(immediate(g, bits === 64 ? 32 : bits))}`);
      });
      for (const op of ['not', 'neg', 'inc', 'dec']) {
        g.add(`${op} r${bits}`, (c) => {
          c.body.push(`${op} ${c.reg(bits, g.value(bits), { allowHigh: true }).text}`);
        });
        g.add(`${op} m${bits}`, (c) => {
          c.body.push(`${g.rng.bool() ? 'lock ' : ''}${op} ${g.memOperand(c, bits / 8)}`);
        });
      }
    }
  }
}

function moves(g: Generator, n: number): void {
  for (const bits of SIZES) {
    for (let k = 0; k < n; k++) {
      g.add(`mov r${bits}, r${bits}`, (c) => {
        const [d, s] = c.regPair(bits);
        c.body.push(`${g.rng.bool() ? '{load} ' : ''}mov ${d.text}, ${s.text}`);
      });
      g.add(`mov r${bits}, m${bits}`, (c) => {
        const d = c.reg(bits, g.value(bits));
        c.body.push(`mov ${d.text}, ${g.memOperand(c, bits / 8, { avoid: [d.gpr] })}`);
      });
      g.add(`mov m${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`mov ${g.memOperand(c, bits / 8, { avoid: [s.gpr] })}, ${s.text}`);
      });
      g.add(`mov r${bits}, imm`, (c) => {
        const d = c.reg(bits, g.value(bits), { allowHigh: true });
        const v = bits === 64 && g.rng.bool() ? g.value(64) : immediate(g, bits);
        c.body.push(`${bits === 64 && (v > 0x7fffffffn || v < -0x80000000n) ? 'movabs' : 'mov'} ${d.text}, ${imm(v)}`);
      });
      g.add(`mov m${bits}, imm`, (c) => {
        c.body.push(`mov ${g.memOperand(c, bits / 8)}, ${imm(immediate(g, bits))}`);
      });
      g.add(`movabs acc${bits}, moffs`, (c) => {
        const m = g.memory(c, bits / 8, { mode: 'abs' });
        c.fill(m.where, bits / 8);
        const a = c.reg(bits, g.value(bits), { gpr: 0 });
        c.body.push(g.rng.bool() ? `movabs ${a.text}, ${PTR[bits]} ptr [${m.where}]` : `movabs ${PTR[bits]} ptr [${m.where}], ${a.text}`);
      });
      g.add(`xchg r${bits}, r${bits}`, (c) => {
        const [d, s] = bits > 8 && g.rng.bool() ? [c.reg(bits, g.value(bits), { gpr: 0 }), c.reg(bits, g.value(bits))] : c.regPair(bits);
        c.body.push(`xchg ${d.text}, ${s.text}`);
      });
      g.add(`xchg m${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`${g.rng.bool() ? 'lock ' : ''}xchg ${g.memOperand(c, bits / 8, { avoid: [s.gpr] })}, ${s.text}`);
      });
    }
  }
  for (let k = 0; k < n; k++) {
    g.add('xchg eax, eax', (c) => {
      c.reg(64, g.value(64), { gpr: 0 });
      c.body.push('xchg eax, eax');
    });
    for (const [dst, src] of [[16, 8], [32, 8], [64, 8], [32, 16], [64, 16]] as const) {
      for (const op of ['movzx', 'movsx']) {
        g.add(`${op} r${dst}, r${src}`, (c) => {
          // AH..BH cannot be encoded with REX.W: high bytes only into 16- and 32-bit registers.
          const s = c.reg(src, g.value(src), { allowHigh: dst < 64 });
          const d = s.high ? c.legacyReg(dst, g.value(dst)) : c.reg(dst, g.value(dst));
          c.body.push(`${op} ${d.text}, ${s.text}`);
        });
        g.add(`${op} r${dst}, m${src}`, (c) => {
          const d = c.reg(dst, g.value(dst));
          c.body.push(`${op} ${d.text}, ${g.memOperand(c, src / 8, { avoid: [d.gpr] })}`);
        });
      }
    }
    g.add('movsxd r64, r32', (c) => {
      const s = c.reg(32, g.value(32));
      c.body.push(`movsxd ${c.reg(64, g.value(64)).text}, ${s.text}`);
    });
    g.add('movsxd r64, m32', (c) => {
      const d = c.reg(64, g.value(64));
      c.body.push(`movsxd ${d.text}, ${g.memOperand(c, 4, { avoid: [d.gpr] })}`);
    });
    for (const bits of WIDE) {
      g.add(`lea r${bits}, m`, (c) => {
        // LEA computes any address: random bases and indexes, no access.
        const b = c.reg(64, g.rng.u64());
        const i = c.reg(64, g.value(64), { avoid: [RSP] });
        const d = c.reg(bits, g.value(bits));
        const disp = imm(BigInt(g.rng.pick([0, g.rng.range(-128, 127), g.rng.range(-0x7fffffff, 0x7fffffff)])));
        const form = g.rng.int(4);
        const address = form === 0 ? `[${R64[b.gpr]} + ${disp}]` : form === 1 ? `[${R64[b.gpr]} + ${R64[i.gpr]}*${g.rng.pick([1, 2, 4, 8])} + ${disp}]` : form === 2 ? `[rip + ${c.label} + ${disp}]` : `[${R32[b.gpr]} + ${R32[i.gpr]}*${g.rng.pick([1, 2, 4, 8])} + ${disp}]`;
        c.body.push(`lea ${d.text}, ${address}`);
      });
    }
    for (const bits of [32, 64] as const) {
      g.add(`bswap r${bits}`, (c) => {
        c.body.push(`bswap ${c.reg(bits, g.value(bits)).text}`);
      });
    }
    for (const op of ['cbw', 'cwde', 'cdqe', 'cwd', 'cdq', 'cqo']) {
      g.add(op, (c) => {
        c.reg(64, g.value(64), { gpr: 0 });
        c.reg(64, g.rng.u64(), { gpr: 2 });
        c.body.push(op);
      });
    }
    g.add('xlat', (c) => {
      const table = g.rng.int(SCRATCH_BYTES - 256);
      c.fill(table, 256);
      c.used.add(3);
      c.setup.push(`lea rbx, [ymir_scratch + ${table}]`);
      c.reg(64, g.rng.u64(), { gpr: 0 });
      c.body.push('xlatb');
    });
  }
}

function multiply(g: Generator, n: number): void {
  for (const bits of SIZES) {
    for (let k = 0; k < n; k++) {
      for (const op of ['mul', 'imul']) {
        g.add(`${op} r${bits}`, (c) => {
          c.reg(64, g.value(64), { gpr: 0 });
          c.reg(64, g.rng.u64(), { gpr: 2 });
          c.body.push(`${op} ${c.reg(bits, g.value(bits), { allowHigh: true }).text}`);
        });
        g.add(`${op} m${bits}`, (c) => {
          c.reg(64, g.value(64), { gpr: 0 });
          c.reg(64, g.rng.u64(), { gpr: 2 });
          c.body.push(`${op} ${g.memOperand(c, bits / 8)}`);
        });
      }
      for (const op of ['div', 'idiv']) {
        for (const source of ['r', 'm']) {
          g.add(`${op} ${source}${bits}`, (c) => {
            const { hi, lo, divisor } = division(g, bits, op === 'idiv');
            if (bits === 8) {
              c.reg(64, (g.rng.u64() & ~0xffffn) | (hi << 8n) | lo, { gpr: 0 });
            } else {
              c.reg(64, (g.rng.u64() & ~mask(bits)) | lo, { gpr: 0 });
              c.reg(64, (g.rng.u64() & ~mask(bits)) | hi, { gpr: 2 });
            }
            const operand = source === 'r' ? c.reg(bits, divisor).text : g.memOperand(c, bits / 8, { value: divisor });
            c.body.push(`${op} ${operand}`);
          });
        }
      }
    }
  }
  for (const bits of WIDE) {
    for (let k = 0; k < n; k++) {
      g.add(`imul r${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`imul ${c.reg(bits, g.value(bits)).text}, ${s.text}`);
      });
      g.add(`imul r${bits}, m${bits}`, (c) => {
        const d = c.reg(bits, g.value(bits));
        c.body.push(`imul ${d.text}, ${g.memOperand(c, bits / 8, { avoid: [d.gpr] })}`);
      });
      g.add(`imul r${bits}, r${bits}, imm`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`imul ${c.reg(bits, g.value(bits)).text}, ${s.text}, ${imm(immediate(g, bits))}`);
      });
      g.add(`imul r${bits}, m${bits}, imm`, (c) => {
        const d = c.reg(bits, g.value(bits));
        c.body.push(`imul ${d.text}, ${g.memOperand(c, bits / 8, { avoid: [d.gpr] })}, ${imm(immediate(g, bits))}`);
      });
    }
  }
}

/** A dividend (hi:lo) and divisor whose quotient fits: no #DE (those cases are in faults). */
function division(g: Generator, bits: number, signed: boolean): { hi: bigint; lo: bigint; divisor: bigint } {
  const m = mask(bits);
  let divisor = g.value(bits);
  if (divisor === 0n) divisor = 1n;
  if (!signed) {
    const hi = (g.rng.u64() & m) % divisor;
    return { hi, lo: g.value(bits), divisor };
  }
  // dividend = q * d + r with |r| < |d| and r of the dividend's sign: the quotient is q.
  const toSigned = (v: bigint): bigint => (v >> BigInt(bits - 1) !== 0n ? v - (1n << BigInt(bits)) : v);
  const d = toSigned(divisor);
  const q = toSigned(g.value(bits));
  const absD = d < 0n ? -d : d;
  const r = BigInt(g.rng.int(Number(absD < 1000000n ? absD : 1000000n)));
  const product = q * d;
  const dividend = product > 0n || (product === 0n && g.rng.bool()) ? product + r : product - r;
  const wide = BigInt.asUintN(bits * 2, dividend);
  return { hi: (wide >> BigInt(bits)) & m, lo: wide & m, divisor };
}

function countFor(g: Generator, bits: number): number {
  return g.rng.pick([0, 1, bits - 1, bits, 31, 63, bits + 1, g.rng.int(256), g.rng.int(bits), g.rng.int(bits), 2, 32 + g.rng.int(32)]) & 0xff;
}

function shifts(g: Generator, n: number): void {
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr']) {
    for (const bits of SIZES) {
      for (let k = 0; k < n; k++) {
        for (const by of ['1', 'cl', 'imm']) {
          for (const where of ['r', 'm']) {
            g.add(`${op} ${where}${bits}, ${by}`, (c) => {
              const count = countFor(g, bits);
              if (by === 'cl') c.reg(64, (g.rng.u64() & ~0xffn) | BigInt(count), { gpr: 1 });
              const dest = where === 'r' ? c.reg(bits, g.value(bits), { allowHigh: true, avoid: [1] }).text : g.memOperand(c, bits / 8, { avoid: [1] });
              c.body.push(`${op} ${dest}, ${by === '1' ? '1' : by === 'cl' ? 'cl' : count}`);
            });
          }
        }
      }
    }
  }
  for (const op of ['shld', 'shrd']) {
    for (const bits of WIDE) {
      for (let k = 0; k < n; k++) {
        for (const by of ['cl', 'imm']) {
          for (const where of ['r', 'm']) {
            g.add(`${op} ${where}${bits}, r${bits}, ${by}`, (c) => {
              let count = countFor(g, bits);
              // A 16-bit memory destination shifted by more than 16 is undefined: not generated.
              if (where === 'm' && bits === 16 && (count & 31) > 16) count &= 15;
              if (by === 'cl') c.reg(64, (g.rng.u64() & ~0xffn) | BigInt(count), { gpr: 1 });
              const s = c.reg(bits, g.value(bits), { avoid: [1] });
              const dest = where === 'r' ? c.reg(bits, g.value(bits), { avoid: [1] }).text : g.memOperand(c, bits / 8, { avoid: [1, s.gpr] });
              c.body.push(`${op} ${dest}, ${s.text}, ${by === 'cl' ? 'cl' : count}`);
            });
          }
        }
      }
    }
  }
}

function bits(g: Generator, n: number): void {
  for (const op of ['bt', 'bts', 'btr', 'btc']) {
    for (const size of WIDE) {
      for (let k = 0; k < n; k++) {
        const lock = (): string => (op !== 'bt' && g.rng.bool() ? 'lock ' : '');
        g.add(`${op} r${size}, r${size}`, (c) => {
          const offset = c.reg(size, g.value(size));
          c.body.push(`${op} ${c.reg(size, g.value(size)).text}, ${offset.text}`);
        });
        g.add(`${op} r${size}, imm`, (c) => {
          c.body.push(`${op} ${c.reg(size, g.value(size)).text}, ${g.rng.int(256)}`);
        });
        g.add(`${op} m${size}, imm`, (c) => {
          c.body.push(`${lock()}${op} ${g.memOperand(c, size / 8)}, ${g.rng.int(256)}`);
        });
        g.add(`${op} m${size}, r${size}`, (c) => {
          // A register bit offset addresses memory beyond the operand, either way: keep it within
          // the scratch pages around the middle.
          const bitOffset = BigInt(g.rng.range(-8 * 4096, 8 * 4096 - 1));
          const base = 2 * 4096 + g.rng.int(64) * (size / 8);
          const byte = base + Number((bitOffset >> BigInt(Math.log2(size))) * BigInt(size / 8));
          c.fill(byte, size / 8);
          const r = c.reg(size, BigInt.asUintN(size, bitOffset));
          c.body.push(`${lock()}${op} ${g.memOperand(c, size / 8, { offset: base, avoid: [r.gpr] })}, ${r.text}`);
        });
      }
    }
  }
  for (const op of ['bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt']) {
    for (const size of WIDE) {
      for (let k = 0; k < n; k++) {
        const source = (): bigint => (g.rng.int(4) === 0 ? 0n : g.value(size) >> BigInt(g.rng.int(size)));
        g.add(`${op} r${size}, r${size}`, (c) => {
          const s = c.reg(size, source());
          c.body.push(`${op} ${c.reg(size, g.value(size)).text}, ${s.text}`);
        });
        g.add(`${op} r${size}, m${size}`, (c) => {
          const d = c.reg(size, g.value(size));
          c.body.push(`${op} ${d.text}, ${g.memOperand(c, size / 8, { value: source(), avoid: [d.gpr] })}`);
        });
      }
    }
  }
}

function conditions(g: Generator, n: number): void {
  for (const cc of CONDITIONS) {
    for (let k = 0; k < n; k++) {
      g.add(`set${cc} r8`, (c) => {
        c.body.push(`set${cc} ${c.reg(8, g.value(8), { allowHigh: true }).text}`);
      });
      g.add(`set${cc} m8`, (c) => {
        c.body.push(`set${cc} ${g.memOperand(c, 1)}`);
      });
      for (const size of WIDE) {
        g.add(`cmov${cc} r${size}, r${size}`, (c) => {
          const s = c.reg(size, g.value(size));
          c.body.push(`cmov${cc} ${c.reg(size, g.value(size)).text}, ${s.text}`);
        });
        g.add(`cmov${cc} r${size}, m${size}`, (c) => {
          const d = c.reg(size, g.value(size));
          c.body.push(`cmov${cc} ${d.text}, ${g.memOperand(c, size / 8, { avoid: [d.gpr] })}`);
        });
      }
      for (const near of [false, true]) {
        g.add(`j${cc} ${near ? 'rel32' : 'rel8'}`, (c) => {
          const over = g.label('jcc');
          c.body.push(`${near ? '{disp32} ' : ''}j${cc} ${over}`, 'nop', `${over}:`);
        });
      }
    }
  }
}

function control(g: Generator, n: number): void {
  for (let k = 0; k < n; k++) {
    g.add('jmp rel8', (c) => {
      const to = g.label('jmp');
      c.body.push(`jmp ${to}`, 'ud2', `${to}:`);
    });
    g.add('jmp rel32', (c) => {
      const to = g.label('jmp');
      c.body.push(`{disp32} jmp ${to}`, 'ud2', `${to}:`);
    });
    g.add('jmp r64', (c) => {
      const to = g.label('jmp');
      const r = c.freeGpr();
      c.setup.push(`lea ${R64[r]}, [rip + ${to}]`);
      c.body.push(`jmp ${R64[r]}`, 'ud2', `${to}:`);
    });
    g.add('jmp m64', (c) => {
      const to = g.label('jmp');
      const m = g.memory(c, 8, { avoid: [0] });
      c.setup.push(`lea rax, [rip + ${to}]`, `mov qword ptr [${m.where}], rax`);
      c.body.push(`jmp qword ptr ${m.text}`, 'ud2', `${to}:`);
    });
    g.add('call rel32; ret', (c) => {
      const sub = g.label('sub');
      const after = g.label('after');
      c.body.push(`call ${sub}`, `jmp ${after}`, `${sub}:`, 'ret', `${after}:`);
    });
    g.add('call r64; ret imm16', (c) => {
      const sub = g.label('sub');
      const after = g.label('after');
      const r = c.freeGpr();
      c.setup.push(`lea ${R64[r]}, [rip + ${sub}]`);
      const words = g.rng.range(0, 4);
      for (let w = 0; w < words; w++) c.body.push(`push ${imm(immediate(g, 32))}`);
      c.body.push(`call ${R64[r]}`, `jmp ${after}`, `${sub}:`, `ret ${words * 8}`, `${after}:`);
    });
    g.add('call m64; ret', (c) => {
      const sub = g.label('sub');
      const after = g.label('after');
      const m = g.memory(c, 8, { avoid: [0] });
      c.setup.push(`lea rax, [rip + ${sub}]`, `mov qword ptr [${m.where}], rax`);
      c.body.push(`call qword ptr ${m.text}`, `jmp ${after}`, `${sub}:`, 'ret', `${after}:`);
    });
    for (const size of [16, 64] as const) {
      g.add(`push r${size}; pop r${size}`, (c) => {
        const s = c.reg(size, g.value(size));
        const d = c.reg(size, g.value(size));
        c.body.push(`push ${s.text}`, `pop ${d.text}`);
      });
      g.add(`push m${size}; pop m${size}`, (c) => {
        const s = g.memOperand(c, size / 8);
        const d = g.memOperand(c, size / 8);
        c.body.push(`push ${s}`, `pop ${d}`);
      });
    }
    g.add('push imm8/imm32; pop', (c) => {
      c.body.push(`push ${imm(immediate(g, 32))}`, `pop ${c.reg(64, g.value(64)).text}`);
    });
    g.add('push imm16; pop r16', (c) => {
      c.body.push(`pushw ${imm(g.value(16))}`, `pop ${c.reg(16, g.value(16)).text}`);
    });
    g.add('push rsp; pop rsp', (c) => {
      c.body.push('push rsp', 'pop rax', 'push rsp', 'pop rsp');
    });
    g.add('enter imm16, level; leave', (c) => {
      // ENTER with a nesting level copies frame pointers from [rbp - 8k]: RBP points into the stack.
      c.setup.push(`lea rbp, [ymir_stack_top - 8 - ${8 * g.rng.range(8, 40)}]`);
      c.used.add(5);
      c.body.push(`enter ${g.rng.pick([0, 8, 16, g.rng.int(200)])}, ${g.rng.pick([0, 0, 1, 2, 3])}`, 'leave');
    });
  }
}

function atomics(g: Generator, n: number): void {
  for (const bits of SIZES) {
    for (let k = 0; k < n; k++) {
      g.add(`cmpxchg r${bits}, r${bits}`, (c) => {
        const v = g.value(bits);
        const d = c.reg(bits, v, { avoid: [0] });
        c.reg(64, g.rng.bool() ? (g.rng.u64() & ~mask(bits)) | v : g.rng.u64(), { gpr: 0 });
        c.body.push(`cmpxchg ${d.text}, ${c.reg(bits, g.value(bits), { avoid: [0] }).text}`);
      });
      g.add(`cmpxchg m${bits}, r${bits}`, (c) => {
        const v = g.value(bits);
        c.reg(64, g.rng.bool() ? (g.rng.u64() & ~mask(bits)) | v : g.rng.u64(), { gpr: 0 });
        const s = c.reg(bits, g.value(bits), { avoid: [0] });
        c.body.push(`${g.rng.bool() ? 'lock ' : ''}cmpxchg ${g.memOperand(c, bits / 8, { value: v, avoid: [0, s.gpr] })}, ${s.text}`);
      });
      g.add(`xadd r${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`xadd ${c.reg(bits, g.value(bits)).text}, ${s.text}`);
      });
      g.add(`xadd m${bits}, r${bits}`, (c) => {
        const s = c.reg(bits, g.value(bits));
        c.body.push(`${g.rng.bool() ? 'lock ' : ''}xadd ${g.memOperand(c, bits / 8, { avoid: [s.gpr] })}, ${s.text}`);
      });
    }
  }
  for (let k = 0; k < n; k++) {
    for (const [op, bytes] of [['cmpxchg8b', 8], ['cmpxchg16b', 16]] as const) {
      g.add(`${op} m${bytes * 8}`, (c) => {
        const half = bytes * 4;
        const lo = g.value(half);
        const hi = g.value(half);
        const equal = g.rng.bool();
        c.reg(64, equal ? (half === 32 ? (g.rng.u64() & ~mask(32)) | lo : lo) : g.rng.u64(), { gpr: 0 });
        c.reg(64, equal ? (half === 32 ? (g.rng.u64() & ~mask(32)) | hi : hi) : g.rng.u64(), { gpr: 2 });
        c.reg(64, g.rng.u64(), { gpr: 3 });
        c.reg(64, g.rng.u64(), { gpr: 1 });
        const m = g.memory(c, bytes, { align: bytes, avoid: [0, 1, 2, 3] });
        c.fill(m.where, bytes, (hi << BigInt(half)) | lo);
        c.body.push(`${g.rng.bool() ? 'lock ' : ''}${op} ${PTR[bytes * 8]} ptr ${m.text}`);
      });
    }
  }
}

function strings(g: Generator, n: number): void {
  const suffix = { 8: 'b', 16: 'w', 32: 'd', 64: 'q' } as const;
  for (const op of ['movs', 'stos', 'lods', 'scas', 'cmps']) {
    for (const size of SIZES) {
      const reps = op === 'scas' || op === 'cmps' ? ['', 'repe ', 'repne '] : ['', 'rep '];
      for (const rep of reps) {
        for (let k = 0; k < n; k++) {
          g.add(`${rep}${op}${suffix[size]}`, (c) => {
            const down = g.rng.bool();
            c.setFlagBits(DF, down);
            const count = rep === '' ? 1 : g.rng.pick([0, 1, 2, 3, g.rng.range(4, 24)]);
            const bytes = size / 8;
            const span = bytes * Math.max(count, 1);
            // Sources and destinations anywhere in scratch with room for the span either way.
            const place = (): number => {
              const at = g.rng.range(span + 16, SCRATCH_BYTES - span - 16);
              return at - (g.rng.bool() ? 0 : at % bytes);
            };
            const src = place();
            const dst = place();
            const fillSpan = (at: number): number => (down ? at - span + bytes : at);
            c.fill(fillSpan(src), span);
            if (op === 'cmps' || op === 'scas') {
              // Equal runs for a while, so REPE/REPNE stop inside the span sometimes.
              const pattern = g.rng.int(256);
              const bytesOf = new Uint8Array(span).fill(pattern);
              if (g.rng.bool()) bytesOf[g.rng.int(span)] = pattern ^ (1 << g.rng.int(8));
              c.poke(fillSpan(dst), bytesOf);
              if (op === 'cmps') c.poke(fillSpan(src), bytesOf.map((b) => (g.rng.int(4) === 0 ? b ^ 1 : b)));
              c.reg(64, (g.rng.u64() & ~mask(size)) | ((BigInt(pattern) * 0x0101010101010101n) & mask(size)), { gpr: 0 });
            } else {
              c.fill(fillSpan(dst), span);
              c.reg(64, g.rng.u64(), { gpr: 0 });
            }
            c.used.add(6);
            c.used.add(7);
            c.setup.push(`lea rsi, [ymir_scratch + ${src}]`, `lea rdi, [ymir_scratch + ${dst}]`);
            c.reg(64, rep === '' ? g.rng.u64() : BigInt(count), { gpr: 1 });
            c.body.push(`${rep}${op}${suffix[size]}`);
          });
        }
      }
    }
  }
}

function misc(g: Generator, n: number): void {
  for (let k = 0; k < n; k++) {
    for (const op of ['clc', 'stc', 'cmc', 'cld', 'std', 'lahf', 'sahf', 'nop']) {
      g.add(op, (c) => {
        c.reg(64, g.rng.u64(), { gpr: 0 });
        c.body.push(op);
      });
    }
    g.add('pushfq; popfq', (c) => {
      c.body.push('pushfq', `pop ${c.reg(64, 0n).text}`, `push ${hex(BigInt(0x202 | (g.rng.u32() & (STATUS | DF))))}`, 'popfq');
    });
    g.add('pushfw; popfw', (c) => {
      c.body.push('pushfw', `pop ${c.reg(16, 0n).text}`, `pushw ${hex(BigInt(0x202 | (g.rng.u32() & (STATUS | DF))))}`, 'popfw');
    });
    // The NOP forms: 90, 66 90, 0F 1F /0 with memory forms, and the assembler's multi-byte NOPs.
    g.add('nop forms', (c) => {
      c.reg(64, g.rng.u64(), { gpr: 0 });
      c.body.push('xchg ax, ax', 'nop dword ptr [rax]', 'nop word ptr [rax + rax*1 + 0]', `nop ${PTR[g.rng.pick([16, 32, 64])]} ptr [rax + 0x12345678]`, `.nops ${g.rng.range(1, 15)}`);
    });
  }
}

/** Faults: each must arrive with the CPU's vector, error code and CR2, RIP at the instruction. */
function faults(g: Generator, n: number): void {
  for (let k = 0; k < n; k++) {
    for (const bits of SIZES) {
      g.add(`div r${bits} by zero`, (c) => {
        c.reg(64, g.rng.u64(), { gpr: 0 });
        c.reg(64, g.rng.u64(), { gpr: 2 });
        g.faulting(c, `${g.rng.bool() ? 'div' : 'idiv'} ${c.reg(bits, 0n, { avoid: [0, 2] }).text}`);
      });
      g.add(`div r${bits} overflow`, (c) => {
        const d = (g.value(bits) >> 1n) | 1n;
        c.reg(64, g.rng.u64(), { gpr: 0 });
        c.reg(64, (g.rng.u64() & ~mask(bits)) | d | (1n << BigInt(bits - 1)), { gpr: 2 });
        if (bits === 8) c.set(0, (g.rng.u64() & ~0xffffn) | ((d + 1n) << 8n));
        g.faulting(c, `div ${c.reg(bits, d, { avoid: [0, 2] }).text}`);
      });
      g.add(`idiv r${bits} MIN/-1`, (c) => {
        const min = 1n << BigInt(bits - 1);
        if (bits === 8) {
          c.reg(64, (g.rng.u64() & ~0xffffn) | 0xff80n, { gpr: 0 });
        } else {
          c.reg(64, (g.rng.u64() & ~mask(bits)) | min, { gpr: 0 });
          c.reg(64, (g.rng.u64() & ~mask(bits)) | mask(bits), { gpr: 2 });
        }
        g.faulting(c, `idiv ${c.reg(bits, mask(bits), { avoid: [0, 2] }).text}`);
      });
    }
    g.add('ud2', (c) => g.faulting(c, 'ud2'));
    g.add('int3', (c) => g.faulting(c, 'int3'));
    g.add('int 0x21', (c) => g.faulting(c, 'int 0x21'));
    g.add('lock on a register operand', (c) => g.faulting(c, '.byte 0xf0, 0x01, 0xd8 /* lock add eax, ebx */'));
    for (const op of ['cli', 'sti', 'hlt', 'in al, dx', 'out dx, al', 'in eax, 0x80', 'out 0x80, al', 'mov rax, cr0', 'mov cr3, rax', 'mov rax, dr7', 'rdmsr', 'wrmsr', 'lidt [rax]', 'lgdt [rax]', 'invlpg [rax]', 'clts', 'wbinvd', 'swapgs']) {
      g.add(`${op} at CPL 3`, (c) => {
        c.setup.push('lea rax, [ymir_scratch]');
        c.used.add(0);
        g.faulting(c, op);
      });
    }
    for (const bits of SIZES) {
      g.add(`read m${bits} non-canonical`, (c) => {
        const r = c.reg(64, 0x8000000000000000n | (g.rng.u64() >> 2n));
        g.faulting(c, `mov ${c.reg(bits, g.value(bits), { avoid: [r.gpr] }).text}, ${PTR[bits]} ptr [${R64[r.gpr]}]`);
      });
      g.add(`write m${bits} unmapped`, (c) => {
        const r = c.reg(64, UNMAPPED + BigInt(g.rng.int(4096)));
        g.faulting(c, `mov ${PTR[bits]} ptr [${R64[r.gpr]}], ${imm(immediate(g, bits))}`);
      });
      g.add(`read m${bits} unmapped`, (c) => {
        const r = c.reg(64, UNMAPPED + BigInt(g.rng.int(4096)));
        g.faulting(c, `add ${c.reg(bits, g.value(bits), { avoid: [r.gpr] }).text}, ${PTR[bits]} ptr [${R64[r.gpr]}]`);
      });
      g.add(`write m${bits} read-only`, (c) => {
        const at = g.label('ro');
        c.body.push(`.pushsection .rodata`, `${at}: .quad 0, 0`, '.popsection');
        const r = c.freeGpr();
        c.setup.push(`lea ${R64[r]}, [rip + ${at}]`);
        g.faulting(c, `${g.rng.bool() ? 'lock inc' : 'not'} ${PTR[bits]} ptr [${R64[r]}]`);
      });
      if (bits > 8) {
        g.add(`write m${bits} across into an unmapped page`, (c) => {
          // The first bytes are mapped, the rest are not: the store writes nothing.
          const r = c.freeGpr();
          const into = g.rng.range(1, bits / 8 - 1);
          c.setup.push(`lea ${R64[r]}, [ymir_data_end - ${bits / 8 - into}]`);
          c.setup.push(`mov byte ptr [ymir_data_end - 1], ${g.rng.int(256)}`);
          const s = c.reg(bits, g.value(bits));
          g.faulting(c, `${g.rng.bool() ? 'mov' : 'xadd'} ${PTR[bits]} ptr [${R64[r]}], ${s.text}`);
        });
      }
    }
    g.add('fetch from an unmapped page', (c) => {
      const resume = g.label('resume');
      // Resume entries are keyed by address: every case jumps somewhere of its own.
      const target = UNMAPPED + BigInt(g.slot()) * 0x40n + BigInt(g.rng.int(0x40));
      const r = c.reg(64, target);
      c.body.push(`jmp ${R64[r.gpr]}`, `${resume}:`);
      g.resumeAt(hex(target), resume);
    });
    g.add('fetch from a no-execute page', (c) => {
      const resume = g.label('resume');
      const offset = (g.slot() * 16) % (SCRATCH_BYTES - 16);
      c.setup.push(`mov byte ptr [ymir_scratch + ${offset}], 0x90`);
      const r = c.freeGpr();
      c.setup.push(`lea ${R64[r]}, [ymir_scratch + ${offset}]`);
      c.body.push(`jmp ${R64[r]}`, `${resume}:`);
      g.resumeAt(`ymir_scratch + ${offset}`, resume);
    });
    g.add('cmpxchg16b misaligned', (c) => {
      const offset = 16 * g.rng.range(1, SCRATCH_BYTES / 16 - 2) + 8;
      const m = g.memory(c, 16, { mode: 'base', offset, avoid: [0, 1, 2, 3] });
      g.faulting(c, `lock cmpxchg16b xmmword ptr ${m.text}`);
    });
  }
}

const FAMILIES: readonly [string, (g: Generator, n: number) => void][] = [
  ['alu', alu],
  ['moves', moves],
  ['multiply', multiply],
  ['shifts', shifts],
  ['bits', bits],
  ['conditions', conditions],
  ['control', control],
  ['atomics', atomics],
  ['strings', strings],
  ['misc', misc],
  ['faults', faults],
];

export const FAMILY_NAMES = FAMILIES.map(([name]) => name);

/** The corpus programs for a seed, `cases` random cases per form. */
export function generateCorpus(options: CorpusOptions): CorpusProgram[] {
  return FAMILIES.map(([name, family], n) => {
    const g = new Generator(`corpus-${name}`, options.seed * 1000 + n);
    family(g, options.cases);
    return g.program();
  });
}
