/**
 * DIS: guest code decoded and formatted by iced-x86 in the VMM, so the guest needs no
 * disassembler (spec.md section 4, "DIS"). iced-x86 is a WebAssembly module: it is loaded the
 * first time a guest asks, not in every vCPU worker at start.
 */
import { createRequire } from 'node:module';
import { DisStop, DisSyntax, MAX_INSTRUCTION_BYTES, Status } from '../../shell-protocol/constants.js';
import type { DisArgsValue, DisInsnValue, DisValue } from '../../shell-protocol/ops.js';
import type { AddressSpace } from './caller.js';
import { readVirtual } from './guest-buffer.js';

type Iced = typeof import('iced-x86');
type Formatter = InstanceType<Iced['Formatter']>;

let iced: Iced | undefined;
const formatters = new Map<DisSyntax, Formatter>();

function load(): Iced {
  iced ??= createRequire(import.meta.url)('iced-x86') as Iced;
  return iced;
}

function formatter(syntax: DisSyntax): Formatter {
  let f = formatters.get(syntax);
  if (!f) {
    const { Formatter, FormatterSyntax } = load();
    f = new Formatter(syntax === DisSyntax.ATT ? FormatterSyntax.Gas : FormatterSyntax.Intel);
    f.uppercaseHex = false;
    f.branchLeadingZeros = false;
    if (syntax === DisSyntax.INTEL) {
      f.spaceAfterOperandSeparator = true;
      f.hexPrefix = '0x';
      f.hexSuffix = '';
    }
    formatters.set(syntax, f);
  }
  return f;
}

const U64_END = 1n << 64n;

/**
 * Decode `args.count` instructions at `args.address` in `space`: the DIS result, or EFAULT when not
 * even the first instruction can be read whole.
 */
export function disassemble(space: AddressSpace, args: DisArgsValue): DisValue | Status {
  const room = U64_END - args.address;
  const wanted = args.count * MAX_INSTRUCTION_BYTES;
  const code = new Uint8Array(room < BigInt(wanted) ? Number(room) : wanted);
  const readable = readVirtual(space, args.address, code);
  return disassembleBytes(code.subarray(0, readable), args) ?? Status.EFAULT;
}

/** Code size of the code being decoded: a guest stopped in its 32-bit boot code is not decoded as 64-bit. */
export type Bitness = 16 | 32 | 64;

/**
 * Decode up to `args.count` instructions from `code`, the bytes at `args.address` (the debugger
 * reads them itself, with its breakpoints' original bytes); undefined when not even the first one
 * is whole.
 */
export function disassembleBytes(code: Uint8Array, args: DisArgsValue, bitness: Bitness = 64): DisValue | undefined {
  if (code.length === 0) return undefined;
  const { Code, Decoder, DecoderError, DecoderOptions } = load();
  const decoder = new Decoder(bitness, code, DecoderOptions.None);
  const format = formatter(args.syntax);
  const instructions: DisInsnValue[] = [];
  let next = args.address;
  try {
    decoder.ip = args.address;
    while (instructions.length < args.count && decoder.canDecode) {
      const at = decoder.position;
      const insn = decoder.decode();
      try {
        // Bytes ran out inside the instruction: the rest lies on a page the caller cannot read.
        if (decoder.lastError === DecoderError.NoMoreBytes) break;
        const invalid = insn.code === Code.INVALID;
        instructions.push({ address: next, bytes: code.slice(at, at + insn.length), invalid, text: invalid ? '(bad)' : format.format(insn) });
        next += BigInt(insn.length);
      } finally {
        insn.free();
      }
    }
  } finally {
    decoder.free();
  }
  if (instructions.length === 0) return undefined;
  return { nextAddress: next, stop: instructions.length === args.count ? DisStop.COUNT : DisStop.UNMAPPED, instructions };
}
