import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { Reg } from '../../vmm/hw/guest-cpu.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { GuestConsole } from '../support/guest-console.js';

const image = (name: string): string => new URL(`./images/${name}.ts`, import.meta.url).href;
let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

function boot(name: string, config: Parameters<typeof createVm>[0] = {}): { vm: Vm; console: GuestConsole } {
  vm = createVm({ vcpus: 1, guestImage: image(name), ...config });
  const console1 = new GuestConsole(vm.com1);
  vm.start();
  return { vm, console: console1 };
}

/** Waits until `condition` holds, for at most `ms` (the caller's assertion says what was expected). */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the VMM', () => {
  it('injects #GP(0) for an unknown MSR and logs it', async () => {
    const { vm, console } = boot('unknown-msr');
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 42 });
    expect(console.text()).toContain('[WARN ] msr     | RDMSR of unknown MSR 0xdead: #GP\n');
    expect(console.text()).toContain('#GP error 0\n');
    expect(vm.exitCounts(0)[ExitReason.MSR_READ]).toBe(1);
  });

  it('stops the VM on a triple fault and says where', async () => {
    const { vm, console } = boot('triple-fault');
    const reason = await vm.waitForStop();
    expect(reason.kind).toBe('triple-fault');
    expect(console.text()).toMatch(/\[ERROR\] vcpu    \| Triple fault: rip=0x[0-9a-f]+ vcpu=0/);
    expect(vm.exitCounts(0)[ExitReason.TRIPLE_FAULT]).toBe(1);
    expect(vm.registers(0).state).toBe('stopped');
  });

  it('stops the VM on an exit it cannot handle, naming the reason and RIP', async () => {
    const { vm } = boot('outside-memory');
    const reason = await vm.waitForStop();
    expect(reason.kind).toBe('unhandled-exit');
    if (reason.kind !== 'unhandled-exit') return;
    expect(reason.reason).toBe(ExitReason.EPT_VIOLATION);
    expect(reason.message).toMatch(/^Unhandled VM-exit: reason=EPT_VIOLATION \(48\) gpa=0x7fff0000 rip=0x[0-9a-f]+ vcpu=0$/);
  });

  it('answers VMCALL with #UD and hides the hypervisor bit in stealth mode, still counting the exits', async () => {
    const { vm, console } = boot('stealth-probe', { stealth: true });
    await vm.waitForStop();
    expect(console.text()).toContain('hypervisor bit 0, #UD 3\n');
    expect(vm.exitCounts(0)[ExitReason.VMCALL]).toBe(3);
  });

  it('publishes register snapshots that are never torn while the guest runs', async () => {
    const { vm } = boot('torn-snapshots');
    let seen = 0;
    const deadline = Date.now() + 1500;
    let last = -1n;
    while (Date.now() < deadline && seen < 200) {
      const s = vm.registers(0);
      if (s.sequence === last) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      last = s.sequence;
      const watched = [s.gprs[Reg.RSI], s.gprs[Reg.RDI], ...s.gprs.slice(8)];
      expect(new Set(watched).size, `snapshot ${s.sequence}`).toBe(1);
      seen++;
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('pauses and resumes the vCPUs', async () => {
    const { vm } = boot('torn-snapshots');
    const outs = (): number => vm.exitCounts(0)[ExitReason.IO_INSTRUCTION]!;
    await until(() => outs() > 0); // the worker has loaded the image and is running
    vm.pause();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = vm.exitCounts(0)[ExitReason.IO_INSTRUCTION]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(vm.exitCounts(0)[ExitReason.IO_INSTRUCTION]).toBe(before);
    expect(vm.state).toBe('paused');
    vm.resume();
    await until(() => outs() > before);
    expect(outs()).toBeGreaterThan(before);
  });

  it('leaves no vCPU thread behind when stopped', async () => {
    const { vm } = boot('torn-snapshots', { vcpus: 3 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await vm.stop()).toEqual({ kind: 'host-stop' });
    expect(vm.state).toBe('stopped');
    for (let v = 0; v < 3; v++) expect(vm.runState(v)).toBe('stopped');
  });
});
