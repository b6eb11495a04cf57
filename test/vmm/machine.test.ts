import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { Gpr } from '../../vmm/hw/state.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { GuestConsole } from '../support/guest-console.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

function boot(name: string, config: Parameters<typeof createVm>[0] = {}): { vm: Vm; console: GuestConsole } {
  vm = createVm({ vcpus: 1, kernel: testImage(name), initrd: '', ...config });
  const console1 = new GuestConsole(vm.com1);
  vm.start();
  return { vm, console: console1 };
}

/** Waits until `condition` holds, for at most `ms` (the caller's assertion says what was expected). */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The guest's own output: the VMM's log lines share COM1 and may land anywhere in it. */
/**
 * What the guest printed, where the test booted it with the VMM's log at warn: the VMM's info
 * records share COM1 and would break into the guest's lines.
 */
const guestText = (console1: GuestConsole): string => console1.text();

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

  it('stops the VM on an exit it cannot handle, naming the reason, the address and RIP', async () => {
    const { vm } = boot('outside-memory');
    const reason = await vm.waitForStop();
    expect(reason.kind).toBe('unhandled-exit');
    if (reason.kind !== 'unhandled-exit') return;
    expect(reason.reason).toBe(ExitReason.EPT_VIOLATION);
    expect(reason.message).toMatch(/^Unhandled VM-exit: reason=EPT_VIOLATION \(48\) read of gpa=0x7fff0000 \(gva 0x7fff0000\), outside guest memory rip=0x[0-9a-f]+ vcpu=0$/);
  });

  it('answers VMCALL with #UD and shows a plain CPU in stealth mode, still counting the exits', async () => {
    const { vm, console } = boot('stealth-probe', { stealth: true });
    await vm.waitForStop();
    expect(console.text()).toContain('hypervisor bit 0, #UD 3, vendor GenuineIntel\n');
    expect(vm.exitCounts(0)[ExitReason.VMCALL]).toBe(3);
  });

  it('shows itself without stealth: the hypervisor bit and its vendor', async () => {
    const { vm, console } = boot('stealth-probe');
    await vm.waitForStop();
    expect(console.text()).toContain('hypervisor bit 1, #UD 0, vendor YmirYmirYmir\n');
  });

  it('brings up every AP by INIT-SIPI through a real-mode trampoline, with timer and IPI interrupts through the IDT', async () => {
    const { vm, console } = boot('smp', { vcpus: 4, logLevel: 'warn' });
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 42 });
    const text = guestText(console);
    for (let ap = 1; ap < 4; ap++) expect(text).toContain(`AP ${ap} online`);
    expect(text).toMatch(/ticks 2\d ipis 1\n/);
  });

  it('counts every exit exactly per vCPU and stops with the debug-exit status', async () => {
    const { vm, console } = boot('counting', { vcpus: 3, logLevel: 'warn' });
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 7 });
    expect(guestText(console)).toContain('counting guest up\n');
    for (let v = 0; v < 3; v++) expect(vm.exitCounts(v)[ExitReason.CPUID]).toBe(1000);
    expect(vm.state).toBe('stopped');
  });

  it('publishes register snapshots that are never torn while the guest runs', async () => {
    const { vm } = boot('torn-snapshots');
    // From its first OUT on, the guest is in the loop that keeps the registers equal; snapshots
    // published before that (at boot) hold other values.
    await until(() => vm.exitCounts(0)[ExitReason.IO_INSTRUCTION]! > 0);
    let seen = 0;
    const deadline = Date.now() + 3000;
    let last = vm.registers(0).sequence;
    while (Date.now() < deadline && seen < 200) {
      const s = vm.registers(0);
      if (s.sequence === last) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      last = s.sequence;
      const watched = [s.gprs[Gpr.RSI], s.gprs[Gpr.RDI], ...s.gprs.slice(8)];
      expect(new Set(watched).size, `snapshot ${s.sequence}`).toBe(1);
      seen++;
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('moves REP OUTSB in order, forward and backward across pages, leaving RCX and RSI as the CPU would', async () => {
    const { vm, console } = boot('rep-outs', { logLevel: 'warn' });
    expect(await vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0 });
    const letters = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const forward = letters.slice(4000);
    const backward = [...forward].reverse().join('');
    expect(guestText(console)).toBe(`${forward}\nforward: rcx 0, rsi - buffer 10000\n${backward}\nbackward: rcx 0, rsi - buffer 3999\n`);
  });

  it('pauses and resumes the vCPUs', async () => {
    const { vm } = boot('torn-snapshots');
    const outs = (): number => vm.exitCounts(0)[ExitReason.IO_INSTRUCTION]!;
    await until(() => outs() > 0);
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
