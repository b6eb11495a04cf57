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
