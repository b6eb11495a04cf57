import { describe, expect, it } from 'vitest';
import { LogRing } from '../../vmm/log-ring.js';
import { formatLogLine } from '../../vmm/log.js';

describe('the VMM log ring', () => {
  it('gives readers every record in order while it does not overflow', () => {
    const ring = LogRing.create(8);
    for (let i = 0; i < 5; i++) ring.append('info', 'vmc', `record ${i}`, i);
    const result = ring.read(0);
    expect(result.records.map((r) => r.message)).toEqual(['record 0', 'record 1', 'record 2', 'record 3', 'record 4']);
    expect(result).toMatchObject({ lost: 0, nextCursor: 5 });
  });

  it('tells a lapped reader how many records it lost, then gives the oldest kept', () => {
    const ring = LogRing.create(8);
    for (let i = 0; i < 20; i++) ring.append('warn', 'ept', `record ${i}`, i);
    const result = ring.read(3);
    expect(result.lost).toBe(9);
    expect(result.records[0]).toMatchObject({ sequence: 12, message: 'record 12', level: 'warn', scope: 'ept' });
    expect(result.records.at(-1)?.message).toBe('record 19');
    expect(result.nextCursor).toBe(20);
  });

  it('resumes from the cursor it returned', () => {
    const ring = LogRing.create(8);
    ring.append('info', 'vmc', 'a', 0);
    const first = ring.read(0);
    ring.append('error', 'vmc', 'b', 1);
    expect(ring.read(first.nextCursor).records.map((r) => r.message)).toEqual(['b']);
  });
});

describe("Ymir's log format", () => {
  it('pads the level to 5 and the scope to 7', () => {
    expect(formatLogLine('info', 'vmc', 'This OS is hypervisored by Ymir.')).toBe('[INFO ] vmc     | This OS is hypervisored by Ymir.\n');
    expect(formatLogLine('error', 'vcpu', 'x')).toBe('[ERROR] vcpu    | x\n');
  });
});

describe('the VMM log ring past 2^32 records', () => {
  it('numbers, keeps and reads records on as before, where a 32-bit counter wrapped', () => {
    const first = 2 ** 32 - 3;
    const ring = LogRing.create(8, first);
    for (let i = 0; i < 6; i++) ring.append('error', 'vmc', `Unhandled VMCALL: nr=${i}`, i);
    const result = ring.read(first);
    expect(result.records.map((r) => r.sequence)).toEqual([0, 1, 2, 3, 4, 5].map((i) => first + i));
    expect(result.records.at(-1)?.message).toBe('Unhandled VMCALL: nr=5');
    expect(result).toMatchObject({ lost: 0, nextCursor: first + 6 });
    expect(ring.next).toBe(first + 6);
  });

  it('keeps exact sequence numbers up to 2^53, beyond any run', () => {
    const first = Number.MAX_SAFE_INTEGER - 4;
    const ring = LogRing.create(4, first);
    ring.append('info', 'vmc', 'a', 0);
    ring.append('info', 'vmc', 'b', 1);
    expect(ring.read(first).records.map((r) => [r.sequence, r.message])).toEqual([[first, 'a'], [first + 1, 'b']]);
  });
});
