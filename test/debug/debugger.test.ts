import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitReason } from '../../shell-protocol/exit-reasons.js';
import { gpa } from '../../vmm/hw/address.js';
import { type Debugger, debuggerFor } from '../../vmm/debug/debugger.js';
import { type Vm, createVm } from '../../vmm/vm.js';
import { testImage } from '../support/build-image.js';
import { parseElf64 } from '../support/elf.js';
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
});
