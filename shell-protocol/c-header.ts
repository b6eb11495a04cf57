/**
 * The C header of ABI v1, rendered from the same tables the TypeScript codec uses: constants,
 * packed little-endian structs, and static asserts of every size and offset.
 * `npx tsx scripts/gen-c-header.ts` writes shell-protocol/include/ymir_vmc.h.
 */
import * as C from './constants.js';
import { EXIT_REASON_COUNT, ExitReason } from './exit-reasons.js';
import type { FieldType } from './layout.js';
import { SHARED_PAGE_MAX_VCPUS } from './ops.js';
import { ALL_STRUCTS } from './structs.js';

const C_TYPE: Record<FieldType, string> = { u8: 'uint8_t', u16: 'uint16_t', u32: 'uint32_t', u64: 'uint64_t', s32: 'int32_t' };

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}u`;
}

/** A decimal value; a negative one in parentheses, so that `x-YMIR_VMC_EPERM` still parses. */
function decimal(value: number): string {
  return value < 0 ? `(${value})` : String(value);
}

function defines(prefix: string, table: Record<string, number>, format: (n: number) => string = decimal): string[] {
  return Object.entries(table).map(([name, value]) => `#define ${`${prefix}${name}`.padEnd(40)} ${format(value)}`);
}

/**
 * An X-macro over a table (`#define YMIR_VMC_EXIT_REASONS(X) X(CPUID, 10) ...`): C and C++ clients
 * expand it into the name tables they need, so no number is written twice and the header defines
 * no storage of its own.
 */
function xMacro(name: string, doc: string, rows: readonly (readonly (string | number)[])[]): string[] {
  return [`/* ${doc} */`, `#define ${name}(X) \\`, ...rows.map((row, i) => `\tX(${row.map((c) => (typeof c === 'number' ? decimal(c) : c)).join(', ')})${i === rows.length - 1 ? '' : ' \\'}`), ''];
}

export function renderCHeader(): string {
  const out: string[] = [
    '/* SPDX-License-Identifier: MIT */',
    '/*',
    ` * ymir_vmc.h - the ymir-dbg VMCALL ABI, version ${C.ABI_MAJOR}.${C.ABI_MINOR} (see shell-protocol/spec.md).`,
    ' *',
    ' * GENERATED from the TypeScript in shell-protocol/ by scripts/gen-c-header.ts. Do not edit by hand.',
    ' * All fields are little-endian; every struct is packed and naturally aligned.',
    ' * It compiles as C11 and as C++11 or later; it needs only <stddef.h> and <stdint.h>.',
    ' */',
    '#ifndef YMIR_VMC_H',
    '#define YMIR_VMC_H',
    '',
    '#include <stddef.h>',
    '#include <stdint.h>',
    '',
    '/* C11 spells it _Static_assert, C++ static_assert. */',
    '#ifdef __cplusplus',
    '#define YMIR_VMC_STATIC_ASSERT(expr, what) static_assert(expr, what)',
    '#else',
    '#define YMIR_VMC_STATIC_ASSERT(expr, what) _Static_assert(expr, what)',
    '#endif',
    '',
    '/* Magic numbers and version. */',
    `#define YMIR_VMC_MAGIC                           ${hex(C.VMC_MAGIC)} /* "YMIR": PROBE's RBX */`,
    `#define YMIR_VMC_REQUEST_MAGIC                   ${hex(C.REQUEST_MAGIC)} /* "YMRQ" */`,
    `#define YMIR_VMC_RESPONSE_MAGIC                  ${hex(C.RESPONSE_MAGIC)} /* "YMRS" */`,
    `#define YMIR_VMC_SHARED_PAGE_MAGIC               ${hex(C.SHARED_PAGE_MAGIC)} /* "YMSC" */`,
    `#define YMIR_VMC_ABI_MAJOR                       ${C.ABI_MAJOR}`,
    `#define YMIR_VMC_ABI_MINOR                       ${C.ABI_MINOR}`,
    '',
    '/* Limits. */',
    `#define YMIR_VMC_MAX_MESSAGE_SIZE                ${C.MAX_MESSAGE_SIZE}`,
    `#define YMIR_VMC_MAX_ENTRIES                     ${C.MAX_ENTRIES}`,
    `#define YMIR_VMC_MAX_ECHO_BYTES                  ${C.MAX_ECHO_BYTES}`,
    `#define YMIR_VMC_MAX_MEM_READ_BYTES              ${C.MAX_MEM_READ_BYTES}`,
    `#define YMIR_VMC_MAX_PROTECTED_RANGES            ${C.MAX_PROTECTED_RANGES}`,
    `#define YMIR_VMC_MAX_LOG_RECORDS                 ${C.MAX_LOG_RECORDS}`,
    `#define YMIR_VMC_PAGE_SIZE                       ${C.PAGE_SIZE}`,
    `#define YMIR_VMC_MAX_DIS_INSTRUCTIONS            ${C.MAX_DIS_INSTRUCTIONS}`,
    `#define YMIR_VMC_MAX_BT_FRAMES                   ${C.MAX_BT_FRAMES}`,
    `#define YMIR_VMC_MAX_INSTRUCTION_BYTES           ${C.MAX_INSTRUCTION_BYTES}`,
    `#define YMIR_VMC_EXIT_REASON_COUNT               ${EXIT_REASON_COUNT}`,
    `#define YMIR_VMC_SHARED_PAGE_MAX_VCPUS           ${SHARED_PAGE_MAX_VCPUS}`,
    `#define YMIR_VMC_ALL_VCPUS                       ${hex(C.ALL_VCPUS)}`,
    `#define YMIR_VMC_LOG_LEVEL_QUERY                 ${hex(C.LOG_LEVEL_QUERY)}`,
    '',
    '/* Services (RAX). */',
    ...defines('YMIR_VMC_SERVICE_', C.Service),
    '',
    '/* PROBE feature bits (RDX). */',
    ...defines('YMIR_VMC_FEATURE_', C.Feature, hex),
    '',
    '/* CALL flags (RDI) and request header flags. */',
    ...defines('YMIR_VMC_CALL_', C.CallFlag, hex),
    ...defines('YMIR_VMC_REQUEST_', C.RequestFlag, hex),
    '',
    '/* Ops. */',
    ...defines('YMIR_VMC_OP_', C.Op),
    '',
    '/* Status codes: 0 or a negative Linux errno. */',
    ...defines('YMIR_VMC_', C.Status),
    '',
    '/* vCPU states, log levels, page flags. */',
    ...defines('YMIR_VMC_VCPU_', C.VcpuState),
    ...defines('YMIR_VMC_LOG_', C.LogLevel),
    ...defines('YMIR_VMC_PAGE_', C.PageFlag, hex),
    ...defines('YMIR_VMC_OPINFO_', C.OpInfoFlag, hex),
    ...defines('YMIR_VMC_PROTECTED_', C.ProtectedFlag, hex),
    '',
    '/* DIS syntaxes, stop reasons and instruction flags; BT stop reasons. */',
    ...defines('YMIR_VMC_DIS_SYNTAX_', C.DisSyntax),
    ...defines('YMIR_VMC_DIS_STOP_', C.DisStop),
    ...defines('YMIR_VMC_DIS_INSN_', C.DisInsnFlag, hex),
    ...defines('YMIR_VMC_BT_STOP_', C.BtStop),
    '',
    '/* Basic exit reasons (Intel SDM Vol. 3C, Appendix C). */',
    ...defines('YMIR_VMC_EXIT_', ExitReason),
    '',
    ...xMacro('YMIR_VMC_EXIT_REASONS', 'X(NAME, reason) for every basic exit reason of the SDM.', Object.entries(ExitReason)),
    ...xMacro('YMIR_VMC_STATUSES', 'X(NAME, value) for every status code.', Object.entries(C.Status)),
    ...xMacro('YMIR_VMC_FEATURES', 'X(NAME, bit mask) for every PROBE feature bit.', Object.entries(C.Feature)),
    ...xMacro('YMIR_VMC_OPS', 'X(NAME, op, privileged) for every op; privileged ops need CPL 0 (spec.md 2.1).', Object.entries(C.Op).map(([name, op]) => [name, op, C.PRIVILEGED_OPS.has(op) ? 1 : 0])),
  ];
  for (const layout of ALL_STRUCTS) {
    out.push(`/* ${layout.doc} */`, `struct ${layout.cName} {`);
    for (const field of layout.fields) {
      const array = field.count ? `[${field.count}]` : '';
      out.push(`\t${`${C_TYPE[field.type]} ${field.name}${array};`.padEnd(36)} /* ${String(field.offset).padStart(3)}: ${field.doc} */`);
    }
    out.push(`} __attribute__((packed)); /* ${layout.size} bytes */`);
    out.push(`YMIR_VMC_STATIC_ASSERT(sizeof(struct ${layout.cName}) == ${layout.size}, "${layout.cName} size");`);
    for (const field of layout.fields) out.push(`YMIR_VMC_STATIC_ASSERT(offsetof(struct ${layout.cName}, ${field.name}) == ${field.offset}, "${layout.cName}.${field.name}");`);
    out.push('');
  }
  out.push('#endif /* YMIR_VMC_H */', '');
  return out.join('\n');
}

/** The struct tables of spec.md, from the same definitions (between the `structs` markers). */
export function renderSpecStructs(): string {
  const out: string[] = [];
  for (const layout of ALL_STRUCTS) {
    out.push(`#### \`struct ${layout.cName}\` — ${layout.size} bytes`, '', layout.doc, '', '| offset | size | type | field | meaning |', '|---:|---:|---|---|---|');
    for (const f of layout.fields) out.push(`| ${f.offset} | ${f.size} | ${f.type}${f.count ? `[${f.count}]` : ''} | \`${f.name}\` | ${f.doc} |`);
    out.push('');
  }
  return out.join('\n');
}

/** The exit-reason table of spec.md, from exit-reasons.ts. */
export function renderSpecExitReasons(): string {
  const rows = Object.entries(ExitReason).map(([name, value]) => `| ${value} | \`${name}\` |`);
  return ['| reason | name |', '|---:|---|', ...rows, ''].join('\n');
}

/** The sections of spec.md generated from the definitions, each between its own markers. */
const SPEC_SECTIONS: readonly (readonly [string, () => string])[] = [
  ['structs', renderSpecStructs],
  ['exit-reasons', renderSpecExitReasons],
];

/** spec.md with every generated section replaced by what the definitions give now. */
export function withGeneratedSpec(spec: string): string {
  let out = spec;
  for (const [name, render] of SPEC_SECTIONS) {
    const beginMarker = `<!-- ${name}:begin (generated by scripts/gen-c-header.ts) -->`;
    const endMarker = `<!-- ${name}:end -->`;
    const begin = out.indexOf(beginMarker);
    const end = out.indexOf(endMarker);
    if (begin < 0 || end < begin) throw new Error(`spec.md has no ${name} markers`);
    out = `${out.slice(0, begin + beginMarker.length)}\n\n${render()}\n${out.slice(end)}`;
  }
  return out;
}
