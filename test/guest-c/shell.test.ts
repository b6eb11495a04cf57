/*
 * The committed C guest's shell and system calls, the same assertions on both machines it boots
 * on: QEMU's TCG (the reference PC) and the ymir VMM (our CPU, devices and VMX exits).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type BootedGuest, MACHINES } from './machines.js';
import { PROMPT } from './transcript.js';

let guest: BootedGuest | undefined;
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

/** Console lines without the tty's CR. */
const lines = (text: string): string[] => text.split('\r\n');

// Each test boots a machine of its own; the interpreter takes seconds to a prompt on a loaded host.
describe.each(MACHINES)('ymir-guest on $name', { timeout: 60_000 }, (machine) => {
  async function boot(): Promise<BootedGuest> {
    guest = machine.boot();
    await guest.waitFor(PROMPT, 0, 30_000);
    return guest;
  }

    it('runs builtins typed into the shell: echo with quotes and $?, ls /bin', async () => {
      const g = await boot();
      expect(lines(await g.run('echo "hello  there" $?\r'))).toContain('hello  there 0');
      const bin = lines(await g.run('ls /bin\r'));
      expect(bin.some((l) => /^dirtest +escflood +linesum +memtest +rawtest +sigtest .*vmcall +ymirsh +ymirsh-hello$/.test(l))).toBe(true);
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
      expect(await g.run('half a line\x03echo cooked\r', /(^|\r\n|# )cooked\r\n/)).toMatch(/(^|\r\n|# )cooked\r\n/);
      expect(g.text()).not.toContain('sh: half');
    });

    it('powers off with poweroff 7: "reboot: Power down", and the machine stops with 7', async () => {
      const g = await boot();
      g.type('poweroff 7\r');
      expect(await g.powerOff()).toBe(7);
      expect(g.text()).toMatch(/\] reboot: Power down\r\n$/);
    });

    it('runs the words after -- on the kernel command line as init\'s argv, then powers off with the status', async () => {
      guest = machine.boot({ init: '-c "echo scripted; status 3; poweroff $?"' });
      expect(await guest.powerOff()).toBe(3);
      expect(lines(guest.text())).toContain('scripted');
      expect(guest.text()).not.toContain(PROMPT);
    });

    it('writes /dev/ttyS1 to COM2, the data channel', async () => {
      guest = machine.boot({ init: '-c "echo data-line > /dev/ttyS1; poweroff 0"' });
      expect(await guest.powerOff()).toBe(0);
      expect(guest.text()).toContain('00:02: ttyS1 at I/O 0x2f8 (irq = 3, base_baud = 115200) is a 16550A');
      expect(guest.com2()).toBe('data-line\r\n');
    });
});
