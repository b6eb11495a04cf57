import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ABI_VERSION, Op, PRIVILEGED_OPS, Status, VMC_MAGIC, isStatus, opKey, opName, statusMessage, statusName,
} from '../../shell-protocol/index.js';

const spec = readFileSync(new URL('../../shell-protocol/spec.md', import.meta.url), 'utf8');

/** Rows `| n | \`NAME\` | ...` of the spec table that follows `heading`. */
function specTable(heading: string): Map<string, { value: number; cells: string[] }> {
  const section = spec.slice(spec.indexOf(heading));
  const rows = new Map<string, { value: number; cells: string[] }>();
  for (const line of section.split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const cells = line.split('|').map((c) => c.trim());
    const match = /^`([A-Z_0-9]+)`$/.exec(cells[2] ?? '');
    if (match && /^-?\d+$/.test(cells[1] ?? '')) rows.set(match[1]!, { value: Number(cells[1]), cells });
  }
  return rows;
}

describe('status codes', () => {
  it('are the negative Linux errno values', () => {
    // From include/uapi/asm-generic/errno-base.h and errno.h.
    expect(Status).toEqual({ OK: 0, EPERM: -1, ENOENT: -2, E2BIG: -7, EFAULT: -14, EBUSY: -16, EEXIST: -17, EINVAL: -22, ENOSPC: -28, ENOSYS: -38, EPROTO: -71, EOVERFLOW: -75 });
  });

  it('have names and messages, and say so when a number is not one of them', () => {
    expect(statusName(-14)).toBe('EFAULT');
    expect(statusMessage(-14)).toBe('EFAULT (bad address)');
    expect(statusName(0)).toBe('OK');
    expect(statusName(-999)).toBe('E?(-999)');
    expect(statusMessage(5)).toBe('unknown status 5');
    expect(isStatus(-75)).toBe(true);
    expect(isStatus(-3)).toBe(false);
  });

  it('match the table of spec.md section 5 exactly', () => {
    const table = specTable('## 5. Status codes');
    expect(Object.fromEntries([...table].map(([name, row]) => [name, row.value]))).toEqual(Status);
  });
});

describe('ops', () => {
  it('match the table of spec.md section 4, numbers and privilege marks alike', () => {
    const table = specTable('## 4. Ops');
    expect(Object.fromEntries([...table].map(([name, row]) => [name, row.value]))).toEqual(Op);
    for (const [name, row] of table) expect(row.cells[3] === 'P', name).toBe(PRIVILEGED_OPS.has(row.value as Op));
  });

  it('turn numbers back into names', () => {
    expect(opName(Op.MEM_READ)).toBe('MEM_READ');
    expect(opName(99)).toBe('OP_99');
    expect(opKey(Op.ECHO)).toBe('ECHO');
    expect(opKey(0)).toBeUndefined();
  });
});

describe('PROBE values', () => {
  it('spell "YMIR" in little-endian bytes and put the major version in the high half', () => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, VMC_MAGIC, true);
    expect(new TextDecoder().decode(bytes)).toBe('YMIR');
    expect(ABI_VERSION).toBe(0x00010001); // 1.1
  });
});
