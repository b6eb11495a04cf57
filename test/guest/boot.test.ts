import { afterEach, describe, expect, it } from 'vitest';
import { createVm, type Vm } from '../../vmm/vm.js';
import { GuestConsole } from '../support/guest-console.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

async function boot(): Promise<GuestConsole> {
  vm = createVm({ vcpus: 2 });
  const console1 = new GuestConsole(vm.com1);
  vm.start();
  await console1.waitFor('~ # ');
  return console1;
}

describe('the guest OS', () => {
  it('boots with a Linux-style log to the init shell prompt', async () => {
    const c = await boot();
    const text = c.text();
    expect(text).toMatch(/^\[ {4}0\.\d{6}\] Linux version/m);
    expect(text).toContain('CPU: vendor YmirYmirYmir');
    expect(text).toContain('Hypervisor detected: YmirYmirYmir');
    expect(text).toContain('smpboot: Booting Node 0 Processor 1 APIC 0x1');
    expect(text).toContain('ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A');
    expect(text).toContain('Run /init as init process');
    expect(text.trimEnd().endsWith('~ #')).toBe(true);
  });

  it('brings every AP up on the kernel page tables before it says so', async () => {
    vm = createVm({ vcpus: 3 });
    const c = new GuestConsole(vm.com1);
    vm.start();
    await c.waitFor('~ # ');
    const text = c.text();
    expect(text.indexOf('vCPU 2: INIT-SIPI received')).toBeGreaterThan(text.indexOf('Booting Node 0 Processor 2'));
    expect(text.indexOf('vCPU 2: INIT-SIPI received')).toBeLessThan(text.indexOf('smp: Brought up 1 node, 3 CPUs'));
    // Once idle in HLT, each vCPU's last exit shows the page tables it runs on.
    const deadline = Date.now() + 5000;
    while ([0, 1, 2].some((v) => vm!.registers(v).state !== 'halted') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const v of [0, 1, 2]) expect(vm.registers(v).cr3, `vCPU ${v}`).toBe(0x10000n);
  });

  it('idles without a tick: waiting at the prompt, no vCPU exits at all', async () => {
    await boot();
    const total = (): number => [0, 1].reduce((sum, v) => sum + vm!.exitCounts(v).reduce((a, b) => a + b, 0), 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = total();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(total()).toBe(before);
    for (const v of [0, 1]) expect(vm!.registers(v).state).toBe('halted');
  });

  it('runs a builtin typed on the console and shows its output', async () => {
    const c = await boot();
    await c.type('echo "hello  there" $?\r');
    await c.waitFor('hello  there 0\r\n~ # ');
  });

  it('runs the seed ymirsh: the VMM prints the logo in Ymir\'s log format', async () => {
    const c = await boot();
    await c.type('ymirsh-seed\r');
    await c.waitFor('This OS is hypervisored by Ymir.');
    const text = c.text();
    expect(text).toContain('[INFO ] vmc     | GREETINGS FROM VMX-ROOT...\n   ____     __ ,---.    ,---..-./`) .-------.');
    expect(text).toContain("  `-..-'       '--'      '--' '---' ''-'   `'-'\n\n[INFO ] vmc     | This OS is hypervisored by Ymir.\n");
  });

  it('kills a process that touches unmapped or kernel memory, like Linux', async () => {
    const c = await boot();
    await c.type('fault segv; echo status $?\r');
    await c.waitFor('Segmentation fault\r\nstatus 139');
    await c.type('fault kernel; echo status $?\r');
    await c.waitFor(/Segmentation fault\r\nstatus 139[\s\S]*Segmentation fault\r\nstatus 139/);
  });

  it('says when a command does not exist', async () => {
    const c = await boot();
    await c.type('frobnicate\r');
    await c.waitFor('sh: frobnicate: not found');
  });

  it('edits the input line: backspace and Ctrl-U', async () => {
    const c = await boot();
    await c.type('echo abX\x7fc\r');
    await c.waitFor('abc\r\n');
    await c.type('garbage\x15echo clean\r');
    await c.waitFor('clean\r\n');
    expect(c.text()).not.toContain('sh: garbage');
  });

  it('stops with the status given to poweroff', async () => {
    const c = await boot();
    await c.type('poweroff 3\r');
    await expect(vm!.waitForStop()).resolves.toEqual({ kind: 'debug-exit', status: 3 });
    expect(c.text()).toContain('reboot: Power down (status 3)');
  });
});
