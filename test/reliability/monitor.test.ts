/**
 * 4 vCPUs issue mixed VMCALLs while the TUI watches the VM through the monitor API, and a second
 * reader polls every snapshot and counter as fast as it can: the counters come out exact and never
 * go backwards, and no snapshot is torn.
 */
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_REASON_COUNT, ExitReason } from '../../shell-protocol/exit-reasons.js';
import { App } from '../../tui/components/App.js';
import { Gpr } from '../../vmm/hw/state.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { GuestConsole } from '../support/guest-console.js';

/** As test/vmm/images/mixed-calls.c: its calls per vCPU, and the registers it tags before each. */
const MIXED_CALLS_PER_VCPU = 4000;
const WATCHED = [Gpr.RBP, Gpr.R8, Gpr.R9, Gpr.R10, Gpr.R11, Gpr.R12, Gpr.R13, Gpr.R14, Gpr.R15];

const VCPUS = 4;
let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

describe('the monitor under concurrent VMCALLs', () => {
  it('reads exact counters and untorn snapshots while 4 vCPUs call the VMM', async () => {
    vm = createVm({ vcpus: VCPUS, kernel: testImage('mixed-calls'), initrd: '' });
    new GuestConsole(vm.com1);
    const tui = render(createElement(App, { vm, onQuit: () => undefined }));
    vm.start();
    const stopped = vm.waitForStop();
    let running = true;
    void stopped.then(() => { running = false; });

    const lastSequence = new Array<bigint>(VCPUS).fill(-1n);
    const lastCounts = Array.from({ length: VCPUS }, () => new Array<number>(EXIT_REASON_COUNT).fill(0));
    let vmcallSnapshots = 0;
    const torn: string[] = [];
    while (running) {
      for (let v = 0; v < VCPUS; v++) {
        const s = vm.registers(v);
        expect(s.sequence).toBeGreaterThanOrEqual(lastSequence[v]!);
        lastSequence[v] = s.sequence;
        if (s.lastExitReason === ExitReason.VMCALL && s.state === 'running') {
          vmcallSnapshots++;
          const values = new Set(WATCHED.map((reg) => s.gprs[reg]));
          if (values.size !== 1) torn.push(`vCPU ${v} sequence ${s.sequence}: ${[...values].join(', ')}`);
        }
        const counts = vm.exitCounts(v);
        counts.forEach((n, reason) => {
          if (n < lastCounts[v]![reason]!) torn.push(`vCPU ${v} reason ${reason} went back from ${lastCounts[v]![reason]} to ${n}`);
          lastCounts[v]![reason] = n;
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(await stopped).toEqual({ kind: 'debug-exit', status: 0 });
    expect(torn).toEqual([]);
    expect(vmcallSnapshots).toBeGreaterThan(20); // the check did run on many snapshots
    for (let v = 0; v < VCPUS; v++) expect(vm.exitCounts(v)[ExitReason.VMCALL], `vCPU ${v}`).toBe(MIXED_CALLS_PER_VCPU);
    // The TUI saw the same counters: its exits pane shows the total of every vCPU's VMCALLs.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(tui.lastFrame()).toMatch(new RegExp(`VMCALL\\s+${VCPUS * MIXED_CALLS_PER_VCPU}\\b`));
    tui.unmount();
  }, 60_000);
});
