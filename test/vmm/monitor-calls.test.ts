/**
 * The monitor's debugger calls on the real guest kernel, checked against what the kernel builds
 * (guest/kernel: gdt.c, trap.c, vm.c, apic.c, layout.h): segment caches and descriptor tables,
 * the VMCS view, page mappings, the local APIC, disassembly, memory writes the guest then sees,
 * the exit trace and the port and MSR breakdowns, NMI injection — while the guest runs, is
 * paused, and spins at CPL 3; and that the debugger's own exits stay out of the counts and trace.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpa } from '../../vmm/hw/address.js';
import { EXIT_REASON_COUNT, ExitReason } from '../../shell-protocol/exit-reasons.js';
import { testImage } from '../../scripts/build-image.js';
import { Hmp } from '../../tui/monitor/hmp.js';
import { debuggerFor } from '../../vmm/debug/debugger.js';
import { SegAttr } from '../../vmm/hw/state.js';
import { TRACE_ENTRIES } from '../../vmm/exit-stats.js';
import { type AccessBreakdownRow, type PageMapping, PageMappingFlags } from '../../vmm/monitor-api.js';
import { DEFAULT_KERNEL } from '../../vmm/vm/images.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { iced } from '../cpu/iced.js';
import { parseElf64 } from '../../vmm/vm/elf.js';
import { GuestConsole } from '../support/guest-console.js';

// guest/kernel/layout.h and kernel.h.
const KERNEL_VMA = 0xffff_ffff_8000_0000n;
const DIRECT_MAP = 0xffff_8880_0000_0000n;
const GDT_ENTRIES = 10;
const GDT_KERNEL_CS = 0x10;
const GDT_USER_CS = 0x33;
const GDT_TSS = 0x40;
const VECTOR_APIC_TIMER = 0xec;
const MSR_APIC_BASE = 0x1b;
const COM1 = 0x3f8;

const VCPUS = 2;
const MEMORY = 64 * 2 ** 20;
const symbols = parseElf64(readFileSync(DEFAULT_KERNEL.replace(/kernel$/, 'kernel.elf'))).symbols;
const sym = (name: string): bigint => {
  const value = symbols.get(name);
  if (value === undefined) throw new Error(`no symbol ${name} in kernel.elf`);
  return value;
};

let vm: Vm;
let console1: GuestConsole;

beforeAll(async () => {
  vm = createVm({ vcpus: VCPUS, memoryBytes: MEMORY, logLevel: 'warn' });
  console1 = new GuestConsole(vm.com1);
  vm.start();
  await console1.waitFor('~ # ', 30_000);
}, 40_000);

afterAll(async () => {
  await vm.stop();
});

/** Waits until `condition` holds, for at most `ms`. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Runs a command at the shell prompt and waits for the next prompt; the text in between. */
async function shell(command: string): Promise<string> {
  const from = console1.text().length;
  await console1.type(`${command}\n`);
  const text = await console1.waitFor(/~ # $/, 10_000, from);
  return text;
}

/**
 * Pause the VM and wait until no vCPU exits any more: their exit counts stay the same for longer
 * than the VMM's 50 ms slice, within which a vCPU still running would have exited.
 */
async function pauseSettled(): Promise<void> {
  vm.pause();
  const totals = (): string => Array.from({ length: VCPUS }, (_, v) => vm.exitCounts(v).reduce((a, b) => a + b, 0)).join();
  for (let before = totals(); ;) {
    await new Promise((resolve) => setTimeout(resolve, 80));
    const now = totals();
    if (now === before) return;
    before = now;
  }
}

const dpl = (accessRights: number): number => (accessRights >> SegAttr.DPL_SHIFT) & 3;

describe('the monitor calls on the guest kernel', () => {
  it('show each vCPU\'s segment caches and descriptor tables as the kernel loaded them', () => {
    for (let v = 0; v < VCPUS; v++) {
      const full = vm.debug.fullRegisters(v);
      const cs = full.segments.cs;
      expect([GDT_KERNEL_CS, GDT_USER_CS]).toContain(cs.selector);
      // A 64-bit code segment: present, code (type bit 3, S), L set, D clear, DPL = RPL = CPL.
      expect(cs.accessRights & (SegAttr.P | SegAttr.S | SegAttr.CODE | SegAttr.L | SegAttr.DB)).toBe(SegAttr.P | SegAttr.S | SegAttr.CODE | SegAttr.L);
      expect(dpl(cs.accessRights)).toBe(cs.selector & 3);
      expect(full.cpl).toBe(cs.selector & 3);
      expect(cs.base).toBe(0n);
      // gdt.c: ten 8-byte entries per CPU; trap.c: 256 16-byte gates.
      expect(full.gdtr.limit).toBe(GDT_ENTRIES * 8 - 1);
      expect(full.idtr.limit).toBe(256 * 16 - 1);
      expect(full.gdtr.base).toBeGreaterThanOrEqual(DIRECT_MAP); // kmalloc'd per-CPU data
      // The GDT in guest memory holds the descriptor the CS cache came from (gdt.c: 0x00af9a000000ffff, maybe accessed).
      const gdt = new DataView(vm.debug.readVirtual(v, full.gdtr.base, GDT_ENTRIES * 8).buffer);
      expect(gdt.getBigUint64(GDT_KERNEL_CS, true) & ~(1n << 40n)).toBe(0x00af9a000000ffffn);
      // TR: the per-CPU 64-bit TSS (busy), its limit as the descriptor gives it.
      const tr = full.segments.tr;
      expect(tr.selector).toBe(GDT_TSS);
      expect(tr.accessRights & (SegAttr.P | SegAttr.TYPE)).toBe(SegAttr.P | 11);
      const tss = gdt.getBigUint64(GDT_TSS, true);
      expect(tr.limit).toBe(Number((tss & 0xffffn) | (((tss >> 48n) & 0xfn) << 16n)));
      expect(full.debugRegisters).toHaveLength(6);
      expect(full.debugRegisters[5]! & 0x400n).toBe(0x400n); // DR7 bit 10 reads as 1
      expect(full.cr3).toBe(vm.registers(v).cr3);
    }
  });

  it('give CR3 from the snapshot: its kernel half is the kernel\'s PML4', () => {
    const kernelPml4 = new DataView(vm.debug.readVirtual(0, sym('kernel_pml4_phys'), 8).buffer).getBigUint64(0, true);
    for (let v = 0; v < VCPUS; v++) {
      const cr3 = vm.debug.fullRegisters(v).cr3 & ~0xfffn;
      expect(cr3).not.toBe(0n);
      expect(vm.debug.readPhysical(cr3 + 2048n, 2048)).toEqual(vm.debug.readPhysical(kernelPml4 + 2048n, 2048));
    }
  });

  it('show the VMCS fields by their SDM encodings, agreeing with the registers', () => {
    const fields = new Map(vm.debug.vmcs(0).map((f) => [f.encoding, f]));
    const full = vm.debug.fullRegisters(0);
    expect(fields.get(0x0802)).toMatchObject({ name: 'GUEST_CS_SELECTOR', value: BigInt(full.segments.cs.selector) });
    expect(fields.get(0x4816)).toMatchObject({ name: 'GUEST_CS_AR_BYTES', value: BigInt(full.segments.cs.accessRights) });
    expect(fields.get(0x4810)).toMatchObject({ name: 'GUEST_GDTR_LIMIT', value: BigInt(GDT_ENTRIES * 8 - 1) });
    expect(fields.get(0x6802)).toMatchObject({ name: 'GUEST_CR3', value: full.cr3 });
    // CR0: the VMM owns PE, PG and NE (exits/cr.ts) and forces NE on.
    const mask = fields.get(0x6000)!.value;
    expect(mask & 0x8000_0021n).toBe(0x8000_0021n);
    expect(fields.get(0x6800)!.value & 0x20n).toBe(0x20n);
    // HLT exiting and MSR bitmaps in the primary processor-based controls.
    expect(fields.get(0x4002)!.value & ((1n << 7n) | (1n << 28n))).toBe((1n << 7n) | (1n << 28n));
    expect(fields.get(0x4402)!.value).toBeLessThan(BigInt(EXIT_REASON_COUNT));
    const encodings = [...fields.keys()];
    expect(encodings).toEqual([...encodings].sort((a, b) => a - b));
  });

  it('list the mappings: the direct map in one run, the kernel image with its sections\' rights', () => {
    const mappings = vm.debug.mappings(0);
    const at = (virtual: bigint): PageMapping | undefined => mappings.find((m) => virtual >= m.virtual && virtual < m.virtual + m.length);
    const { PRESENT, WRITABLE, USER, NO_EXECUTE } = PageMappingFlags;
    // vm.c: all RAM at DIRECT_MAP in 2 MiB pages, read/write, no execute: one run.
    expect(mappings).toContainEqual({ virtual: DIRECT_MAP, physical: 0n, length: BigInt(MEMORY), flags: PRESENT | WRITABLE | NO_EXECUTE });
    // The kernel image at KERNEL_VMA + its physical address: text read-only executable, rodata NX, data writable.
    const text = at(sym('__text_start'));
    expect(text).toBeDefined();
    expect(text!.flags).toBe(PRESENT);
    expect(text!.physical - (text!.virtual - KERNEL_VMA)).toBe(0n);
    expect(at(sym('__rodata_start'))!.flags).toBe(PRESENT | NO_EXECUTE);
    expect(at(sym('__data_start'))!.flags).toBe(PRESENT | WRITABLE | NO_EXECUTE);
    // Runs are in ascending order and never overlap.
    for (let i = 1; i < mappings.length; i++) expect(mappings[i]!.virtual).toBeGreaterThanOrEqual(mappings[i - 1]!.virtual + mappings[i - 1]!.length);
    expect(mappings.every((m) => (m.flags & USER) === 0 || m.virtual < 1n << 47n)).toBe(true);
  });

  it('show the local APIC the kernel programmed', () => {
    for (let v = 0; v < VCPUS; v++) {
      const lapic = vm.debug.lapic(v);
      expect(lapic.id).toBe(v);
      expect(lapic.lvtTimer & 0xff).toBe(VECTOR_APIC_TIMER);
      expect(lapic.ppr).toBeGreaterThanOrEqual(lapic.tpr);
      expect(lapic.irr.every((vector) => vector >= 16 && vector < 256)).toBe(true);
    }
  });

  it('disassemble at RIP as iced-x86 does the same bytes, while paused', () => {
    vm.pause();
    try {
      const rip = vm.registers(0).rip;
      const listing = vm.debug.disassemble(0, rip, 3);
      expect(listing).toHaveLength(3);
      const bytes = vm.debug.readVirtual(0, rip, listing.reduce((n, i) => n + i.bytes.length, 0));
      const decoder = new iced.Decoder(64, bytes, iced.DecoderOptions.None);
      decoder.ip = rip;
      const formatter = new iced.Formatter(iced.FormatterSyntax.Gas);
      formatter.uppercaseHex = false;
      formatter.branchLeadingZeros = false;
      let offset = 0;
      for (const insn of listing) {
        const reference = decoder.decode();
        expect(insn.address).toBe(reference.ip);
        expect(insn.bytes).toEqual(bytes.subarray(offset, offset + reference.length));
        expect(insn.text).toBe(formatter.format(reference));
        offset += reference.length;
        reference.free();
      }
      decoder.free();
      formatter.free();
    } finally {
      vm.resume();
    }
  });

  it('write guest memory the guest then reads: uname shows the patched kernel name', async () => {
    // The kernel's name as uname copies it out (sys_proc.c, KERNEL_NAME), in its read-only rodata.
    const start = sym('__rodata_start');
    const rodata = vm.debug.readVirtual(0, start, Number(sym('__data_start') - start));
    const name = Buffer.from('ymir-guest\0');
    const found: bigint[] = [];
    for (let at = Buffer.from(rodata).indexOf(name); at >= 0; at = Buffer.from(rodata).indexOf(name, at + 1)) found.push(start + BigInt(at));
    expect(found.length).toBeGreaterThan(0);
    expect(await shell('uname')).toContain('ymir-guest ymir 0.1.0');
    for (const at of found) vm.debug.writeVirtual(1, at, Buffer.from('ymir-patch'));
    expect(await shell('uname')).toContain('ymir-patch ymir 0.1.0');
    // A physical write reads back through the direct map.
    const physical = found[0]! - KERNEL_VMA;
    vm.debug.writePhysical(physical, Buffer.from('ymir-guest'));
    expect(Buffer.from(vm.debug.readVirtual(0, DIRECT_MAP + physical, 10)).toString()).toBe('ymir-guest');
    expect(await shell('uname')).toContain('ymir-guest ymir 0.1.0');
  }, 30_000);

  it('refuse what is out of range, writing nothing', () => {
    expect(() => vm.debug.fullRegisters(VCPUS)).toThrow(RangeError);
    expect(() => vm.debug.lapic(-1)).toThrow(RangeError);
    expect(() => vm.debug.exitTrace(0, 0)).toThrow(RangeError);
    expect(() => vm.debug.disassemble(0, 0n, 0)).toThrow(RangeError);
    expect(() => vm.debug.injectNmi(1.5)).toThrow(RangeError);
    const end = BigInt(MEMORY);
    const before = vm.debug.readPhysical(end - 4n, 4);
    expect(() => vm.debug.writePhysical(end - 4n, new Uint8Array(8).fill(0xaa))).toThrow(RangeError);
    expect(vm.debug.readPhysical(end - 4n, 4)).toEqual(before);
    // The direct map ends with RAM: a write across its end names the first unmapped byte.
    const last = DIRECT_MAP + end - 4n;
    const mapped = vm.debug.readVirtual(0, last, 4);
    expect(() => vm.debug.writeVirtual(0, last, new Uint8Array(8).fill(0xaa))).toThrow(`0x${(DIRECT_MAP + end).toString(16)} is not mapped`);
    expect(vm.debug.readVirtual(0, last, 4)).toEqual(mapped);
    expect(() => vm.debug.disassemble(0, 0x10n, 1)).toThrow(RangeError); // user page 0 is never mapped
  });

  it('trace the last exits of each vCPU, consistent with the exit counts, timed once asked for', async () => {
    vm.debug.exitTrace(0, 1); // switches exit timing on
    const since = vm.uptimeMs();
    await shell('uname');
    await pauseSettled();
    try {
      let timedExits = 0;
      for (let v = 0; v < VCPUS; v++) {
        const trace = vm.debug.exitTrace(v, TRACE_ENTRIES);
        const counts = vm.exitCounts(v);
        // Counted and traced as each exit begins: the one the vCPU is paused in is there too, untimed.
        expect(trace.length).toBe(Math.min(TRACE_ENTRIES, counts.reduce((a, b) => a + b, 0)));
        expect(trace.at(-1)!.handlingNs).toBeUndefined();
        const perReason = new Array<number>(EXIT_REASON_COUNT).fill(0);
        for (const r of trace) perReason[r.reason]!++;
        perReason.forEach((n, reason) => expect(n, `reason ${reason}`).toBeLessThanOrEqual(counts[reason]!));
        // An idle vCPU may sleep in HLT all along: its records are the ones before.
        const timed = trace.filter((r) => r.timeMs !== undefined && r.timeMs >= since);
        timedExits += timed.length;
        for (let i = 1; i < timed.length; i++) expect(timed[i]!.timeMs!).toBeGreaterThanOrEqual(timed[i - 1]!.timeMs!);
        expect(timed.slice(0, -1).every((r) => r.handlingNs! >= 0 && r.timeMs! <= vm.uptimeMs())).toBe(true);
        expect(vm.debug.exitTrace(v, 5)).toEqual(trace.slice(-5));
      }
      expect(timedExits).toBeGreaterThan(0);
      // The BSP's serial output: OUT to COM1's THR in its trace, with port 0x3f8 in the qualification.
      const io = vm.debug.exitTrace(0, TRACE_ENTRIES).concat(vm.debug.exitTrace(1, TRACE_ENTRIES)).filter((r) => r.reason === ExitReason.IO_INSTRUCTION);
      expect(io.some((r) => r.qualification >> 16n === BigInt(COM1) && (r.qualification & 8n) === 0n)).toBe(true);
    } finally {
      vm.resume();
    }
  }, 20_000);

  it('break I/O exits down by port and MSR exits by MSR, as many as were counted', async () => {
    await pauseSettled();
    try {
      const total = (reasons: readonly number[]): number => Array.from({ length: VCPUS }, (_, v) => vm.exitCounts(v)).reduce((n, counts) => n + reasons.reduce((m, r) => m + counts[r]!, 0), 0);
      const sum = (rows: readonly AccessBreakdownRow[]): number => rows.reduce((n, r) => n + r.reads + r.writes, 0);
      const ports = vm.debug.ioPortBreakdown();
      expect(sum(ports)).toBe(total([ExitReason.IO_INSTRUCTION]));
      // The guest's console: OUT to COM1's THR, IN from its LSR before that.
      expect(ports.find((r) => r.target === COM1)?.writes).toBeGreaterThan(0);
      expect(ports.find((r) => r.target === COM1 + 5)?.reads).toBeGreaterThan(0);
      expect(ports.map((r) => r.target)).toEqual([...ports.map((r) => r.target)].sort((a, b) => a - b));
      const msrs = vm.debug.msrBreakdown();
      expect(sum(msrs)).toBe(total([ExitReason.MSR_READ, ExitReason.MSR_WRITE]));
      // apic.c: each CPU writes IA32_APIC_BASE to enter x2APIC mode.
      expect(msrs.find((r) => r.target === MSR_APIC_BASE)?.writes).toBeGreaterThanOrEqual(VCPUS);
      // The MSRs the CPU handles itself (EFER, GS base: initMsrBitmap) never exit.
      expect(msrs.find((r) => r.target === 0xc0000080 || r.target === 0xc0000101)).toBeUndefined();
    } finally {
      vm.resume();
    }
  });

  it('answer while the guest spins at CPL 3, and inject an NMI the kernel reports', async () => {
    const from = console1.text().length;
    await console1.type('spin\n');
    await console1.waitFor('spin: running', 10_000, from);
    await until(() => Array.from({ length: VCPUS }, (_, v) => vm.debug.fullRegisters(v).segments.cs.selector).includes(GDT_USER_CS));
    const spinning = Array.from({ length: VCPUS }, (_, v) => v).find((v) => vm.debug.fullRegisters(v).segments.cs.selector === GDT_USER_CS);
    expect(spinning).toBeDefined();
    const full = vm.debug.fullRegisters(spinning!);
    expect(full.cpl).toBe(3);
    expect(dpl(full.segments.cs.accessRights)).toBe(3);
    expect(vm.debug.disassemble(spinning!, full.rip, 2)).toHaveLength(2);
    vm.debug.injectNmi(spinning!);
    await console1.waitFor(`Uhhuh. NMI received on CPU ${spinning}`, 10_000, from);
    await console1.paste('\x03');
    await console1.waitFor(/~ # $/, 10_000, from);
  }, 30_000);

  it('answer the human monitor\'s info registers, info lapic, info vmcs, x/3i and nmi', async () => {
    const hmp = new Hmp(vm, 'test');
    const registers = await hmp.execute('info registers');
    expect(registers).toMatch(new RegExp(`^GDT= {5}[0-9a-f]{16} ${(GDT_ENTRIES * 8 - 1).toString(16).padStart(8, '0')}$`, 'm'));
    expect(registers).toMatch(/^IDT= {5}[0-9a-f]{16} 00000fff$/m);
    expect(registers).toMatch(/^CS =00(10|33) 0000000000000000 [0-9a-f]{8} 0a[0-9a-f]{3}$/m);
    expect(registers).toMatch(/^TR =0040 /m);
    expect(registers).toMatch(/DR7=0000000000000400/);
    expect(await hmp.execute('info lapic')).toMatch(/^APIC ID 0 {2}TPR 0x[0-9a-f]+ {2}PPR 0x[0-9a-f]+\n.*\n.*\nLVT timer 0x000[01]00ec/);
    expect(await hmp.execute('info vmcs')).toMatch(/^0802 GUEST_CS_SELECTOR +00000000000000(10|33)$/m);
    const listing = (await hmp.execute('x/3i $rip')).split('\n');
    expect(listing).toHaveLength(3);
    for (const line of listing) expect(line).toMatch(/^0x[0-9a-f]{16}: ([0-9a-f]{2} )+ *\S/);
    expect(await hmp.execute('info ioports')).toMatch(/^0x03f8 +\d+ +[1-9]\d*$/m);
    expect(await hmp.execute('info msrs')).toMatch(/^0x0000001b +\d+ +[1-9]\d*$/m);
    expect(await hmp.execute('info trace 3')).toMatch(/^ +[\d.]+ +[01] \w+ \(\d+\) +0x[0-9a-f]{16} 0x[0-9a-f]{16} \d+ ns$/m);
    expect(await hmp.execute('info tlb')).toContain('ffff888000000000: 0000000000000000 04000000 -rw-');
    const original = (await hmp.execute('xp/1xg 0x1000')).split(' ')[1]!;
    expect(await hmp.execute('pmemwrite 0x1000 0x1122334455667788')).toBe('');
    expect(await hmp.execute('xp/1xg 0x1000')).toBe('0000000000001000: 0x1122334455667788');
    expect(await hmp.execute(`pmemwrite 0x1000 ${original}`)).toBe('');
    const from = console1.text().length;
    expect(await hmp.execute('nmi')).toBe('');
    await console1.waitFor('Uhhuh. NMI received on CPU 0', 10_000, from);
  }, 20_000);

  // Last: it boots the guest again.
  it('reset the platform: RAM loaded again, every vCPU booted again, the console kept', async () => {
    const rodata = sym('__rodata_start');
    const text = Buffer.from(vm.debug.readVirtual(0, rodata, Number(sym('__data_start') - rodata)));
    const name = rodata + BigInt(text.indexOf('ymir-guest\0'));
    vm.debug.writeVirtual(0, name, Buffer.from('ymir-patch'));
    expect(await shell('uname')).toContain('ymir-patch');
    const sequences = Array.from({ length: VCPUS }, (_, v) => vm.registers(v).sequence);
    const counted = vm.exitCounts(0).reduce((a, b) => a + b, 0);
    const from = console1.text().length;
    expect(await new Hmp(vm, 'test').execute('system_reset')).toBe('');
    await console1.waitFor(/smpboot: Booting Node 0 Processor 1[\s\S]*~ # $/, 30_000, from);
    expect(await shell('uname')).toContain('ymir-guest ymir 0.1.0');
    for (let v = 0; v < VCPUS; v++) expect(vm.registers(v).sequence).toBeGreaterThan(sequences[v]!);
    expect(vm.exitCounts(0).reduce((a, b) => a + b, 0)).toBeGreaterThan(counted); // counted on across the reset
    expect(vm.debug.fullRegisters(1).gdtr.limit).toBe(GDT_ENTRIES * 8 - 1); // the AP is back in long mode
  }, 60_000);

  it('reset a paused VM, which boots again only once resumed', async () => {
    vm.pause();
    const from = console1.text().length;
    vm.debug.systemReset();
    vm.debug.systemReset(); // one reset at a time: the second is the same reset
    await until(() => Array.from({ length: VCPUS }, (_, v) => vm.runState(v)).join() === 'running,not-started', 5000);
    expect(vm.runState(1)).toBe('not-started');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(console1.text().length).toBe(from); // paused: nothing printed
    vm.resume();
    await console1.waitFor(/smpboot: Booting Node 0 Processor 1[\s\S]*~ # $/, 30_000, from);
    expect(console1.text().slice(from).match(/smpboot: Booting Node 0 Processor 1/g)).toHaveLength(1);
  }, 60_000);
});

describe('the monitor and the debugger', () => {
  it('neither counts nor traces the debugger\'s own exits (its stops, steps and breakpoints)', async () => {
    const image = testImage('debug-loop');
    const loop = parseElf64(readFileSync(image)).symbols;
    const debugged = createVm({ vcpus: 1, kernel: image, initrd: '' });
    try {
      const console2 = new GuestConsole(debugged.com1);
      debugged.start();
      await console2.waitFor('debug-loop up\n');
      const dbg = debuggerFor(debugged);
      await dbg.interrupt();
      for (let n = 0; n < 20; n++) expect(await dbg.step(0)).toEqual({ kind: 'step', vcpu: 0 });
      dbg.addBreakpoint('software', loop.get('bump')!, 1);
      expect((await dbg.continue()).kind).toBe('breakpoint');
      // The monitor sees the guest's bytes, as gdb does: the INT3 under them stays.
      const bump = loop.get('bump')!;
      const raw = (): number => debugged.shared.memory.read8(gpa(Number(bump))); // identity-mapped image
      const original = debugged.debug.readPhysical(bump, 1)[0]!;
      expect(raw()).toBe(0xcc);
      expect(original).not.toBe(0xcc);
      expect(debugged.debug.readVirtual(0, bump, 1)[0]).toBe(original);
      expect(debugged.debug.disassemble(0, bump, 1)[0]!.text).not.toBe('int3');
      debugged.debug.writeVirtual(0, bump, Uint8Array.of(original));
      expect(raw()).toBe(0xcc);
      const counts = debugged.exitCounts(0);
      const reasons = new Set(debugged.debug.exitTrace(0, TRACE_ENTRIES).map((r) => r.reason));
      for (const reason of [ExitReason.MONITOR_TRAP_FLAG, ExitReason.EXCEPTION_NMI]) {
        expect(counts[reason], `count of ${reason}`).toBe(0);
        expect(reasons.has(reason), `trace of ${reason}`).toBe(false);
      }
      // A reset would take RAM and the parked vCPUs from under the debugger.
      expect(() => debugged.debug.systemReset()).toThrow('a debugger is attached: detach it first');
    } finally {
      await debugged.stop();
    }
  }, 30_000);
});

describe('a platform reset', () => {
  it('gives way to a stop asked while it is under way, and does nothing to a VM not started', async () => {
    const image = testImage('debug-loop');
    const machine = createVm({ vcpus: 2, kernel: image, initrd: '' });
    machine.debug.systemReset(); // created: nothing to reset
    expect(machine.state).toBe('created');
    const console2 = new GuestConsole(machine.com1);
    machine.start();
    await console2.waitFor('debug-loop up\n');
    machine.debug.systemReset();
    expect(await machine.stop()).toEqual({ kind: 'host-stop' });
    expect(machine.state).toBe('stopped');
    machine.debug.systemReset(); // stopped: nothing to reset
  }, 30_000);
});
