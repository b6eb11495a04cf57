/**
 * The opcode table: every encoding this CPU decodes, as data (after Bochs's fetchdecode tables and
 * the SDM's opcode map, Vol.2 Appendix A). An entry names the instruction (iced-x86's mnemonic),
 * its operands in the SDM's notation, its handler (and a separate one for the memory form where
 * that is faster) and how it decodes. Anything not here is an undefined encoding (#UD); entries
 * marked `unsupported` are real instructions this model does not implement (#UD, logged).
 *
 * Operand notation: E/G (ModRM r/m and reg), M (memory only), R (register only), I (immediate:
 * Ib, Ibs = sign-extended, Iw, Iz, Iv, I1), J (relative), Z (register in the opcode), O (moffs),
 * S/C/D (segment, control, debug register in ModRM.reg), X/Y (string source/destination), Ap
 * (far pointer), fixed registers (AL, rAX, CL, DX) and segments; size suffixes b, w, d, q, v, y, z.
 */
import type { Handler } from './insn.js';
import { Alu, aluEvGvMem, aluEvGvReg, aluGvEv, aluRmImmMem, aluRmImmReg, incDec, incDecOpcodeRegister, negRm, notRm, testRmImm, testRmReg } from './exec/alu.js';
import { bitScan, bitTestImm, bitTestReg, BitOp, bswap, countZeros, popcnt } from './exec/bit.js';
import { callIndirect, callRel, jcc, jmpIndirect, jmpRel, jrcxz, loop, ret } from './exec/branch.js';
import {
  carryFlag, cmov, cmpxchg, cmpxchgWide, directionFlag, lahf, lea, movMemImm, movRegImm, movRegRm, movRmRegMem,
  movRmRegReg, movsx, movzx, nop, sahf, setcc, signExtendAccumulator, signToRdx, xadd, xchgMem, xchgReg, xlat,
} from './exec/data.js';
import { divide, imulTwo, mulOne } from './exec/muldiv.js';
import { doubleShift, shiftRm } from './exec/shift.js';
import { enter, leave, popf, popReg, popRm, pushf, pushImm, pushReg, pushRm } from './exec/stack.js';
import { StringOp, stringOp } from './exec/string.js';
import * as sys from './exec/sys.js';
import { Seg } from './state.js';

export type SizeRule = 'b' | 'w' | 'd' | 'q' | 'v' | 'd64' | 'f64' | 'y' | 'z';

export interface OpcodeEntry {
  readonly kind: 'op';
  /** iced-x86's mnemonic, lowercased; by operand size 2, 4, 8 when it changes with it. */
  readonly mnemonic: string | { readonly 2: string; readonly 4: string; readonly 8: string };
  readonly operands: readonly string[];
  readonly exec: Handler;
  readonly execMem?: Handler;
  readonly op?: number;
  readonly size?: SizeRule;
  /** MOVZX/MOVSX: the source operand's size. */
  readonly size2?: number;
  /** Ends a decoded block: sets RIP itself (branches, exits, mode and interrupt-flag changes). */
  readonly endsBlock?: boolean;
  /** A LOCK prefix is allowed (with a memory destination). */
  readonly lockable?: boolean;
  /** 'legacy': not in 64-bit mode; 'long': only in 64-bit mode. */
  readonly modes?: 'legacy' | 'long';
  /** A real instruction this model does not execute: #UD and a log line. */
  readonly unsupported?: boolean;
  /** Takes REP/REPE/REPNE. */
  readonly repeatable?: boolean;
  /** The mnemonic's variants follow the address size, not the operand size (JCXZ/JECXZ/JRCXZ). */
  readonly mnemonicByAddressSize?: boolean;
}

export type OpcodeNode =
  | OpcodeEntry
  /** ModRM.reg selects. */
  | { readonly kind: 'group'; readonly entries: readonly (OpcodeNode | undefined)[] }
  /** ModRM.mod = 3 (register) or not. */
  | { readonly kind: 'mod'; readonly mem?: OpcodeNode; readonly reg?: OpcodeNode }
  /** ModRM.rm selects (register forms with fixed encodings, 0F 01 C1 and the like). */
  | { readonly kind: 'rm'; readonly entries: readonly (OpcodeNode | undefined)[] }
  /** The last 66/F2/F3 prefix selects (mandatory prefixes). */
  | { readonly kind: 'prefix'; readonly none?: OpcodeNode; readonly p66?: OpcodeNode; readonly pf3?: OpcodeNode; readonly pf2?: OpcodeNode }
  /** REX.W selects (CMPXCHG8B / CMPXCHG16B). */
  | { readonly kind: 'rexw'; readonly w0?: OpcodeNode; readonly w1?: OpcodeNode };

type Options = Partial<Omit<OpcodeEntry, 'kind' | 'mnemonic' | 'operands' | 'exec'>>;

function op(mnemonic: OpcodeEntry['mnemonic'], operands: string, exec: Handler, options: Options = {}): OpcodeEntry {
  return { kind: 'op', mnemonic, operands: operands === '' ? [] : operands.split(','), exec, ...options };
}
function group(...entries: (OpcodeNode | undefined)[]): OpcodeNode {
  return { kind: 'group', entries };
}
function unsupported(mnemonic: string, operands = ''): OpcodeEntry {
  return op(mnemonic, operands, nop, { unsupported: true });
}
const bySize = (w: string, d: string, q: string): OpcodeEntry['mnemonic'] => ({ 2: w, 4: d, 8: q });

const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const CONDITIONS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'] as const;
const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;

/** Group 1: op r/m, imm (80, 81, 83). */
function aluGroup(operands: string, size?: SizeRule): OpcodeNode {
  return group(...ALU_NAMES.map((name, n) =>
    op(name, operands, aluRmImmReg, { execMem: aluRmImmMem, op: n, ...(size ? { size } : {}), lockable: n !== Alu.CMP })));
}

/** Group 2: shifts and rotates by `count` (Ib, 1 or CL). */
function shiftGroup(operands: string, size?: SizeRule): OpcodeNode {
  return group(...SHIFT_NAMES.map((name, n) => op(name, operands, shiftRm, { op: n, ...(size ? { size } : {}) })));
}

const segmentNames = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

function buildOneByte(): (OpcodeNode | undefined)[] {
  const t: (OpcodeNode | undefined)[] = new Array<OpcodeNode | undefined>(256).fill(undefined);
  ALU_NAMES.forEach((name, n) => {
    const base = n * 8;
    const lockable = n !== Alu.CMP;
    t[base] = op(name, 'Eb,Gb', aluEvGvReg, { execMem: aluEvGvMem, op: n, size: 'b', lockable });
    t[base + 1] = op(name, 'Ev,Gv', aluEvGvReg, { execMem: aluEvGvMem, op: n, lockable });
    t[base + 2] = op(name, 'Gb,Eb', aluGvEv, { op: n, size: 'b' });
    t[base + 3] = op(name, 'Gv,Ev', aluGvEv, { op: n });
    t[base + 4] = op(name, 'AL,Ib', aluRmImmReg, { op: n, size: 'b' });
    t[base + 5] = op(name, 'rAX,Iz', aluRmImmReg, { op: n });
  });
  for (const [opcode, seg] of [[0x06, Seg.ES], [0x0e, Seg.CS], [0x16, Seg.SS], [0x1e, Seg.DS]] as const) {
    t[opcode] = op('push', segmentNames[seg].toUpperCase(), sys.pushSreg, { op: seg, modes: 'legacy' });
  }
  for (const [opcode, seg] of [[0x07, Seg.ES], [0x17, Seg.SS], [0x1f, Seg.DS]] as const) {
    t[opcode] = op('pop', segmentNames[seg].toUpperCase(), sys.popSreg, { op: seg, modes: 'legacy', endsBlock: true });
  }
  for (const [opcode, name] of [[0x27, 'daa'], [0x2f, 'das'], [0x37, 'aaa'], [0x3f, 'aas']] as const) t[opcode] = { ...unsupported(name), modes: 'legacy' };
  for (let r = 0; r < 8; r++) {
    // 40..4F are REX prefixes in 64-bit mode (the decoder takes them before the table).
    t[0x40 + r] = op('inc', 'Zv', incDecOpcodeRegister, { op: 0, modes: 'legacy' });
    t[0x48 + r] = op('dec', 'Zv', incDecOpcodeRegister, { op: 1, modes: 'legacy' });
    t[0x50 + r] = op('push', 'Zv', pushReg, { size: 'd64' });
    t[0x58 + r] = op('pop', 'Zv', popReg, { size: 'd64' });
    t[0x91 + r] = r < 7 ? op('xchg', 'Zv,rAX', xchgReg) : undefined;
    t[0xb0 + r] = op('mov', 'Zb,Ib', movRegImm, { size: 'b' });
    t[0xb8 + r] = op('mov', 'Zv,Iv', movRegImm);
  }
  t[0x60] = { ...unsupported('pusha'), modes: 'legacy' };
  t[0x61] = { ...unsupported('popa'), modes: 'legacy' };
  t[0x63] = op('movsxd', 'Gv,Ed', movsx, { size2: 4, modes: 'long' });
  t[0x68] = op('push', 'Iz', pushImm, { size: 'd64' });
  t[0x69] = op('imul', 'Gv,Ev,Iz', imulTwo, { op: 1 });
  t[0x6a] = op('push', 'Ibs', pushImm, { size: 'd64' });
  t[0x6b] = op('imul', 'Gv,Ev,Ibs', imulTwo, { op: 1 });
  t[0x6c] = op('insb', 'Yb,DX', sys.ins, { size: 'b', repeatable: true, endsBlock: true });
  t[0x6d] = op(bySize('insw', 'insd', 'insd'), 'Yz,DX', sys.ins, { size: 'z', repeatable: true, endsBlock: true });
  t[0x6e] = op('outsb', 'DX,Xb', sys.outs, { size: 'b', repeatable: true, endsBlock: true });
  t[0x6f] = op(bySize('outsw', 'outsd', 'outsd'), 'DX,Xz', sys.outs, { size: 'z', repeatable: true, endsBlock: true });
  CONDITIONS.forEach((cc, n) => {
    t[0x70 + n] = op(`j${cc}`, 'Jb', jcc, { op: n, size: 'f64', endsBlock: true });
  });
  t[0x80] = aluGroup('Eb,Ib', 'b');
  t[0x81] = aluGroup('Ev,Iz');
  t[0x83] = aluGroup('Ev,Ibs');
  t[0x84] = op('test', 'Eb,Gb', testRmReg, { size: 'b' });
  t[0x85] = op('test', 'Ev,Gv', testRmReg);
  t[0x86] = op('xchg', 'Eb,Gb', xchgReg, { execMem: xchgMem, size: 'b', lockable: true });
  t[0x87] = op('xchg', 'Ev,Gv', xchgReg, { execMem: xchgMem, lockable: true });
  t[0x88] = op('mov', 'Eb,Gb', movRmRegReg, { execMem: movRmRegMem, size: 'b' });
  t[0x89] = op('mov', 'Ev,Gv', movRmRegReg, { execMem: movRmRegMem });
  t[0x8a] = op('mov', 'Gb,Eb', movRegRm, { size: 'b' });
  t[0x8b] = op('mov', 'Gv,Ev', movRegRm);
  t[0x8c] = op('mov', 'Ev,Sw', sys.movFromSreg);
  t[0x8d] = { kind: 'mod', mem: op('lea', 'Gv,M', lea) };
  t[0x8e] = op('mov', 'Sw,Ew', sys.movToSreg, { endsBlock: true });
  t[0x8f] = group(op('pop', 'Ev', popRm, { size: 'd64' }));
  t[0x90] = { kind: 'prefix', none: op('nop', '', nop), pf3: op('pause', '', nop) };
  t[0x98] = op(bySize('cbw', 'cwde', 'cdqe'), '', signExtendAccumulator);
  t[0x99] = op(bySize('cwd', 'cdq', 'cqo'), '', signToRdx);
  t[0x9a] = op('call', 'Ap', sys.callFar, { modes: 'legacy', endsBlock: true });
  t[0x9b] = op('wait', '', nop);
  t[0x9c] = op(bySize('pushf', 'pushfd', 'pushfq'), '', pushf, { size: 'd64' });
  t[0x9d] = op(bySize('popf', 'popfd', 'popfq'), '', popf, { size: 'd64', endsBlock: true });
  t[0x9e] = op('sahf', '', sahf);
  t[0x9f] = op('lahf', '', lahf);
  t[0xa0] = op('mov', 'AL,Ob', movRegRm, { size: 'b' });
  t[0xa1] = op('mov', 'rAX,Ov', movRegRm);
  t[0xa2] = op('mov', 'Ob,AL', movRmRegMem, { size: 'b' });
  t[0xa3] = op('mov', 'Ov,rAX', movRmRegMem);
  const strings = [
    [0xa4, StringOp.MOVS, 'movs', 'Yb,Xb'], [0xa6, StringOp.CMPS, 'cmps', 'Xb,Yb'], [0xaa, StringOp.STOS, 'stos', 'Yb,AL'],
    [0xac, StringOp.LODS, 'lods', 'AL,Xb'], [0xae, StringOp.SCAS, 'scas', 'AL,Yb'],
  ] as const;
  for (const [opcode, n, name, operands] of strings) {
    t[opcode] = op(`${name}b`, operands, stringOp, { op: n, size: 'b', repeatable: true, endsBlock: true });
    t[opcode + 1] = op(bySize(`${name}w`, `${name}d`, `${name}q`), operands.replace(/b/g, 'v').replace('AL', 'rAX'), stringOp, { op: n, repeatable: true, endsBlock: true });
  }
  t[0xa8] = op('test', 'AL,Ib', testRmImm, { size: 'b' });
  t[0xa9] = op('test', 'rAX,Iz', testRmImm);
  t[0xc0] = shiftGroup('Eb,Ib', 'b');
  t[0xc1] = shiftGroup('Ev,Ib');
  t[0xc2] = op('ret', 'Iw', ret, { size: 'f64', endsBlock: true });
  t[0xc3] = op('ret', '', ret, { size: 'f64', endsBlock: true });
  t[0xc6] = group(op('mov', 'Eb,Ib', sys.movRmImmReg, { execMem: movMemImm, size: 'b' }));
  t[0xc7] = group(op('mov', 'Ev,Iz', sys.movRmImmReg, { execMem: movMemImm }));
  t[0xc8] = op('enter', 'Iw,Ib', enter, { size: 'd64' });
  t[0xc9] = op('leave', '', leave, { size: 'd64' });
  t[0xca] = op('retf', 'Iw', sys.retFar, { endsBlock: true });
  t[0xcb] = op('retf', '', sys.retFar, { endsBlock: true });
  t[0xcc] = op('int3', '', sys.int3, { endsBlock: true });
  t[0xcd] = op('int', 'Ib', sys.intN, { endsBlock: true });
  t[0xce] = op('into', '', sys.into, { modes: 'legacy', endsBlock: true });
  t[0xcf] = op(bySize('iret', 'iretd', 'iretq'), '', sys.iretInsn, { endsBlock: true });
  t[0xd0] = shiftGroup('Eb,1', 'b');
  t[0xd1] = shiftGroup('Ev,1');
  t[0xd2] = shiftGroup('Eb,CL', 'b');
  t[0xd3] = shiftGroup('Ev,CL');
  t[0xd7] = op('xlatb', 'XB', xlat);
  for (let x87 = 0xd8; x87 <= 0xdf; x87++) t[x87] = unsupported('fpu', 'M');
  t[0xe0] = op('loopne', 'Jb', loop, { op: 0, size: 'f64', endsBlock: true });
  t[0xe1] = op('loope', 'Jb', loop, { op: 1, size: 'f64', endsBlock: true });
  t[0xe2] = op('loop', 'Jb', loop, { op: 2, size: 'f64', endsBlock: true });
  t[0xe3] = op(bySize('jcxz', 'jecxz', 'jrcxz'), 'Jb', jrcxz, { size: 'f64', endsBlock: true, mnemonicByAddressSize: true });
  t[0xe4] = op('in', 'AL,Ib', sys.inInsn, { size: 'b', endsBlock: true });
  t[0xe5] = op('in', 'eAX,Ib', sys.inInsn, { size: 'z', endsBlock: true });
  t[0xe6] = op('out', 'Ib,AL', sys.outInsn, { size: 'b', endsBlock: true });
  t[0xe7] = op('out', 'Ib,eAX', sys.outInsn, { size: 'z', endsBlock: true });
  t[0xe8] = op('call', 'Jz', callRel, { size: 'f64', endsBlock: true });
  t[0xe9] = op('jmp', 'Jz', jmpRel, { size: 'f64', endsBlock: true });
  t[0xea] = op('jmp', 'Ap', sys.jmpFar, { modes: 'legacy', endsBlock: true });
  t[0xeb] = op('jmp', 'Jb', jmpRel, { size: 'f64', endsBlock: true });
  t[0xec] = op('in', 'AL,DX', sys.inInsn, { size: 'b', endsBlock: true });
  t[0xed] = op('in', 'eAX,DX', sys.inInsn, { size: 'z', endsBlock: true });
  t[0xee] = op('out', 'DX,AL', sys.outInsn, { size: 'b', endsBlock: true });
  t[0xef] = op('out', 'DX,eAX', sys.outInsn, { size: 'z', endsBlock: true });
  t[0xf1] = op('int1', '', sys.int1, { endsBlock: true });
  t[0xf4] = op('hlt', '', sys.hlt, { endsBlock: true });
  t[0xf5] = op('cmc', '', carryFlag, { op: 2 });
  t[0xf6] = group(
    op('test', 'Eb,Ib', testRmImm, { size: 'b' }), op('test', 'Eb,Ib', testRmImm, { size: 'b' }),
    op('not', 'Eb', notRm, { size: 'b', lockable: true }), op('neg', 'Eb', negRm, { size: 'b', lockable: true }),
    op('mul', 'Eb', mulOne, { op: 0, size: 'b' }), op('imul', 'Eb', mulOne, { op: 1, size: 'b' }),
    op('div', 'Eb', divide, { op: 0, size: 'b' }), op('idiv', 'Eb', divide, { op: 1, size: 'b' }),
  );
  t[0xf7] = group(
    op('test', 'Ev,Iz', testRmImm), op('test', 'Ev,Iz', testRmImm),
    op('not', 'Ev', notRm, { lockable: true }), op('neg', 'Ev', negRm, { lockable: true }),
    op('mul', 'Ev', mulOne, { op: 0 }), op('imul', 'Ev', mulOne, { op: 1 }),
    op('div', 'Ev', divide, { op: 0 }), op('idiv', 'Ev', divide, { op: 1 }),
  );
  t[0xf8] = op('clc', '', carryFlag, { op: 0 });
  t[0xf9] = op('stc', '', carryFlag, { op: 1 });
  t[0xfa] = op('cli', '', sys.cli);
  t[0xfb] = op('sti', '', sys.sti, { endsBlock: true });
  t[0xfc] = op('cld', '', directionFlag, { op: 0 });
  t[0xfd] = op('std', '', directionFlag, { op: 1 });
  t[0xfe] = group(op('inc', 'Eb', incDec, { op: 0, size: 'b', lockable: true }), op('dec', 'Eb', incDec, { op: 1, size: 'b', lockable: true }));
  t[0xff] = group(
    op('inc', 'Ev', incDec, { op: 0, lockable: true }),
    op('dec', 'Ev', incDec, { op: 1, lockable: true }),
    op('call', 'Ev', callIndirect, { size: 'f64', endsBlock: true }),
    { kind: 'mod', mem: op('call', 'Mp', sys.callFarIndirect, { endsBlock: true }) },
    op('jmp', 'Ev', jmpIndirect, { size: 'f64', endsBlock: true }),
    { kind: 'mod', mem: op('jmp', 'Mp', sys.jmpFarIndirect, { endsBlock: true }) },
    op('push', 'Ev', pushRm, { size: 'd64' }),
  );
  return t;
}

function buildTwoByte(): (OpcodeNode | undefined)[] {
  const t: (OpcodeNode | undefined)[] = new Array<OpcodeNode | undefined>(256).fill(undefined);
  t[0x00] = group(
    op('sldt', 'Ew', sys.storeSystemSelector, { op: Seg.LDTR }),
    op('str', 'Ew', sys.storeSystemSelector, { op: Seg.TR }),
    op('lldt', 'Ew', sys.lldt, { size: 'w' }),
    op('ltr', 'Ew', sys.ltr, { size: 'w' }),
    unsupported('verr', 'Ew'),
    unsupported('verw', 'Ew'),
  );
  const none = undefined;
  t[0x01] = {
    kind: 'mod',
    mem: group(
      op('sgdt', 'Ms', sys.storeDescriptorTable, { op: 0 }),
      op('sidt', 'Ms', sys.storeDescriptorTable, { op: 1 }),
      op('lgdt', 'Ms', sys.loadDescriptorTable, { op: 0 }),
      op('lidt', 'Ms', sys.loadDescriptorTable, { op: 1 }),
      op('smsw', 'Ew', sys.smsw, { size: 'w' }),
      none,
      op('lmsw', 'Ew', sys.lmsw, { size: 'w', endsBlock: true }),
      op('invlpg', 'M', sys.invlpg),
    ),
    reg: group(
      { kind: 'rm', entries: [none, op('vmcall', '', sys.vmcall, { endsBlock: true }), op('vmlaunch', '', sys.vmxInstruction, { op: 20, endsBlock: true }), op('vmresume', '', sys.vmxInstruction, { op: 24, endsBlock: true }), op('vmxoff', '', sys.vmxInstruction, { op: 26, endsBlock: true })] },
      { kind: 'rm', entries: [unsupported('monitor'), unsupported('mwait'), unsupported('clac'), unsupported('stac')] },
      { kind: 'rm', entries: [unsupported('xgetbv'), unsupported('xsetbv')] },
      none,
      op('smsw', 'Rv', sys.smsw),
      none,
      op('lmsw', 'Ew', sys.lmsw, { size: 'w', endsBlock: true }),
      { kind: 'rm', entries: [op('swapgs', '', sys.swapgs, { modes: 'long' }), op('rdtscp', '', sys.rdtscp)] },
    ),
  };
  t[0x02] = unsupported('lar', 'Gv,Ew');
  t[0x03] = unsupported('lsl', 'Gv,Ew');
  t[0x05] = op('syscall', '', sys.syscall, { endsBlock: true });
  t[0x06] = op('clts', '', sys.clts);
  t[0x07] = op(bySize('sysretd', 'sysretd', 'sysretq'), '', sys.sysret, { size: 'y', endsBlock: true });
  t[0x08] = op('invd', '', sys.invalidateCaches);
  t[0x09] = op('wbinvd', '', sys.invalidateCaches);
  t[0x0b] = op('ud2', '', sys.ud2, { endsBlock: true });
  t[0x0d] = { kind: 'mod', mem: group(op('prefetch', 'Mb', nop), op('prefetchw', 'Mb', nop), op('prefetchwt1', 'Mb', nop)) };
  t[0x18] = { kind: 'mod', mem: group(op('prefetchnta', 'Mb', nop), op('prefetcht0', 'Mb', nop), op('prefetcht1', 'Mb', nop), op('prefetcht2', 'Mb', nop)) };
  t[0x1e] = { kind: 'prefix', pf3: { kind: 'mod', reg: group(none, none, none, none, none, none, none, { kind: 'rm', entries: [none, none, op('endbr64', '', nop), op('endbr32', '', nop)] }) } };
  t[0x1f] = group(op('nop', 'Ev', nop));
  // SSE moves and compares, named apart from the string MOVSD/CMPSD that share their mnemonics.
  t[0x10] = unsupported('sse-move', 'Gv,Ev');
  t[0x11] = unsupported('sse-move', 'Ev,Gv');
  t[0xc2] = unsupported('sse-compare', 'Gv,Ev,Ib');
  t[0x20] = op('mov', 'Rq,Cd', sys.movFromCr, { size: 'f64', endsBlock: true });
  t[0x21] = op('mov', 'Rq,Dd', sys.movFromDr, { size: 'f64' });
  t[0x22] = op('mov', 'Cd,Rq', sys.movToCr, { size: 'f64', endsBlock: true });
  t[0x23] = op('mov', 'Dd,Rq', sys.movToDr, { size: 'f64', endsBlock: true });
  t[0x30] = op('wrmsr', '', sys.wrmsr, { endsBlock: true });
  t[0x31] = op('rdtsc', '', sys.rdtsc);
  t[0x32] = op('rdmsr', '', sys.rdmsr, { endsBlock: true });
  t[0x33] = op('rdpmc', '', sys.rdpmc);
  t[0x34] = unsupported('sysenter');
  t[0x35] = unsupported('sysexitd');
  CONDITIONS.forEach((cc, n) => {
    t[0x40 + n] = op(`cmov${cc}`, 'Gv,Ev', cmov, { op: n });
    t[0x80 + n] = op(`j${cc}`, 'Jz', jcc, { op: n, size: 'f64', endsBlock: true });
    t[0x90 + n] = op(`set${cc}`, 'Eb', setcc, { op: n, size: 'b' });
  });
  t[0xa0] = op('push', 'FS', sys.pushSreg, { op: Seg.FS, size: 'd64' });
  t[0xa1] = op('pop', 'FS', sys.popSreg, { op: Seg.FS, size: 'd64', endsBlock: true });
  t[0xa2] = op('cpuid', '', sys.cpuid, { endsBlock: true });
  t[0xa3] = op('bt', 'Ev,Gv', bitTestReg, { op: BitOp.BT });
  t[0xa4] = op('shld', 'Ev,Gv,Ib', doubleShift, { op: 0 });
  t[0xa5] = op('shld', 'Ev,Gv,CL', doubleShift, { op: 0 });
  t[0xa8] = op('push', 'GS', sys.pushSreg, { op: Seg.GS, size: 'd64' });
  t[0xa9] = op('pop', 'GS', sys.popSreg, { op: Seg.GS, size: 'd64', endsBlock: true });
  t[0xab] = op('bts', 'Ev,Gv', bitTestReg, { op: BitOp.BTS, lockable: true });
  t[0xac] = op('shrd', 'Ev,Gv,Ib', doubleShift, { op: 1 });
  t[0xad] = op('shrd', 'Ev,Gv,CL', doubleShift, { op: 1 });
  t[0xae] = {
    kind: 'mod',
    mem: group(unsupported('fxsave', 'M'), unsupported('fxrstor', 'M'), unsupported('ldmxcsr', 'Md'), unsupported('stmxcsr', 'Md'), unsupported('xsave', 'M'), unsupported('xrstor', 'M'), unsupported('xsaveopt', 'M'), op('clflush', 'Mb', nop)),
    reg: group(none, none, none, none, none, op('lfence', '', nop), op('mfence', '', nop), op('sfence', '', nop)),
  };
  t[0xaf] = op('imul', 'Gv,Ev', imulTwo, { op: 0 });
  t[0xb0] = op('cmpxchg', 'Eb,Gb', cmpxchg, { size: 'b', lockable: true });
  t[0xb1] = op('cmpxchg', 'Ev,Gv', cmpxchg, { lockable: true });
  t[0xb2] = unsupported('lss', 'Gv,Mp');
  t[0xb3] = op('btr', 'Ev,Gv', bitTestReg, { op: BitOp.BTR, lockable: true });
  t[0xb4] = unsupported('lfs', 'Gv,Mp');
  t[0xb5] = unsupported('lgs', 'Gv,Mp');
  t[0xb6] = op('movzx', 'Gv,Eb', movzx, { size2: 1 });
  t[0xb7] = op('movzx', 'Gv,Ew', movzx, { size2: 2 });
  t[0xb8] = { kind: 'prefix', pf3: op('popcnt', 'Gv,Ev', popcnt) };
  t[0xba] = group(none, none, none, none,
    op('bt', 'Ev,Ib', bitTestImm, { op: BitOp.BT }), op('bts', 'Ev,Ib', bitTestImm, { op: BitOp.BTS, lockable: true }),
    op('btr', 'Ev,Ib', bitTestImm, { op: BitOp.BTR, lockable: true }), op('btc', 'Ev,Ib', bitTestImm, { op: BitOp.BTC, lockable: true }));
  t[0xbb] = op('btc', 'Ev,Gv', bitTestReg, { op: BitOp.BTC, lockable: true });
  t[0xbc] = { kind: 'prefix', none: op('bsf', 'Gv,Ev', bitScan, { op: 0 }), p66: op('bsf', 'Gv,Ev', bitScan, { op: 0 }), pf3: op('tzcnt', 'Gv,Ev', countZeros, { op: 0 }) };
  t[0xbd] = { kind: 'prefix', none: op('bsr', 'Gv,Ev', bitScan, { op: 1 }), p66: op('bsr', 'Gv,Ev', bitScan, { op: 1 }), pf3: op('lzcnt', 'Gv,Ev', countZeros, { op: 1 }) };
  t[0xbe] = op('movsx', 'Gv,Eb', movsx, { size2: 1 });
  t[0xbf] = op('movsx', 'Gv,Ew', movsx, { size2: 2 });
  t[0xc0] = op('xadd', 'Eb,Gb', xadd, { size: 'b', lockable: true });
  t[0xc1] = op('xadd', 'Ev,Gv', xadd, { lockable: true });
  t[0xc7] = {
    kind: 'mod',
    mem: group(none, {
      kind: 'rexw',
      w0: op('cmpxchg8b', 'Mq', cmpxchgWide, { size: 'd', lockable: true }),
      w1: op('cmpxchg16b', 'Mdq', cmpxchgWide, { size: 'q', lockable: true }),
    }),
    reg: group(none, none, none, none, none, none, unsupported('rdrand', 'Rv'), unsupported('rdseed', 'Rv')),
  };
  for (let r = 0; r < 8; r++) t[0xc8 + r] = op('bswap', 'Zy', bswap, { size: 'y' });
  return t;
}

export const ONE_BYTE = buildOneByte();
export const TWO_BYTE = buildTwoByte();

/** Every entry in the table, for the documentation and the decoder tests. */
export function allEntries(): OpcodeEntry[] {
  const out: OpcodeEntry[] = [];
  const visit = (node: OpcodeNode | undefined): void => {
    if (node === undefined) return;
    switch (node.kind) {
      case 'op': out.push(node); return;
      case 'group': case 'rm': node.entries.forEach(visit); return;
      case 'mod': visit(node.mem); visit(node.reg); return;
      case 'prefix': visit(node.none); visit(node.p66); visit(node.pf3); visit(node.pf2); return;
      case 'rexw': visit(node.w0); visit(node.w1); return;
    }
  };
  [...ONE_BYTE, ...TWO_BYTE].forEach(visit);
  return out;
}
