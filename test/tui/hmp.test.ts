/** The human monitor's commands against a fake VM: QEMU's formats, expressions, and calls that wait for the CPU model. */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { evaluate } from '../../tui/monitor/expression.js';
import { Hmp } from '../../tui/monitor/hmp.js';
import type { FullRegisterState, SegmentRegister } from '../../vmm/monitor-api.js';
import { FakeMonitor } from './fake-monitor.js';

const hmp = (vm = new FakeMonitor()) => ({ vm, monitor: new Hmp(vm, 'testvm') });

describe('monitor expressions', () => {
  const regs: Record<string, bigint> = { rip: 0x401000n, rsp: 0x7ff0n };
  const value = (text: string): bigint => evaluate(text, (name) => regs[name]);

  it('read numbers, registers and operators with C precedence, wrapping at 64 bits', () => {
    expect(value('0x10')).toBe(16n);
    expect(value('$rsp + 8')).toBe(0x7ff8n);
    expect(value('$rip + 2 * 0x10')).toBe(0x401020n);
    expect(value('($rip + 2) * 2')).toBe(0x802004n);
    expect(value('1 << 4 | 1')).toBe(17n);
    expect(value('-1')).toBe(0xffff_ffff_ffff_ffffn);
    expect(value('~0 >> 60')).toBe(15n);
  });

  it('say what is wrong with a bad one', () => {
    expect(() => value('$nosuch')).toThrow('no register $nosuch');
    expect(() => value('1 +')).toThrow('ends too early');
    expect(() => value('(1')).toThrow("')' is missing");
    expect(() => value('1 / 0')).toThrow('division by zero');
    expect(() => value('1 ? 2')).toThrow("cannot read '? 2'");
  });
});

describe('the human monitor', () => {
  it('shows registers in QEMU\'s layout and says which parts wait for the CPU model', async () => {
    const { monitor } = hmp();
    const text = await monitor.execute('info registers');
    expect(text).toContain('RAX=0000000000000000 RBX=0000000000000003 RCX=0000000000000001 RDX=0000000000000002');
    expect(text).toContain('RIP=0000000000401000 RFL=00000202 [-------] CPL=3 IF=1');
    expect(text).toContain('CS=0023');
    expect(text).toContain('base, limit and attributes, GDTR/IDTR/TR are not available in this build');
  });

  it('shows segment caches, descriptor tables and debug registers once the VM publishes them', async () => {
    const { vm, monitor } = hmp();
    const seg = (selector: number, base: bigint): SegmentRegister => ({ selector, base, limit: 0xffffffff, accessRights: 0xa09b });
    const full: FullRegisterState = {
      ...vm.registers(0),
      segments: { es: seg(0, 0n), cs: seg(0x10, 0n), ss: seg(0x18, 0n), ds: seg(0, 0n), fs: seg(0, 0x7000n), gs: seg(0, 0n), ldtr: seg(0, 0n), tr: seg(0x28, 0xffff888000003000n) },
      gdtr: { base: 0xffff888000002000n, limit: 0x37 }, idtr: { base: 0xffff888000004000n, limit: 0xfff },
      cr8: 0n, debugRegisters: [0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n], kernelGsBase: 0n,
    };
    vm.debug.fullRegisters = () => full;
    const text = await monitor.execute('info registers');
    expect(text).toContain('CS =0010 0000000000000000 ffffffff 0a09b');
    expect(text).toContain('TR =0028 ffff888000003000');
    expect(text).toContain('GDT=     ffff888000002000 00000037');
    expect(text).toContain('DR6=00000000ffff0ff0 DR7=0000000000000400');
    expect(text).not.toContain('not available');
  });

  it('examines physical and virtual memory with x/NFU formats, remembering the last format', async () => {
    const { monitor } = hmp();
    expect(await monitor.execute('xp/4xb 0x10')).toBe('0000000000000010: 0x10 0x11 0x12 0x13');
    expect(await monitor.execute('xp/2xg 0x100')).toBe('0000000000000100: 0x0706050403020100 0x0f0e0d0c0b0a0908');
    expect(await monitor.execute('xp 0x104')).toBe('0000000000000104: 0x0b0a090807060504'); // the last format, /xg
    expect(await monitor.execute('xp/3dh 0xfe')).toBe('00000000000000fe: -2 256 770');
    expect(await monitor.execute('x/2xw $rip - 0x400ff0')).toBe('0000000000000010: 0x13121110 0x17161514');
    expect(await monitor.execute('xp/4x 0xffff0')).toContain('outside guest memory');
    expect(await monitor.execute('xp/4q 0')).toContain("bad format '/4q'");
  });

  it('prints expressions, selects vCPUs and lists them', async () => {
    const { vm, monitor } = hmp();
    expect(await monitor.execute('p $rsp')).toBe('0x0000000000000004');
    expect(await monitor.execute('print /d $rsp - 5')).toBe('-1');
    expect(await monitor.execute('cpu 1')).toBe('');
    expect(await monitor.execute('p $rip')).toBe('0xffffffff81000000');
    expect(await monitor.execute('cpu 2')).toBe('cpu: give a vCPU from 0 to 1');
    vm.state = 'paused';
    expect(await monitor.execute('info cpus')).toBe('  CPU #0: running rip=0x0000000000401000 last exit VMCALL\n* CPU #1: running rip=0xffffffff81000000 last exit VMCALL');
    expect(await monitor.execute('info status')).toBe('VM status: paused, up 1.2 s');
    vm.state = 'running';
    vm.heldByDebugger = true; // gdb or the TUI's Ctrl-P stopped every vCPU
    expect(await monitor.execute('info status')).toBe('VM status: paused (debug), up 1.2 s');
  });

  it('stops and continues the VM, and shows exits by SDM name and number', async () => {
    const { vm, monitor } = hmp();
    await monitor.execute('stop');
    expect(vm.state).toBe('paused');
    await monitor.execute('c');
    expect(vm.state).toBe('running');
    vm.counts[0]![ExitReason.VMCALL] = 2;
    vm.counts[1]![ExitReason.VMCALL] = 5;
    expect(await monitor.execute('info exits')).toMatch(/^VMCALL \(18\)\s+7\s+2\s+5$/m);
  });

  it('answers one line for what waits for the CPU model, and for unknown commands', async () => {
    const { monitor } = hmp();
    for (const command of ['info vmcs', 'info tlb', 'info mem', 'info lapic', 'info trace', 'info ioports', 'info msrs', 'x/3i $rip', 'system_reset', 'nmi', 'memwrite 0x1000 5']) {
      expect(await monitor.execute(command), command).toMatch(/^[\w /]+: not available in this build \(the CPU model does not publish that state yet\)$/);
    }
    expect(await monitor.execute('frob')).toBe("unknown command: 'frob' (help lists the commands)");
    expect(await monitor.execute('info frob')).toContain("no such subcommand 'frob'");
    expect(await monitor.execute('help x')).toContain('x /NFU ADDR');
  });
});
