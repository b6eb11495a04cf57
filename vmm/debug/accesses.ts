/**
 * The memory an instruction reads and writes, by iced-x86's instruction info: every explicit and
 * implicit operand (PUSH's stack slot, MOVS's two strings, CALL's return address) with its linear
 * address computed from the vCPU's registers. An EPT violation names only the page and the first
 * faulting access; this says whether the instruction touches a watched range at all, exactly.
 *
 * iced-x86 is WebAssembly: it is loaded the first time a watched page is touched, not in every
 * vCPU worker at start.
 */
import { createRequire } from 'node:module';

type Iced = typeof import('iced-x86');

export interface MemoryAccess {
  /** Linear address as the CPU keeps addresses (canonical, negative above the hole). */
  readonly address: number;
  readonly size: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** What the address computation needs of the vCPU. */
export interface AddressingState {
  /** 16, 32 or 64. */
  readonly bitness: number;
  readonly rip: bigint;
  gpr(n: number): bigint;
  /** Base of segment register n (ES=0 .. GS=5). */
  segmentBase(n: number): bigint;
  readonly directionFlag: boolean;
}

interface Loaded {
  readonly iced: Iced;
  readonly factory: InstanceType<Iced['InstructionInfoFactory']>;
  /** iced Register -> [GPR number, width in bytes]; RIP/EIP as GPR 16. */
  readonly registers: Map<number, readonly [number, number]>;
  /** iced Register of ES..GS -> segment number. */
  readonly segments: Map<number, number>;
}

let loaded: Loaded | undefined;

const GPR_NAMES = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];

function load(): Loaded {
  if (loaded) return loaded;
  const iced = createRequire(import.meta.url)('iced-x86') as Iced;
  const registers = new Map<number, readonly [number, number]>();
  const R = iced.Register as unknown as Record<string, number>;
  GPR_NAMES.forEach((name, n) => {
    registers.set(R[`R${name}`]!, [n, 8]);
    registers.set(R[`E${name}`]!, [n, 4]);
    registers.set(R[name]!, [n, 2]);
  });
  for (let n = 8; n < 16; n++) {
    registers.set(R[`R${n}`]!, [n, 8]);
    registers.set(R[`R${n}D`]!, [n, 4]);
    registers.set(R[`R${n}W`]!, [n, 2]);
  }
  registers.set(R.RIP!, [16, 8]);
  registers.set(R.EIP!, [16, 4]);
  const segments = new Map<number, number>(['ES', 'CS', 'SS', 'DS', 'FS', 'GS'].map((name, n) => [R[name]!, n]));
  loaded = { iced, factory: new iced.InstructionInfoFactory(), registers, segments };
  return loaded;
}

const MASK = [0n, 0n, 0xffffn, 0n, 0xffffffffn, 0n, 0n, 0n, (1n << 64n) - 1n];

/**
 * The accesses of the instruction in `code` (its bytes at `state.rip`), or undefined when the
 * bytes do not decode: the caller then treats the instruction as touching everything it faulted on.
 */
export function instructionAccesses(code: Uint8Array, state: AddressingState): MemoryAccess[] | undefined {
  const { iced, factory, registers, segments } = load();
  const decoder = new iced.Decoder(state.bitness, code, iced.DecoderOptions.None);
  decoder.ip = state.rip;
  const insn = decoder.decode();
  try {
    if (insn.code === iced.Code.INVALID) return undefined;
    const info = factory.info(insn);
    const accesses: MemoryAccess[] = [];
    /** A base or index register's value and width (0 for none). */
    const value = (register: number): [bigint, number] => {
      const r = registers.get(register);
      if (r === undefined) return [0n, 0];
      const [n, width] = r;
      const v = n === 16 ? state.rip + BigInt(insn.length) : state.gpr(n);
      return [v & MASK[width]!, width];
    };
    const repeated = insn.hasRepPrefix || insn.hasRepePrefix || insn.hasRepnePrefix;
    for (const used of info.usedMemory() as InstanceType<Iced['UsedMemory']>[]) {
      try {
        const access = used.access;
        const read = access === iced.OpAccess.Read || access === iced.OpAccess.CondRead || access === iced.OpAccess.ReadWrite || access === iced.OpAccess.ReadCondWrite;
        const write = access === iced.OpAccess.Write || access === iced.OpAccess.CondWrite || access === iced.OpAccess.ReadWrite || access === iced.OpAccess.ReadCondWrite;
        if (!read && !write) continue;
        const [base, baseWidth] = value(used.base);
        const [index, indexWidth] = value(used.index);
        // The address size is the registers' (iced resolves RIP-relative and absolute to a displacement).
        const width = Math.max(baseWidth, indexWidth) || state.bitness / 8;
        let offset = (base + index * BigInt(used.scale) + used.displacement) & MASK[width]!;
        const segment = segments.get(used.segment);
        // 64-bit mode: only FS and GS have a base (SDM Vol.1 3.4.2.1).
        if (segment !== undefined && (state.bitness !== 64 || segment >= 4)) offset += state.segmentBase(segment);
        let size = iced.MemorySizeExt.size(used.memorySize);
        if (size === 0 && repeated) {
          // REP string instructions: iced gives no size; every element is one access.
          const element = /_m(8|16|32|64)/.exec(iced.Code[insn.code] ?? '');
          const elementSize = element ? Number(element[1]) / 8 : 1;
          const count = Number(state.gpr(1) & MASK[state.bitness / 8]!);
          if (count === 0) continue;
          size = elementSize * count;
          if (state.directionFlag) offset -= BigInt(size - elementSize);
        } else if (size === 0) size = 1;
        accesses.push({ address: Number(BigInt.asIntN(64, offset)), size, read, write });
      } finally {
        used.free();
      }
    }
    info.free();
    return accesses;
  } finally {
    insn.free();
    decoder.free();
  }
}
