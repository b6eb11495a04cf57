import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason, exitReasonName } from '../../shell-protocol/exit-reasons.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { GuestConsole } from '../support/guest-console.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

async function shell(config: Parameters<typeof createVm>[0] = {}): Promise<{ vm: Vm; com1: GuestConsole; com2: GuestConsole }> {
  vm = createVm({ vcpus: 2, ...config });
  const com1 = new GuestConsole(vm.com1);
  const com2 = new GuestConsole(vm.com2);
  vm.start();
  await com1.waitFor('~ # ');
  return { vm, com1, com2 };
}

/** Type a line and wait for the next ymirsh prompt; returns what the command printed. */
async function run(com1: GuestConsole, line: string): Promise<string> {
  const from = com1.text().length;
  await com1.type(`${line}\r`);
  const text = await com1.waitFor(/\nymirsh> $/, 10_000, from);
  return text.slice(text.indexOf('\n') + 1, text.lastIndexOf('ymirsh> '));
}

async function interactive() {
  const s = await shell();
  await s.com1.type('ymirsh\r');
  await s.com1.waitFor('ymirsh> ');
  return s;
}

describe('ymirsh, interactive', () => {
  it('starts with the ABI version and a prompt', async () => {
    const { com1 } = await interactive();
    expect(com1.text()).toContain('ymirsh: connected to the VMM over VMCALL, ABI 1.1. Type help.\r\nymirsh> ');
  });

  it('lists its commands and gives usage for one, every line within 80 columns', async () => {
    const { com1 } = await interactive();
    const help = await run(com1, 'help');
    for (const name of ['hello', 'regs', 'exits', 'log', 'x/FMT', 'xp/FMT', 'translate', 'protect', 'ping', 'ops']) expect(help).toContain(`  ${name}`);
    for (const line of help.split('\r\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(await run(com1, 'help exits')).toContain('usage: exits [VCPU|all] [--sort count|name|reason] [--all] [--watch [SECONDS]]');
  });

  it('hello makes the VMM log the seed\'s greeting on the console', async () => {
    const { com1 } = await interactive();
    const out = await run(com1, 'hello');
    expect(out).toContain('[INFO ] vmc     | GREETINGS FROM VMX-ROOT...');
    expect(out).toContain('[INFO ] vmc     | This OS is hypervisored by Ymir.');
  });

  it('regs shows the CR3 the guest kernel loaded for ymirsh and the VMCALL it exited at', async () => {
    const { vm, com1 } = await interactive();
    const out = await run(com1, 'regs 0');
    const cr3 = /CR3=([0-9a-f]{16})/.exec(out)?.[1];
    expect(out).toMatch(/^vCPU 0: running, last exit VMCALL \(18\)/);
    expect(BigInt(`0x${cr3}`)).toBe(vm.registers(0).cr3);
    expect(out).toContain('CPL=3');
    for (const line of out.split('\r\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('exits matches the monitor\'s counters while the VM is paused', async () => {
    const { vm, com1 } = await interactive();
    const out = await run(com1, 'exits all --sort reason');
    vm.pause();
    // The only exits after the answer was built are ymirsh printing it and going back to read: count them out.
    const rows = new Map([...out.matchAll(/^(\w+)\s+(\d+)\s+(\d+)\s+[\d.]+$/gm)].map((m) => [Number(m[2]), Number(m[3])]));
    const total = Number(/^TOTAL\s+(\d+)/m.exec(out)?.[1]);
    expect(rows.get(ExitReason.VMCALL)).toBeGreaterThanOrEqual(2);
    const counts = [0, 1].map((v) => vm.exitCounts(v));
    for (const [reason, count] of rows) {
      const now = counts[0]![reason]! + counts[1]![reason]!;
      expect(now, exitReasonName(reason)).toBeGreaterThanOrEqual(count);
    }
    expect([...rows.values()].reduce((a, b) => a + b, 0)).toBe(total);
    const vmcallsNow = counts[0]![ExitReason.VMCALL]! + counts[1]![ExitReason.VMCALL]!;
    expect(vmcallsNow).toBe(rows.get(ExitReason.VMCALL)); // no VMCALL after the one that answered
    vm.resume();
  });

  it('dumps memory in QEMU monitor syntax: x is guest-virtual, xp guest-physical', async () => {
    const { com1 } = await interactive();
    expect(await run(com1, 'xp/2xw 0x1000')).toBe('0000000000001000: 0x31504259 0x00000002\r\n');
    expect(await run(com1, 'x/1xg 0xffff888000001000')).toBe('ffff888000001000: 0x0000000231504259\r\n');
    expect(await run(com1, 'x/4c 0xffff888000001000')).toBe("ffff888000001000: 'Y' 'B' 'P' '1'\r\n");
  });

  it('explains errors in a sentence', async () => {
    const { com1 } = await interactive();
    expect(await run(com1, 'translate 0x7f0000001000')).toBe('translate: EFAULT: 0x7f0000001000 is not mapped\r\n');
    expect(await run(com1, 'x/2xg 0x7f0000001000')).toBe('x: EFAULT: 0x7f0000001000 is not mapped\r\n');
    expect(await run(com1, 'regs 9')).toContain('EINVAL');
    expect(await run(com1, 'x/8q 0x1000')).toContain('usage: x/FMT ADDR');
    expect(await run(com1, 'frob')).toBe('ymirsh: frob: unknown command (try help)\r\n');
  });

  it('protects memory and reports refused writes', async () => {
    const { com1 } = await interactive();
    expect(await run(com1, 'protect 0x3000000 0x2000')).toContain('protected 0x3000000-0x3001fff (8 KiB) against guest writes');
    expect(await run(com1, 'protected')).toMatch(/0000000003000000\s+0000000003001fff\s+8 KiB\s+0/);
    expect(await run(com1, 'unprotect 0x3000000 0x2000')).toContain('unprotected');
    expect(await run(com1, 'protect 0x3000001 0x1000')).toContain('EINVAL');
  });

  it('shows the log, the ops, ping times and the log level', async () => {
    const { com1 } = await interactive();
    await run(com1, 'hello');
    expect(await run(com1, 'log -n 1')).toMatch(/^\[\s+\d+\.\d{6}\] \[INFO \] vmc {5}\| This OS is hypervisored by Ymir\.\r\n$/);
    expect(await run(com1, 'ops')).toContain(' 9  PROTECT      yes (CPL 0)');
    expect(await run(com1, 'ping 50')).toMatch(/^50 PROBE round trips: min \d+ ns, median \d+ ns, p99 \d+ ns\r\n$/);
    expect(await run(com1, 'loglevel warn')).toBe('log level: info -> warn\r\n');
  });

  it('edits lines: backspace, Ctrl-U, Ctrl-W, history and tab completion', async () => {
    const { com1 } = await interactive();
    expect(await run(com1, 'opz\x7fs')).toContain('PROTECT');
    let from = com1.text().length;
    await com1.type('garbage words\x17\x17\x15ops\r');
    expect(await com1.waitFor(/\nymirsh> $/, 5000, from)).toContain('PROTECT');
    from = com1.text().length;
    await com1.type('\x1b[A\r'); // up arrow recalls `ops`
    expect(await com1.waitFor(/\nymirsh> $/, 5000, from)).toContain('PROTECT');
    from = com1.text().length;
    await com1.type('transl\t0x400000\r');
    expect(await com1.waitFor(/\nymirsh> $/, 5000, from)).toContain('0x400000 -> 0x');
  });

  it('cancels a line with Ctrl-C and leaves on Ctrl-D', async () => {
    const { com1 } = await interactive();
    await com1.type('regs\x03');
    await com1.waitFor('^C\r\nymirsh> ');
    await com1.type('\x04');
    await com1.waitFor(/ymirsh> \r\n~ # $/);
  });

  it('refreshes exits --watch from the shared page until a key is pressed', async () => {
    const { com1 } = await interactive();
    await com1.type('exits --watch 0.2\r');
    await com1.waitFor(/VM exits \(live[\s\S]*VM exits \(live/); // at least two frames
    const from = com1.text().length;
    await com1.type('q');
    await com1.waitFor(/ymirsh> $/, 5000, from);
  });
});

describe('ymirsh scripts', () => {
  it('runs -c commands and exits 0, with --json objects on COM2 that parse', async () => {
    const { com1, com2 } = await shell();
    await com1.type("ymirsh --json -c 'version; exits 0'; echo status=$?\r");
    await com1.waitFor('status=0');
    await com2.waitFor(/"command":"exits 0".*\n/); // COM2 is a port of its own: it may trail COM1
    const objects = com2.text().trim().split('\n').map((line) => JSON.parse(line) as { command: string; ok: boolean; data: unknown });
    expect(objects.map((o) => [o.command, o.ok])).toEqual([['version', true], ['exits 0', true]]);
    expect(objects[0]!.data).toMatchObject({ abi: '1.1', vcpus: 2 });
  });

  it('stops at the first failing command with its status, unless -k', async () => {
    const { com1 } = await shell();
    await com1.type('cat > /tmp/s.ysh\r# a script\rversion\rtranslate 0x10\rops\r\x04');
    await com1.waitFor(/~ # $/);
    await com1.type('ymirsh /tmp/s.ysh; echo status=$?\r');
    const stopped = await com1.waitFor('status=1');
    expect(stopped).not.toContain('ymirsh> ops');
    const from = com1.text().length;
    await com1.type('ymirsh -k /tmp/s.ysh; echo status=$?\r');
    expect(await com1.waitFor('status=1', 10_000, from)).toContain('ymirsh> ops');
  });

  it('says so when the script file does not exist', async () => {
    const { com1 } = await shell();
    await com1.type('ymirsh /tmp/nope; echo status=$?\r');
    await com1.waitFor('ymirsh: /tmp/nope: No such file or directory\r\nstatus=2');
  });
});

describe('ymirsh without a VMM', () => {
  it('says VMCALL raised #UD and exits with status 69 under a stealth VMM', async () => {
    const { com1 } = await shell({ stealth: true });
    await com1.type('ymirsh; echo status=$?\r');
    await com1.waitFor('ymirsh: VMCALL raised #UD: no hypervisor answers it (bare metal, or a VMM in stealth mode)\r\nstatus=69');
  });
});
