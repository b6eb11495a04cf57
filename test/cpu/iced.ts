/**
 * iced-x86 for the CPU tests: the disassembly shown when the interpreter diverges, and the
 * reference description of an instruction (length, mnemonic, operands, prefixes) in the shape of
 * vmm/hw/decoder.ts's `Described`. iced-x86 is a CommonJS WebAssembly module, loaded once.
 */
import { createRequire } from 'node:module';
import type { Instruction } from 'iced-x86';
import type { Described, OperandInfo } from '../../vmm/hw/decoder.js';

export type Iced = typeof import('iced-x86');
export const iced: Iced = createRequire(import.meta.url)('iced-x86') as Iced;

const formatter = new iced.Formatter(iced.FormatterSyntax.Intel);

/** Decode one 64-bit instruction at the start of `bytes`; undefined when iced calls it invalid. */
export function decodeOne(bytes: Uint8Array, ip: bigint): Instruction | undefined {
  const decoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
  decoder.ip = ip;
  const instruction = decoder.decode();
  decoder.free();
  if (instruction.isInvalid) {
    instruction.free();
    return undefined;
  }
  return instruction;
}

export function format(instruction: Instruction): string {
  return formatter.format(instruction);
}

/** Intel-syntax text of the instruction at the start of `bytes`, or its bytes when iced rejects them. */
export function disassemble(bytes: Uint8Array, ip: bigint): string {
  const instruction = decodeOne(bytes, ip);
  if (instruction === undefined) return `(bytes ${Buffer.from(bytes.subarray(0, 15)).toString('hex')}, invalid to iced-x86)`;
  const text = `${format(instruction)}  (${Buffer.from(bytes.subarray(0, instruction.length)).toString('hex')})`;
  instruction.free();
  return text;
}

export const mnemonicName = (instruction: Instruction): string => iced.Mnemonic[instruction.mnemonic]!.toLowerCase();
/** iced's Register name lowercased, except that iced's R8L..R15L are written r8b..r15b, as decoder.ts's interface names them. */
export const registerName = (register: number): string => iced.Register[register]!.toLowerCase().replace(/^(r(?:8|9|1[0-5]))l$/, '$1b');

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/**
 * iced's operands in decoder.ts's OperandInfo terms. String instructions' implicit operands
 * (MemorySegRSI, MemoryESRDI, ...) become memory operands on RSI/RDI with the address-size
 * register, the segment iced reports and no index or displacement, as decoder.ts describes them.
 */
export function icedOperands(i: Instruction): OperandInfo[] | string {
  const out: OperandInfo[] = [];
  const K = iced.OpKind;
  const size = iced.MemorySizeExt.size(i.memorySize);
  for (let n = 0; n < i.opCount; n++) {
    const kind = i.opKind(n);
    switch (kind) {
      case K.Register:
        out.push({ kind: 'reg', reg: registerName(i.opRegister(n)) });
        break;
      case K.Memory:
        out.push({
          kind: 'mem',
          size,
          segment: registerName(i.memorySegment),
          base: i.memoryBase === iced.Register.None ? '' : registerName(i.memoryBase),
          index: i.memoryIndex === iced.Register.None ? '' : registerName(i.memoryIndex),
          scale: i.memoryIndexScale,
          displacement: u64(i.memoryDisplacementU64),
        });
        break;
      case K.NearBranch16:
      case K.NearBranch32:
      case K.NearBranch64:
        out.push({ kind: 'branch', target: u64(i.nearBranchTarget) });
        break;
      case K.Immediate8:
      case K.Immediate8_2nd:
      case K.Immediate16:
      case K.Immediate32:
      case K.Immediate64:
      case K.Immediate8to16:
      case K.Immediate8to32:
      case K.Immediate8to64:
      case K.Immediate32to64:
        out.push({ kind: 'imm', value: u64(i.immediate(n)) });
        break;
      case K.MemorySegSI:
      case K.MemorySegESI:
      case K.MemorySegRSI:
      case K.MemoryESDI:
      case K.MemoryESEDI:
      case K.MemoryESRDI: {
        const source = kind === K.MemorySegSI || kind === K.MemorySegESI || kind === K.MemorySegRSI;
        const base = { [K.MemorySegSI]: 'si', [K.MemorySegESI]: 'esi', [K.MemorySegRSI]: 'rsi', [K.MemoryESDI]: 'di', [K.MemoryESEDI]: 'edi', [K.MemoryESRDI]: 'rdi' }[kind];
        out.push({ kind: 'mem', size, segment: source ? registerName(i.memorySegment) : 'es', base, index: '', scale: 1, displacement: 0n });
        break;
      }
      default:
        // Far branches and the like have no OperandInfo form: the caller reports the instruction.
        return `operand ${n} is ${iced.OpKind[kind]}, which OperandInfo cannot express`;
    }
  }
  return out;
}

/** iced's description of an instruction it decoded, as a `Described`, or why it has none. */
export function icedDescribed(i: Instruction): Described | string {
  const operands = icedOperands(i);
  if (typeof operands === 'string') return operands;
  return {
    ok: true,
    length: i.length,
    mnemonic: mnemonicName(i),
    operands,
    rep: i.hasRepnePrefix ? 'repne' : i.hasRepPrefix || i.hasRepePrefix ? 'rep' : '',
    lock: i.hasLockPrefix,
  };
}
