/**
 * The target as gdb sees it: an x86-64 target description (gdb's "Target Descriptions" appendix,
 * features org.gnu.gdb.i386.core and .segments) with the control registers and EFER as an extra
 * feature, and the register numbering it implies for the g, G, p and P packets. gdb numbers the
 * registers in the order the description lists them.
 *
 * The x87 registers are part of gdb's i386 core feature, which it requires whole; this CPU models
 * no x87 (vmm/hw/README.md), so they read as zero and writes to them are ignored.
 */
import { type RegisterName } from './debugger.js';

export interface TargetRegister {
  readonly name: string;
  readonly bits: 32 | 64 | 80;
  /** The debugger register it is, or undefined for one this CPU does not have (reads as zero). */
  readonly slot: RegisterName | undefined;
  readonly type: string;
  readonly group?: string;
}

const gpr = (name: RegisterName, type = 'int64'): TargetRegister => ({ name, bits: 64, slot: name, type });
const x87 = (name: string, bits: 32 | 80, type: string): TargetRegister => ({ name, bits, slot: undefined, type, group: 'float' });

export const CORE: readonly TargetRegister[] = [
  gpr('rax'), gpr('rbx'), gpr('rcx'), gpr('rdx'), gpr('rsi'), gpr('rdi'), gpr('rbp', 'data_ptr'), gpr('rsp', 'data_ptr'),
  gpr('r8'), gpr('r9'), gpr('r10'), gpr('r11'), gpr('r12'), gpr('r13'), gpr('r14'), gpr('r15'),
  gpr('rip', 'code_ptr'),
  { name: 'eflags', bits: 32, slot: 'rflags', type: 'i386_eflags' },
  ...(['cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const).map((name): TargetRegister => ({ name, bits: 32, slot: name, type: 'int32' })),
  ...Array.from({ length: 8 }, (_, n) => x87(`st${n}`, 80, 'i387_ext')),
  ...['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'].map((name) => x87(name, 32, 'int')),
];
export const SEGMENTS: readonly TargetRegister[] = [gpr('fs_base'), gpr('gs_base')];
export const CONTROL: readonly TargetRegister[] = (['cr0', 'cr2', 'cr3', 'cr4', 'efer'] as const).map((name) => ({ name, bits: 64, slot: name, type: 'int64', group: 'general' }));

/** Every register in gdb's numbering. */
export const REGISTERS: readonly TargetRegister[] = [...CORE, ...SEGMENTS, ...CONTROL];

/** Bytes of the g packet's register block. */
export const REGISTER_BYTES = REGISTERS.reduce((n, r) => n + r.bits / 8, 0);

const EFLAGS_FIELDS = [
  [0, 'CF'], [1, ''], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
  [14, 'NT'], [16, 'RF'], [17, 'VM'], [18, 'AC'], [19, 'VIF'], [20, 'VIP'], [21, 'ID'],
] as const;

function registerXml(r: TargetRegister, regnum: number): string {
  return `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${regnum}"${r.group ? ` group="${r.group}"` : ''}/>`;
}

function feature(name: string, registers: readonly TargetRegister[], first: number, extra = ''): string {
  return [`<feature name="${name}">`, extra, ...registers.map((r, k) => registerXml(r, first + k)), '</feature>'].filter((l) => l !== '').join('\n');
}

/** target.xml: the whole description in one document. */
export const TARGET_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
  '<target version="1.0">',
  '<architecture>i386:x86-64</architecture>',
  feature('org.gnu.gdb.i386.core', CORE, 0, [
    '<flags id="i386_eflags" size="4">',
    ...EFLAGS_FIELDS.map(([bit, name]) => `  <field name="${name}" start="${bit}" end="${bit}"/>`),
    '</flags>',
  ].join('\n')),
  feature('org.gnu.gdb.i386.segments', SEGMENTS, CORE.length),
  feature('org.ymir.x86.control', CONTROL, CORE.length + SEGMENTS.length),
  '</target>',
  '',
].join('\n');
