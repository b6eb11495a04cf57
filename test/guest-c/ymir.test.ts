/*
 * The committed C guest on the ymir VMM: what only our machine shows — its boot log (x2APIC, the
 * TSC from CPUID 0x15, the hypervisor's signature), VMCALLs that are answered, stealth mode, an
 * idle VM that makes no exits, and ymirsh talking to the VMM from inside the guest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROMPT } from './transcript.js';
import { YmirGuest, type YmirBootOptions } from './ymir.js';

let guest: YmirGuest | undefined;
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

async function boot(options: YmirBootOptions = {}): Promise<YmirGuest> {
  guest = new YmirGuest(options);
  await guest.waitFor(PROMPT, 0, 30_000);
  return guest;
}

const lines = (text: string): string[] => text.split('\r\n');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('ymir-guest on the ymir VMM', { timeout: 60_000 }, () => {
  it('boots to the prompt with the log of a guest that found ymir: x2APIC, the TSC from CPUID 0x15, 2 CPUs', async () => {
    const g = await boot();
    const log = g.guestText();
    for (const line of [
      'Command line: console=ttyS0\r',
      'Boot loader: ymir-dbg (Multiboot 1)',
      'Hypervisor detected: YmirYmirYmir',
      'x86/mm: direct map of 64 MiB at 0xffff888000000000',
      'x2apic: enabled, switching to x2apic ops',
      'tsc: Detected 1000.000 MHz TSC from CPUID 0x15',
      '00:01: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A',
      '00:02: ttyS1 at I/O 0x2f8 (irq = 3, base_baud = 115200) is a 16550A',
      'smp: Brought up 1 node, 2 CPUs',
      'Run /init as init process',
    ]) expect(log).toContain(line);
    expect(log).not.toContain('PIT');
    const stamps = [...log.matchAll(/^\[ *(\d+)\.(\d{6})\]/gm)].map((m) => Number(m[1]) * 1e6 + Number(m[2]));
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThanOrEqual(stamps[i - 1]!);
    // The VMM's own log on the same port: the AP's INIT-SIPI.
    expect(g.text()).toContain('[INFO ] vmx     | vCPU 1: INIT-SIPI received');
  });

  it("answers the guest's VMCALLs: HELLO at CPL 3 (the seed's logo in the VMM log), PROBE and the counter page through the kernel", async () => {
    const g = await boot();
    const out = await g.run('vmcall; echo $?\r');
    expect(out).toContain('[INFO ] vmc     | GREETINGS FROM VMX-ROOT...\n');
    expect(out).toContain('\nvmcall: HELLO answered 0\r\n');
    // The VMM's log record breaks into the guest's unfinished line on a line of its own.
    expect(out).toMatch(/\r\nvmcall: ymir_vmcall\(PROBE\) = 0, status 0, magic 0x52494d59\n\[INFO \] vmc +\| Exit counters shared at 0x[0-9a-f]+\n\r\n/);
    expect(out).toMatch(/\r\nvmcall: ymir_map_counters\(\) = \d+\r\n0\r\n/);
  });

  it('in stealth mode VMCALL raises #UD: SIGILL for the process, ENODEV from the kernel, and no hypervisor in CPUID', async () => {
    const g = await boot({ stealth: true });
    expect(g.guestText()).not.toContain('Hypervisor detected');
    const out = lines(await g.run('vmcall; echo $?; vmcall -h\r'));
    expect(out).toEqual(expect.arrayContaining(['Illegal instruction', '132', 'vmcall: ymir_vmcall(PROBE) = -19 No such device']));
  });

  it('makes no VM exits while idle at the prompt: the timer is masked and every vCPU halts', async () => {
    const g = await boot();
    await g.run('systest\r'); // arms the timer for a sleep
    await sleep(300);
    const before = g.exitCount();
    await sleep(1500);
    expect(g.exitCount()).toBe(before);
    expect([g.vm.runState(0), g.vm.runState(1)]).toEqual(['halted', 'halted']);
  });

  it('runs ymirsh: the VMM answers version, regs and exits from inside the guest, and hello prints the logo', async () => {
    const g = await boot();
    const version = lines(await g.run('ymirsh -c version\r'));
    expect(version).toEqual(expect.arrayContaining(['VMM:        ymir-dbg 0.1.0, VMCALL ABI 1.1', 'vCPUs:      2', 'memory:     64 MiB']));
    const regs = lines(await g.run('ymirsh -c "regs 0"\r'));
    // vCPU 0 is the one running ymirsh: its last exit is the VMCALL, at CPL 3.
    expect(regs.some((l) => /^vCPU 0: running, last exit VMCALL \(18\)/.test(l))).toBe(true);
    expect(regs.some((l) => /CPL=3$/.test(l))).toBe(true);
    const exits = lines(await g.run('ymirsh -c exits\r'));
    expect(exits.some((l) => /^IO_INSTRUCTION +30 +\d+/.test(l))).toBe(true);
    expect(exits.some((l) => /^VMCALL +18 +\d+/.test(l))).toBe(true);
    const hello = await g.run('ymirsh-hello; echo $?\r');
    expect(hello).toContain('[INFO ] vmc     | This OS is hypervisored by Ymir.');
    expect(hello).toMatch(/\n0\r\n~ # $/);
  });

  it('brings up 4 vCPUs', async () => {
    const g = await boot({ vcpus: 4 });
    for (const cpu of [1, 2, 3]) expect(g.text()).toContain(`smpboot: Booting Node 0 Processor ${cpu} APIC 0x${cpu}`);
    expect(g.text()).toContain('smp: Brought up 1 node, 4 CPUs');
  });
});
