import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { ProtectedRanges } from '../../vmm/ept.js';
import { gpa } from '../../vmm/hw/address.js';
import { EptPerm } from '../../vmm/hw/memory.js';
import { VmShared } from '../../vmm/shared.js';
import { type Debugger, debuggerFor } from '../../vmm/debug/debugger.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../../scripts/build-image.js';
import { parseElf64 } from '../../vmm/vm/elf.js';
import { GuestConsole } from '../support/guest-console.js';

let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});

const image = testImage('debug-loop');
const symbols = parseElf64(readFileSync(image)).symbols;
const sym = (name: string): bigint => {
  const value = symbols.get(name);
  if (value === undefined) throw new Error(`no symbol ${name}`);
  return value;
};

/** The guest booted into its loop (every AP started), then stopped by the debugger. */
async function boot(vcpus = 1): Promise<{ vm: Vm; dbg: Debugger }> {
  vm = createVm({ vcpus, kernel: image, initrd: '' });
  const console1 = new GuestConsole(vm.com1);
  vm.start();
  await console1.waitFor('debug-loop up\n');
  const dbg = debuggerFor(vm);
  await dbg.interrupt();
  return { vm, dbg };
}

const u64 = (bytes: Uint8Array): bigint => new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true);

describe('the debugger core', () => {
  it('stops every vCPU and shows each one\'s registers', async () => {
    const { dbg } = await boot(3);
    expect(dbg.state).toBe('stopped');
    for (let v = 0; v < 3; v++) {
      const r = dbg.registers(v);
      expect(r.mode).toBe(64);
      expect(r.cs).toBe(0x08);
      expect(r.cr3).toBe(sym('pml4'));
    }
  });

  it('stops at a software breakpoint with RIP on it, hides the INT3 from reads and steps off it', async () => {
    const { vm, dbg } = await boot();
    const bump = sym('bump');
    const before = dbg.readMemory(0, bump, 8);
    dbg.addBreakpoint('software', bump, 1);
    expect(vm.shared.memory.read8(gpa(bump))).toBe(0xcc);
    expect(dbg.readMemory(0, bump, 8)).toEqual(before);
    const stop = await dbg.continue();
    expect(stop).toEqual({ kind: 'breakpoint', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(bump);
    // Continuing steps off the breakpoint and hits it again on the next call.
    const counter = u64(dbg.readMemory(0, sym('counter'), 8));
    expect(await dbg.continue()).toEqual({ kind: 'breakpoint', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(bump);
    expect(u64(dbg.readMemory(0, sym('counter'), 8))).toBeGreaterThan(counter);
    expect(dbg.removeBreakpoint('software', bump, 1)).toBe(true);
    expect(vm.shared.memory.read8(gpa(bump))).toBe(before[0]);
    // The debugger's exits are not the guest's: none of them is counted.
    expect(vm.exitCounts(0)[ExitReason.EXCEPTION_NMI]).toBe(0);
    expect(vm.exitCounts(0)[ExitReason.MONITOR_TRAP_FLAG]).toBe(0);
  });

  it('steps one instruction by the monitor trap flag', async () => {
    const { dbg } = await boot();
    const bump = sym('bump');
    dbg.addBreakpoint('software', bump, 1);
    await dbg.continue();
    dbg.removeBreakpoint('software', bump, 1);
    const stop = await dbg.step(0);
    expect(stop).toEqual({ kind: 'step', vcpu: 0 });
    // bump's first instruction: mov rax, [rip+disp32] (7 bytes).
    expect(dbg.registers(0).rip).toBe(bump + 7n);
  });

  it('stops after the instruction that writes a watched variable, with its address', async () => {
    const { dbg } = await boot();
    const counter = sym('counter');
    dbg.addBreakpoint('write', counter, 8);
    const before = u64(dbg.readMemory(0, counter, 8));
    const stop = await dbg.continue();
    expect(stop).toEqual({ kind: 'watchpoint', vcpu: 0, watch: 'write', address: counter });
    expect(u64(dbg.readMemory(0, counter, 8))).not.toBe(before);
    // bump: mov rax, [counter]; add rax, rdi; mov [counter], rax  <- stopped after this one
    expect(dbg.registers(0).rip).toBe(sym('bump') + 7n + 3n + 7n);
  });

  it('writes registers and memory of a stopped vCPU', async () => {
    const { vm, dbg } = await boot();
    dbg.writeMemory(0, sym('stop_requested'), new Uint8Array([1, 0, 0, 0]));
    expect(await dbg.continue()).toEqual({ kind: 'vm-stopped', reason: { kind: 'debug-exit', status: 0x5a } });
    expect(vm.state).toBe('stopped');
  });

  it('leaves the guest running without breakpoints when it detaches', async () => {
    const { vm, dbg } = await boot();
    const bump = sym('bump');
    const original = vm.shared.memory.read8(gpa(bump));
    dbg.addBreakpoint('software', bump, 1);
    dbg.addBreakpoint('write', sym('counter'), 8);
    await dbg.detach();
    expect(dbg.state).toBe('running');
    expect(vm.shared.memory.read8(gpa(bump))).toBe(original);
    const at = Number(sym('counter'));
    const first = vm.shared.memory.read64(gpa(at));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(vm.shared.memory.read64(gpa(at))).not.toBe(first);
  });

  it('hides a stop from the guest\'s clock', async () => {
    const { vm, dbg } = await boot();
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const first = dbg.continue();
    await sleep(100);
    expect(await dbg.interrupt()).toEqual(await first);
    await sleep(1000);
    const second = dbg.continue();
    await sleep(200);
    expect(await dbg.interrupt()).toEqual({ kind: 'interrupt', vcpu: 0 });
    await second;
    // The longest gap the guest saw between two loop iterations, in TSC nanoseconds: not the second.
    const gap = u64(dbg.readMemory(0, sym('max_gap'), 8));
    expect(gap).toBeGreaterThan(0n);
    expect(Number(gap)).toBeLessThan(500e6);
    expect(vm.uptimeMs()).toBeLessThan(performance.now());
  });

  it('stops at a hardware breakpoint (EPT execute) before the instruction, with no byte of it changed', async () => {
    const { vm, dbg } = await boot();
    const level2 = sym('level2');
    const code = vm.shared.memory.slice(gpa(level2), 16).slice();
    dbg.addBreakpoint('hardware', level2, 1);
    expect(vm.shared.memory.slice(gpa(level2), 16)).toEqual(code);
    expect(await dbg.continue()).toEqual({ kind: 'hw-breakpoint', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(level2);
    // The guest ran code on the same page to get here (bare_main, level1): those were let through.
    const calls = u64(dbg.readMemory(0, sym('calls'), 8));
    expect(await dbg.continue()).toEqual({ kind: 'hw-breakpoint', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(level2);
    expect(u64(dbg.readMemory(0, sym('calls'), 8))).toBeGreaterThan(calls);
    expect(dbg.removeBreakpoint('hardware', level2, 1)).toBe(true);
    expect(vm.exitCounts(0)[ExitReason.EPT_VIOLATION]).toBe(0);
  });

  it('reports read and access watchpoints at the instruction that reads', async () => {
    const { dbg } = await boot();
    const counter = sym('counter');
    // bump: mov rax, [counter] (7 bytes) reads it first.
    dbg.addBreakpoint('read', counter, 8);
    expect(await dbg.continue()).toEqual({ kind: 'watchpoint', vcpu: 0, watch: 'read', address: counter });
    expect(dbg.registers(0).rip).toBe(sym('bump') + 7n);
    dbg.removeBreakpoint('read', counter, 8);
    // A watch on the byte after counter's eight: no access touches it, nothing stops.
    dbg.addBreakpoint('access', counter + 8n, 1);
    const running = dbg.continue();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dbg.state).toBe('running');
    expect(await dbg.interrupt()).toEqual({ kind: 'interrupt', vcpu: 0 });
    await running;
    dbg.removeBreakpoint('access', counter + 8n, 1);
    dbg.addBreakpoint('access', counter + 4n, 1);
    expect(await dbg.continue()).toEqual({ kind: 'watchpoint', vcpu: 0, watch: 'access', address: counter + 4n });
  });

  it('gives a stopped vCPU the registers the debugger writes', async () => {
    const { dbg } = await boot();
    dbg.addBreakpoint('software', sym('bump'), 1);
    await dbg.continue();
    dbg.removeBreakpoint('software', sym('bump'), 1);
    const counter = u64(dbg.readMemory(0, sym('counter'), 8));
    const before = dbg.registers(0);
    dbg.setRegister(0, 'rdi', 1000n);
    dbg.setRegister(0, 'cr2', 0x1234n);
    dbg.setRegister(0, 'cr0', before.cr0);
    dbg.setRegister(0, 'fs', 0x10n);
    expect(dbg.registers(0).gprs[7]).toBe(1000n);
    dbg.addBreakpoint('write', sym('counter'), 8);
    expect((await dbg.continue()).kind).toBe('watchpoint');
    expect(u64(dbg.readMemory(0, sym('counter'), 8))).toBe(counter + 1000n);
    const after = dbg.registers(0);
    expect(after.cr2).toBe(0x1234n);
    expect(after.cr0).toBe(before.cr0);
    expect(after.fs).toBe(0x10);
    expect(after.cr3).toBe(before.cr3);
  });

  it('delivers the guest\'s own INT3 to its handler as without a debugger', async () => {
    const run = async (attach: boolean): Promise<string> => {
      vm = createVm({ vcpus: 1, kernel: testImage('faults'), initrd: '' });
      const console1 = new GuestConsole(vm.com1);
      const dbg = attach ? debuggerFor(vm) : undefined;
      const stopped = dbg?.interrupt();
      vm.start();
      if (dbg) {
        await stopped;
        expect(await dbg.continue()).toEqual({ kind: 'vm-stopped', reason: { kind: 'debug-exit', status: 42 } });
      } else await vm.waitForStop();
      vm = undefined;
      return /^breakpoint: .*$/m.exec(console1.text())?.[0] ?? 'no breakpoint line';
    };
    const plain = await run(false);
    expect(plain).toMatch(/^breakpoint: vector 3 /);
    expect(await run(true)).toBe(plain);
  });
});

describe('the debugger core on a CPU executing one instruction at a time (DR7)', () => {
  it('stops watchpoints and hardware breakpoints and steps', async () => {
    const dr7 = testImage('debug-dr7');
    const at = parseElf64(readFileSync(dr7)).symbols;
    vm = createVm({ vcpus: 1, kernel: dr7, initrd: '' });
    const console1 = new GuestConsole(vm.com1);
    vm.start();
    await console1.waitFor('debug-dr7 up\n');
    const dbg = debuggerFor(vm);
    await dbg.interrupt();
    const counter = at.get('counter')!;
    dbg.addBreakpoint('write', counter, 8);
    const before = u64(dbg.readMemory(0, counter, 8));
    expect(await dbg.continue()).toEqual({ kind: 'watchpoint', vcpu: 0, watch: 'write', address: counter });
    expect(u64(dbg.readMemory(0, counter, 8))).toBe(before + 1n);
    dbg.removeBreakpoint('write', counter, 8);
    const bump = at.get('bump')!;
    dbg.addBreakpoint('hardware', bump, 1);
    expect(await dbg.continue()).toEqual({ kind: 'hw-breakpoint', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(bump);
    // Stepping off it: bump's first instruction is not a branch.
    const [first] = dbg.disassemble(0, bump, 1)?.instructions ?? [];
    expect(await dbg.step(0)).toEqual({ kind: 'step', vcpu: 0 });
    expect(dbg.registers(0).rip).toBe(bump + BigInt(first!.bytes.length));
  });
});

describe('EPT permissions under a debugger', () => {
  it('keeps the bits watchpoints take off a page when the guest protects and unprotects it', () => {
    const shared = VmShared.create(1, 4 << 20);
    const ranges = new ProtectedRanges(shared);
    const page = 0x10;
    shared.debug.eptDeny[page] = EptPerm.WRITE;
    shared.debug.eptDeny[page + 1] = EptPerm.READ;
    shared.setEptPermissions(page, 2, EptPerm.ALL);
    expect([shared.memory.ept[page], shared.memory.ept[page + 1]]).toEqual([EptPerm.READ | EptPerm.EXECUTE, EptPerm.WRITE | EptPerm.EXECUTE]);
    expect(ranges.protect(BigInt(page * 4096), 2n * 4096n)).toBe('ok');
    expect([shared.memory.ept[page], shared.memory.ept[page + 1]]).toEqual([EptPerm.READ | EptPerm.EXECUTE, EptPerm.EXECUTE]);
    expect([shared.debug.eptBase[page], shared.debug.eptBase[page + 1]]).toEqual([EptPerm.READ | EptPerm.EXECUTE, EptPerm.READ | EptPerm.EXECUTE]);
    expect(ranges.unprotect(BigInt(page * 4096), 2n * 4096n)).toBe('ok');
    expect([shared.memory.ept[page], shared.memory.ept[page + 1]]).toEqual([EptPerm.READ | EptPerm.EXECUTE, EptPerm.WRITE | EptPerm.EXECUTE]);
    expect(shared.memory.ept[page + 2]).toBe(EptPerm.ALL);
  });
});
