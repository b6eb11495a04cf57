/* The committed C guest under QEMU TCG: what only the reference PC shows (its boot log, no VMM, its power-off port, -d int, -smp 4). */
import { afterEach, describe, expect, it } from 'vitest';
import { PROMPT, QemuGuest, type BootOptions } from './qemu.js';

let guest: QemuGuest | undefined;
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

async function boot(options: BootOptions = {}): Promise<QemuGuest> {
  guest = new QemuGuest({ append: 'console=ttyS0', ...options });
  await guest.waitFor(PROMPT);
  return guest;
}

/** Console lines without the tty's CR. */
const lines = (text: string): string[] => text.split('\r\n');

describe('ymir-guest under QEMU', () => {
  it('boots to the ~ # prompt with a log shaped like Linux that names itself ymir-guest', async () => {
    const g = await boot();
    const log = g.text();
    expect(log).toMatch(/^\[ {4}0\.\d{6}\] ymir-guest version 0\.1\.0 \(gcc [\d.]+\) #1 SMP\r$/m);
    expect(log).not.toContain('Linux version');
    for (const line of [
      'Command line: ',
      'CPU: vendor ',
      'Hypervisor detected: ',
      'Multiboot-provided physical RAM map:',
      '] usable',
      'NX (Execute Disable) protection: active',
      'x86/mm: direct map of 128 MiB at 0xffff888000000000',
      'tsc: Fast TSC calibration using PIT',
      'smp: Bringing up secondary CPUs ...',
      'smpboot: Booting Node 0 Processor 1 APIC 0x1',
      'smp: Brought up 1 node, 2 CPUs',
      '00:01: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A',
      'Run /init as init process',
      'Welcome to ymir-guest',
    ]) expect(log).toContain(line);
    // Timestamps never go backwards.
    const stamps = [...log.matchAll(/^\[ *(\d+)\.(\d{6})\]/gm)].map((m) => Number(m[1]) * 1e6 + Number(m[2]));
    expect(stamps.length).toBeGreaterThan(15);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]!);
    expect(log.endsWith(PROMPT)).toBe(true);
  });

  it('kills a user program whose VMCALL raises #UD with SIGILL, as Linux does', async () => {
    const g = await boot();
    const out = lines(await g.run('vmcall; echo $?\r'));
    expect(out.some((l) => /traps: vmcall\[\d+\] trap invalid opcode ip:/.test(l))).toBe(true);
    expect(out).toContain('Illegal instruction');
    expect(out).toContain('132');
  });

  it("delivers the #UD to a SIGILL handler, and the kernel's CPL-0 VMCALL answers ENODEV instead of an oops", async () => {
    const g = await boot();
    const out = lines(await g.run('vmcall -h; echo $?\r'));
    expect(out).toContain('vmcall: VMCALL raised #UD (SIGILL): no VMM answers here');
    expect(out).toContain('vmcall: ymir_vmcall(PROBE) = -19 No such device');
    expect(out).toContain('vmcall: ymir_map_counters() = -19 No such device');
    expect(out).toContain('0');
    expect(g.text()).not.toContain('Oops');
  });

  it('powers off without the debug-exit device too, through the PIIX4 PM port', async () => {
    guest = new QemuGuest({ append: 'console=ttyS0 -- -c "poweroff 5"', debugExit: false });
    expect(await guest.exited).toBe(0);
    expect(guest.text()).toContain('reboot: Power down');
  });

  it('idles tickless: waiting at the prompt, no local APIC timer interrupt is taken at all', async () => {
    const g = await boot({ debug: 'int' });
    // Work that arms the timer (a 20 ms sleep in systest), then idle at the prompt.
    await g.run('systest\r');
    await g.run('echo idle\r');
    const before = (g.debugLog().match(/ v=ec /g) ?? []).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await g.run('echo still\r');
    const after = (g.debugLog().match(/ v=ec /g) ?? []).length;
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(before);
  });

  it('brings up every CPU QEMU gives it', async () => {
    const g = await boot({ smp: 4 });
    for (const cpu of [1, 2, 3]) expect(g.text()).toContain(`smpboot: Booting Node 0 Processor ${cpu} APIC 0x${cpu}`);
    expect(g.text()).toContain('smp: Brought up 1 node, 4 CPUs');
    expect(g.text()).not.toContain('do_boot_cpu failed');
  });
});
