import { afterEach, describe, expect, it } from 'vitest';
import { ABI_VERSION, ALL_FEATURES, MAX_MESSAGE_SIZE, Op, Status, VMC_MAGIC } from '../../shell-protocol/constants.js';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { GuestConsole } from '../support/guest-console.js';
import { CALLS_PER_VCPU } from './images/concurrent.js';
import { CALLS } from './images/fuzz.js';

const image = (name: string): string => new URL(`./images/${name}.ts`, import.meta.url).href;
let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

type Report = Record<string, unknown> & { name: string };

async function runSuite(): Promise<{ reports: Report[]; log: string }> {
  vm = createVm({ vcpus: 1, guestImage: image('abi-suite') });
  const data = new GuestConsole(vm.com2);
  const log = new GuestConsole(vm.com1);
  vm.start();
  expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0 });
  return { reports: data.text().trim().split('\n').map((line) => JSON.parse(line) as Report), log: log.text() };
}

describe('the VMCALL services, driven from guest code', () => {
  let suite: { reports: Report[]; log: string };
  const find = (name: string): Report => {
    const report = suite.reports.find((r) => r.name === name);
    if (!report) throw new Error(`the guest did not report ${name}`);
    return report;
  };

  it('run every scenario to the end', async () => {
    suite = await runSuite();
    expect(suite.reports.at(-1)?.name).toBe('done');
  });

  it('PROBE answers the magic, version, features and size limit', () => {
    expect(find('probe')).toEqual({ name: 'probe', status: 0, magic: String(VMC_MAGIC), version: String(ABI_VERSION), features: String(ALL_FEATURES), max: String(MAX_MESSAGE_SIZE) });
  });

  it('CALL runs every unprivileged op in one multi-call', () => {
    const every = find('every-op');
    expect(every.status).toBe(0);
    expect(every.completed).toBe(11);
    expect((every.entries as { status: number }[]).every((e) => e.status === 0)).toBe(true);
    expect(find('echo').text).toBe('ymir');
    expect((find('mem-read').bytes as number[]).slice(0, 4)).toEqual([0x59, 0x42, 0x50, 0x31]); // "YBP1" boot parameters
  });

  it('gives each entry its own status and runs the later ones', () => {
    expect(find('entry-errors')).toMatchObject({ status: 0, statuses: [Status.ENOSYS, Status.EINVAL, Status.E2BIG, 0] });
  });

  it('stops at the first error when the request asks', () => {
    expect(find('stop-on-error')).toMatchObject({ status: 0, completed: 2, statuses: [0, Status.ENOSYS] });
  });

  it('completes partially when the response space runs out, reporting the size needed', () => {
    expect(find('partial')).toEqual({ name: 'partial', status: Status.ENOSPC, bytes: 64, completed: 1, entries: [[Op.ECHO, 0, 8, 8], [Op.MEM_READ, Status.ENOSPC, 0, 4096]] });
  });

  it('answers every malformed golden vector with the status the spec names, writing nothing', () => {
    const malformed = suite.reports.filter((r) => r.name === 'malformed');
    expect(malformed.length).toBeGreaterThanOrEqual(13);
    for (const r of malformed) expect(r, String(r.file)).toMatchObject({ status: r.expected, bytes: 0 });
    expect(suite.log).toContain('[WARN ] vmc     | CALL refused (-71): bad request magic 0x12345678');
  });

  it('refuses bad buffers and arguments with the right status', () => {
    expect(find('misaligned').status).toBe(Status.EINVAL);
    expect(find('overlap').status).toBe(Status.EINVAL);
    expect(find('outside-memory').status).toBe(Status.EFAULT);
    expect(find('tiny-capacity').status).toBe(Status.ENOSPC);
    expect(find('reserved-call-flags').status).toBe(Status.EINVAL);
    expect(find('unknown-service').status).toBe(Status.ENOSYS);
    expect(suite.log).toContain('[ERROR] vmc     | Unhandled VMCALL: nr=77');
  });

  it('write-protects guest memory with PROTECT, counts refused writes, and lifts it with UNPROTECT', () => {
    expect(find('protect')).toMatchObject({
      protect: 0, afterWrite: 0x11111111, overlapping: Status.EEXIST, listed: [{ gpa: String(0x310000), length: '4096', violations: '1' }],
      intoProtected: Status.EFAULT, unprotect: 0, afterUnprotect: 0x33333333, unaligned: Status.EINVAL, notProtected: Status.ENOENT,
    });
    expect(suite.log).toMatch(/\[WARN \] ept     \| Refused write to protected 0x310000/);
  });

  it('keeps the exit counters in the MAP_SHARED page', () => {
    expect(find('shared-page')).toEqual({ name: 'shared-page', map: 0, ok: true, cpuidBefore: '0', cpuidAfter: '10', cpuidStats: '10', misaligned: Status.EINVAL });
  });

  it('sets the log level and resets the counters', () => {
    expect(find('level-and-reset')).toEqual({ name: 'level-and-reset', level: { previous: 1, current: 2 }, badLevel: Status.EINVAL, totalAfterReset: '1' });
  });

  it('reports the calling vCPU running, at the VMCALL', () => {
    expect(find('regs')).toMatchObject({ ok: true, state: 1, lastExit: ExitReason.VMCALL, cpl: 0 });
  });

  it('reads and writes buffers that cross pages mapped to scattered physical pages', () => {
    expect(find('cross-page')).toEqual({ name: 'cross-page', requestStatus: 0, responseStatus: 0, echoed: true, gpa: String(0x700000) });
    expect(find('physical').status).toBe(0);
  });

  it('refuses a response range with a page that is not present, writing nothing', () => {
    expect(find('not-present')).toEqual({ name: 'not-present', status: Status.EFAULT, untouched: true });
  });

  it('answers EPERM to privileged ops and MAP_SHARED from CPL 3, and EFAULT for supervisor pages', () => {
    expect(find('cpl3')).toEqual({ name: 'cpl3', status: 0, statuses: [Status.EPERM, 0, Status.EPERM, Status.EPERM, Status.EPERM], mapShared: Status.EPERM, supervisor: Status.EFAULT });
  });
});

describe('the VMCALL services under load', () => {
  it(`survive ${CALLS} random VMCALLs: defined statuses only, nothing written outside the response range`, async () => {
    vm = createVm({ vcpus: 1, memoryBytes: 8 << 20, logLevel: 'error', guestImage: image('fuzz') });
    const data = new GuestConsole(vm.com2);
    new GuestConsole(vm.com1);
    vm.start();
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0 });
    const result = JSON.parse(data.text()) as Record<string, unknown>;
    expect(result).toMatchObject({ calls: CALLS, undefinedStatuses: 0, overruns: 0, oversized: 0, guardBefore: true, memoryUnchanged: true });
    expect(result.okCount as number).toBeGreaterThan(CALLS / 20);
  }, 120_000);

  it('count exactly the calls 4 vCPUs make concurrently', async () => {
    vm = createVm({ vcpus: 4, guestImage: image('concurrent') });
    new GuestConsole(vm.com1);
    vm.start();
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0 });
    for (let v = 0; v < 4; v++) expect(vm.exitCounts(v)[ExitReason.VMCALL], `vCPU ${v}`).toBe(CALLS_PER_VCPU);
  }, 60_000);
});
