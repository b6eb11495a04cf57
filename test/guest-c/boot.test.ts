/* The committed C guest (guest/build/kernel, initramfs.cpio) booted under QEMU TCG. */
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

  it('runs builtins typed into the shell: echo with quotes and $?, ls /bin', async () => {
    const g = await boot();
    expect(lines(await g.run('echo "hello  there" $?\r'))).toContain('hello  there 0');
    const bin = lines(await g.run('ls /bin\r'));
    expect(bin.some((l) => /^dirtest +memtest +rawtest +sigtest .*vmcall +ymirsh +ymirsh-hello$/.test(l))).toBe(true);
    expect(lines(await g.run('cd /tmp; pwd\r', '/tmp # '))).toContain('/tmp');
    expect(g.text().endsWith('/tmp # ')).toBe(true);
  });

  it("passes a program's exit status on through $?, and 127 for a command that is not there", async () => {
    const g = await boot();
    expect(lines(await g.run('status 42; echo $?\r'))).toContain('42');
    const missing = lines(await g.run('nosuch; echo $?\r'));
    expect(missing).toContain('sh: nosuch: not found');
    expect(missing).toContain('127');
    expect(lines(await g.run('/bin/status 3; echo $?; ./bin/status 4; echo $?\r'))).toEqual(expect.arrayContaining(['3', '4']));
  });

  it('edits the line in canonical mode: DEL and BS erase, ^U kills the line, ^C at the prompt starts a new one', async () => {
    const g = await boot();
    await g.run('\x03');
    expect(g.text().endsWith(`^C\r\n${PROMPT}`)).toBe(true);
    expect(lines(await g.run('echo abX\x7fc\x08d\r'))).toContain('abd');
    expect(lines(await g.run('garbage\x15echo kept\r'))).toContain('kept');
  });

  it('copies the console into a file with cat > FILE until ^D', async () => {
    const g = await boot();
    g.type('cat > /tmp/s\r');
    g.type('first line\r');
    g.type('second\r');
    await g.run('\x04');
    expect(lines(await g.run('cat /tmp/s\r'))).toEqual(expect.arrayContaining(['first line', 'second']));
  });

  it('ends a running program with SIGINT on ^C, and the shell carries on with status 130', async () => {
    const g = await boot();
    const from = g.text().length;
    g.type('spin\r');
    await g.waitFor('spin: running', from);
    g.type('\x03');
    await g.waitFor(`^C\r\n${PROMPT}`, from);
    expect(lines(await g.run('echo $?\r'))).toContain('130');
    // A sleeping program is interrupted as well.
    const again = g.text().length;
    g.type('spin -s\r');
    await g.waitFor('spin: running', again);
    g.type('\x03');
    await g.waitFor(PROMPT, again + 10);
    expect(lines(await g.run('echo $?\r'))).toContain('130');
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

  it('passes the system-call test programs: signals with real frames, memory, files, small calls', async () => {
    const g = await boot();
    for (const program of ['sigtest', 'memtest', 'dirtest', 'systest']) {
      const out = await g.run(`${program}; echo status $?\r`);
      expect(out, program).toContain(`${program}: all passed`);
      expect(out, program).not.toContain('FAIL');
      expect(lines(out), program).toContain('status 0');
    }
    // The unknown system call is logged once, though systest made it twice.
    expect(g.text().match(/unimplemented system call 999/g)).toHaveLength(1);
  });

  it('gives raw mode to a program that asks: no echo, no signals, bytes as typed', async () => {
    const g = await boot();
    const from = g.text().length;
    g.type('rawtest 3\r');
    await g.waitFor('rawtest: ready', from);
    expect(g.text()).toContain('rawtest: window 80x24');
    g.type('a\x03b');
    expect(lines(await g.waitFor(PROMPT, g.text().length))).toContain('61 03 62');
    // Cooked mode is back: echo, and ^C kills the line being typed.
    // Type-ahead: the line may be echoed before the shell's new prompt, its output after it.
    expect(await g.run('half a line\x03echo cooked\r', /(\r\n|# )cooked\r\n/)).toMatch(/(\r\n|# )cooked\r\n/);
    expect(g.text()).not.toContain('sh: half');
  });

  it('powers off with poweroff 7: "reboot: Power down", then QEMU exits with 7 << 1 | 1', async () => {
    const g = await boot();
    g.type('poweroff 7\r');
    expect(await g.exited).toBe(15);
    expect(g.text()).toMatch(/\] reboot: Power down\r\n$/);
  });

  it('runs the words after -- on the kernel command line as init\'s argv, then powers off with the status', async () => {
    guest = new QemuGuest({ append: 'console=ttyS0 -- -c "echo scripted; status 3; poweroff $?"' });
    expect(await guest.exited).toBe(7);
    expect(lines(guest.text())).toContain('scripted');
    expect(guest.text()).not.toContain(PROMPT);
  });

  it('powers off without the debug-exit device too, through the PIIX4 PM port', async () => {
    guest = new QemuGuest({ append: 'console=ttyS0 -- -c "poweroff 5"', debugExit: false });
    expect(await guest.exited).toBe(0);
    expect(guest.text()).toContain('reboot: Power down');
  });

  it('writes /dev/ttyS1 to COM2, the data channel', async () => {
    guest = new QemuGuest({ append: 'console=ttyS0 -- -c "echo data-line > /dev/ttyS1; poweroff 0"', com2: true });
    expect(await guest.exited).toBe(1);
    expect(guest.text()).toContain('00:02: ttyS1 at I/O 0x2f8 (irq = 3, base_baud = 115200) is a 16550A');
    expect(guest.com2()).toBe('data-line\r\n');
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
