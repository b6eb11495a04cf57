import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { DisSyntax } from '../../shell-protocol/constants.js';
import { gpa } from '../../vmm/hw/address.js';
import { disassembleBytes } from '../../vmm/services/disassemble.js';
import { type Booted, bootWithServer, runGdb } from './gdb-session.js';

type Iced = typeof import('iced-x86');
const iced = createRequire(import.meta.url)('iced-x86') as Iced;

let booted: Booted | undefined;
afterEach(async () => {
  await booted?.server.close();
  await booted?.vm.stop();
  booted = undefined;
});

async function boot(options: { vcpus?: number; wait?: boolean } = {}): Promise<Booted> {
  booted = await bootWithServer('debug-loop', options);
  if (options.wait !== true) await booted.console.waitFor('debug-loop up\n');
  return booted;
}

/** Guest code as the VMM's iced-x86 formats it (the image is identity-mapped: linear = physical). */
function icedInstructions(b: Booted, address: bigint, count: number): { address: bigint; length: number; text: string }[] {
  const dis = disassembleBytes(b.vm.shared.memory.slice(gpa(address), count * 15), { address, count, syntax: DisSyntax.ATT });
  return (dis?.instructions ?? []).map((i) => ({ address: i.address, length: i.bytes.length, text: i.text }));
}

/** `print/x $pc` values in order. */
function printedValues(output: string): bigint[] {
  return [...output.matchAll(/^\$\d+ = (0x[0-9a-f]+|\d+)$/gm)].map((m) => BigInt(m[1]!));
}

describe('gdb against the VM', () => {
  it('breaks at a function and shows its frames, the CR3 and the code at RIP as iced-x86 decodes it', async () => {
    const b = await boot();
    const { output } = await runGdb(b, ['break bump', 'continue', 'bt', 'info registers', 'x/3i $pc']);
    expect(output).toMatch(/Breakpoint 1, bump \(step=/);
    const frames = [...output.matchAll(/^#(\d+) +(?:0x[0-9a-f]+ in )?(\w+) /gm)].map((m) => m[2]);
    expect(frames).toEqual(['bump', 'level2', 'level1', 'bare_main', 'long_entry']);
    const cr3 = /^cr3 +0x([0-9a-f]+)/m.exec(output);
    expect(BigInt(`0x${cr3?.[1] ?? 'none'}`)).toBe(b.symbol('pml4'));
    const rip = /^rip +0x([0-9a-f]+)/m.exec(output);
    expect(BigInt(`0x${rip?.[1] ?? 'none'}`)).toBe(b.symbol('bump'));
    // x/3i: the same three instructions, at the same addresses, as iced-x86 prints them.
    // gdb shows a RIP-relative operand as DISP(%rip) with the target in a comment, iced-x86 as the target.
    const shown = [...output.matchAll(/^(?:=>)? +0x([0-9a-f]+) <[^>]*>:\t(.*)$/gm)].map((m) => {
      const target = /# (0x[0-9a-f]+)/.exec(m[2]!)?.[1];
      const text = m[2]!.replace(/#.*$/, '').replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
      return { address: BigInt(`0x${m[1]!}`), text: target === undefined ? text : text.replace(/-?0x[0-9a-f]+\(%rip\)/, target) };
    });
    const expected = icedInstructions(b, b.symbol('bump'), 3);
    expect(shown).toEqual(expected.map((i) => ({ address: i.address, text: i.text.replace(/\s+/g, ' ') })));
  });

  it('stops at a higher-half kernel function set from the first instruction, before paging maps it', async () => {
    for (const command of ['break kmain', 'hbreak kmain']) {
      booted = await bootWithServer('kernel', { wait: true });
      const { output } = await runGdb(booted, ['print/x $pc', 'print/x $cr0', command, 'continue', 'bt', 'print/x $pc', 'print/x $cr0']);
      const [entryPc, entryCr0, stopPc, stopCr0] = printedValues(output);
      expect(entryPc, output).toBe(booted.symbol('multiboot_entry'));
      expect(entryCr0! & (1n << 31n)).toBe(0n); // paging off: kmain's page was mapped by no table
      expect(output).toMatch(/^#0 +kmain \(/m);
      expect(stopPc).toBe(booted.symbol('kmain'));
      expect(stopCr0! & (1n << 31n)).not.toBe(0n);
      await booted.server.close();
      await booted.vm.stop();
      booted = undefined;
    }
  });

  it('advances RIP by each instruction\'s length with stepi', async () => {
    const b = await boot();
    const { output } = await runGdb(b, ['break bump', 'continue', 'delete', 'print/x $pc', 'stepi', 'print/x $pc', 'stepi', 'print/x $pc', 'stepi', 'print/x $pc']);
    const pcs = printedValues(output);
    const insns = icedInstructions(b, b.symbol('bump'), 3);
    expect(pcs).toEqual([insns[0]!.address, insns[1]!.address, insns[2]!.address, insns[2]!.address + BigInt(insns[2]!.length)]);
  });

  it('stops a watchpoint right after the instruction that writes the variable', async () => {
    const b = await boot();
    const counter = b.symbol('counter');
    const { output } = await runGdb(b, ['watch counter', 'continue', 'print/x $pc', 'continue', 'print/x $pc']);
    expect(output).toContain('Hardware watchpoint 1: counter');
    expect(output).toMatch(/Old value = \d+\s+New value = \d+/);
    const pcs = printedValues(output);
    expect(pcs).toHaveLength(2);
    // Decode bump from its start: the instruction that ends at the stop writes `counter`.
    const insns = icedInstructions(b, b.symbol('bump'), 8);
    for (const pc of pcs) {
      const writer = insns.find((i) => i.address + BigInt(i.length) === pc);
      expect(writer).toBeDefined();
      const bytes = b.vm.shared.memory.slice(gpa(writer!.address), writer!.length);
      const decoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
      decoder.ip = writer!.address;
      const insn = decoder.decode();
      const info = new iced.InstructionInfoFactory().info(insn);
      const writes = (info.usedMemory() as InstanceType<Iced['UsedMemory']>[]).filter((m) => m.access === iced.OpAccess.Write).map((m) => m.displacement);
      expect(writes).toContain(counter);
    }
  });

  it('stops at a hardware breakpoint and at read and access watchpoints', async () => {
    const b = await boot();
    const { output } = await runGdb(b, [
      'hbreak level2', 'continue', 'print/x $pc', 'delete',
      'rwatch counter', 'continue', 'print/x $pc', 'delete',
      'awatch counter', 'continue', 'print/x $pc',
    ]);
    expect(output).toContain('Hardware assisted breakpoint 1 at');
    expect(output).toMatch(/Breakpoint 1, level2 \(/);
    expect(output).toMatch(/Hardware read watchpoint 2: counter\s+Value = \d+/);
    expect(output).toMatch(/Hardware access \(read\/write\) watchpoint 3: counter\s+Old value = \d+\s+New value = \d+/);
    // bump: mov rax, [counter] (7 bytes, the read); add rax, rdi (3); mov [counter], rax (7, the write,
    // the next access after the read watchpoint's stop).
    const bump = b.symbol('bump');
    expect(printedValues(output)).toEqual([b.symbol('level2'), bump + 7n, bump + 17n]);
  });

  it('stops every vCPU on Ctrl-C', async () => {
    const b = await boot({ vcpus: 3 });
    const read = ['print ap_counters[1]', 'print ap_counters[2]'];
    const { output } = await runGdb(b, ['continue', 'info threads', ...read, 'shell sleep 0.3', ...read], { interrupt: true });
    expect(output).toMatch(/received signal SIGINT, Interrupt\./);
    const threads = [...output.matchAll(/^\*? +(\d+) +Thread \d+ \(vCPU (\d+)\)/gm)].map((m) => Number(m[2]));
    expect(threads).toEqual([0, 1, 2]);
    const [ap1, ap2, ap1Later, ap2Later] = printedValues(output);
    expect(ap1).toBeGreaterThan(0n);
    expect(ap2).toBeGreaterThan(0n);
    // Stopped: nothing moves while gdb sleeps.
    expect(ap1Later).toBe(ap1);
    expect(ap2Later).toBe(ap2);
  });

  it('leaves the guest running without its breakpoints when gdb detaches', async () => {
    const b = await boot();
    const bump = b.symbol('bump');
    const original = b.vm.shared.memory.read8(gpa(bump));
    const { output } = await runGdb(b, ['break bump', 'watch counter', 'continue', 'detach']);
    expect(output).toContain('[Inferior 1 (Remote target) detached]');
    expect(b.vm.state).toBe('running');
    expect(b.server.debugger.state).toBe('running');
    expect(b.vm.shared.memory.read8(gpa(bump))).toBe(original);
    const before = b.vm.shared.memory.read64(gpa(b.symbol('counter')));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.vm.shared.memory.read64(gpa(b.symbol('counter')))).toBeGreaterThan(before);
  });

  it('stops the VM with kill', async () => {
    const b = await boot();
    await runGdb(b, ['kill']);
    expect(await b.vm.waitForStop()).toEqual({ kind: 'host-stop' });
  });

  it('holds the VM before its first instruction until gdb continues it', async () => {
    const b = await boot({ wait: true });
    const { output } = await runGdb(b, ['print/x $pc', 'set var stop_requested = 1', 'continue']);
    expect(printedValues(output)).toEqual([b.symbol('_start')]);
    // Its writes reach the guest: the loop ends at once and the VM exits with its status.
    expect(output).toContain('[Inferior 1 (Remote target) exited with code 0132]');
    expect(await b.vm.waitForStop()).toEqual({ kind: 'debug-exit', status: 0x5a });
  });

  it('answers monitor commands from the monitor API\'s data', async () => {
    const b = await boot({ vcpus: 2 });
    const { output } = await runGdb(b, ['monitor regs', 'monitor exits', 'monitor info', 'monitor log 5', 'monitor nonsense\x1b[2J']);
    expect(output).toMatch(new RegExp(`cr3 0*${b.symbol('pml4').toString(16)}\\b`));
    expect(output).toMatch(/VM exits, 2 vCPUs:\n(?: {2}\w+ +\d+\n)*  MSR_WRITE +\d+/);
    expect(output).toContain('VM: 2 vCPUs, 64 MiB, running (stopped by the debugger)');
    expect(output).toContain("vCPU 0: VMLAUNCH at the kernel's entry point");
    // Guest- or user-supplied text is shown with its control characters spelled out.
    expect(output).toContain('unknown monitor command: nonsense\\x1b[2J');
  });
});
