import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DisSyntax } from '../../shell-protocol/constants.js';
import type { BreakpointKind, DebugRegisters, DebugStatus, DebugStop } from '../../vmm/debug/debugger.js';
import { disassembleBytes } from '../../vmm/services/disassemble.js';
import { type CodeView, codeView, windowStart } from '../../tui/code-view.js';
import { App } from '../../tui/components/App.js';
import { CodePane, codeTitle } from '../../tui/components/CodePane.js';
import type { TuiDebug, TuiDebugger } from '../../tui/debug-control.js';
import { FakeMonitor, snapshot } from './fake-monitor.js';

/** push %rbp; mov %rsp,%rbp; mov $1,%eax; pop %rbp; ret — and `48 89 e5` is `dec %eax; mov %esp,%ebp` in 32-bit code. */
const CODE = [0x55, 0x48, 0x89, 0xe5, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x5d, 0xc3];
const AT = 0x2000;

function monitorWithCode(): FakeMonitor {
  const vm = new FakeMonitor();
  vm.memory.set(CODE, AT);
  vm.snapshots[0] = snapshot(0, 1n, BigInt(AT));
  return vm;
}

/** A debugger over a FakeMonitor's memory: stops and steps are scripted, calls recorded. */
class FakeDebugger implements TuiDebugger {
  state: DebugStatus = 'running';
  lastStop: DebugStop | undefined;
  client: string | undefined;
  rip = BigInt(AT);
  readonly calls: string[] = [];
  readonly software: bigint[] = [];
  private readonly listeners = new Set<(stop: DebugStop | undefined) => void>();
  constructor(private readonly vm: FakeMonitor) {}
  onChange(listener: (stop: DebugStop | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** The VM stops (as all vCPUs would park). */
  stopWith(stop: DebugStop): void {
    this.state = 'stopped';
    this.lastStop = stop;
    for (const l of this.listeners) l(stop);
  }
  interrupt(): Promise<DebugStop> {
    this.calls.push('interrupt');
    this.stopWith({ kind: 'interrupt', vcpu: 0 });
    return Promise.resolve(this.lastStop!);
  }
  continue(): Promise<DebugStop> {
    this.calls.push('continue');
    this.state = 'running';
    this.lastStop = undefined;
    for (const l of this.listeners) l(undefined);
    return new Promise(() => undefined);
  }
  step(vcpu: number): Promise<DebugStop> {
    this.calls.push(`step ${vcpu}`);
    this.rip += 1n; // push %rbp is one byte
    this.stopWith({ kind: 'step', vcpu });
    return Promise.resolve(this.lastStop!);
  }
  registers(): DebugRegisters {
    const s = snapshot(0, 1n, this.rip);
    return { ...s, rip: this.rip, mode: 64 };
  }
  disassemble(_vcpu: number, address: bigint, count: number, syntax: DisSyntax = DisSyntax.ATT) {
    return disassembleBytes(this.vm.memory.slice(Number(address), Number(address) + count * 15), { address, count, syntax });
  }
  breakpoints(): { readonly kind: BreakpointKind; readonly address: bigint; readonly length: number }[] {
    return this.software.map((address) => ({ kind: 'software' as const, address, length: 1 }));
  }
}

const addresses = (view: CodeView): bigint[] => view.lines.map((l) => l.address);

describe('the code window', () => {
  const view = (starts: number[]): CodeView => ({
    vcpu: 0, rip: BigInt(starts[0]!), syntax: DisSyntax.ATT, stopped: true,
    lines: starts.map((a, i) => ({ address: BigInt(a), bytes: new Uint8Array((starts[i + 1] ?? a + 2) - a), text: 'nop', atRip: false, breakpoint: false })),
  });
  const previous = view([0x10, 0x11, 0x14, 0x19, 0x1a]);

  it('stays put while RIP moves inside it, so steps read down the listing', () => {
    expect(windowStart(previous, 0x14n, 5)).toBe(0x10n);
    expect(windowStart(previous, 0x19n, 5)).toBe(0x10n);
  });

  it('moves on when RIP reaches its last line or just past it, keeping a line below RIP', () => {
    expect(windowStart(previous, 0x1an, 5)).toBe(0x11n);
    expect(windowStart(previous, 0x1cn, 5)).toBe(0x14n);
  });

  it('starts at RIP after a jump away or with nothing before', () => {
    expect(windowStart(previous, 0x40n, 5)).toBe(0x40n);
    expect(windowStart(previous, 0x12n, 5)).toBe(0x12n); // inside an instruction: not a boundary of this listing
    expect(windowStart(undefined, 0x14n, 5)).toBe(0x14n);
  });
});

describe('the code view', () => {
  it('decodes the running vCPU\'s code at its snapshot RIP, in its code size', () => {
    const vm = monitorWithCode();
    const running = codeView({ vm, debugger: undefined }, vm.registers(0), DisSyntax.ATT, 5, undefined);
    expect(running.stopped).toBe(false);
    expect(running.lines.map((l) => l.text)).toEqual(['push %rbp', 'mov %rsp,%rbp', 'mov $1,%eax', 'pop %rbp', 'ret']);
    expect(running.lines.map((l) => l.atRip)).toEqual([true, false, false, false, false]);
    // Protected mode without long mode: the same bytes are 32-bit code.
    const legacy = { ...vm.registers(0), efer: 0n, cr0: 0x11n };
    const old = codeView({ vm, debugger: undefined }, legacy, DisSyntax.INTEL, 3, undefined);
    expect(old.lines.map((l) => l.text)).toEqual(['push ebp', 'dec eax', 'mov ebp, esp']);
  });

  it('reads the stopped vCPU through the debugger: its RIP, its breakpoints marked', () => {
    const vm = monitorWithCode();
    const dbg = new FakeDebugger(vm);
    dbg.stopWith({ kind: 'breakpoint', vcpu: 0 });
    dbg.rip = BigInt(AT + 1);
    dbg.software.push(BigInt(AT + 4));
    const stale = vm.registers(0); // the snapshot still says AT
    const view = codeView({ vm, debugger: dbg }, stale, DisSyntax.ATT, 4, undefined);
    expect(view.stopped).toBe(true);
    expect(view.rip).toBe(BigInt(AT + 1));
    expect(addresses(view)).toEqual([AT + 1, AT + 4, AT + 9, AT + 10].map(BigInt));
    expect(view.lines.map((l) => [l.atRip, l.breakpoint])).toEqual([[true, false], [false, true], [false, false], [false, false]]);
  });

  it('says so when no code is mapped at RIP, and stops decoding at an unmapped page', () => {
    const vm = monitorWithCode();
    Object.assign(vm.debug, { readVirtual: (_vcpu: number, address: bigint, length: number) => vm.debug.readPhysical(address, length) }); // mapped: the fake's 64 KiB
    vm.snapshots[0] = snapshot(0, 1n, 0x20000n);
    expect(codeView({ vm, debugger: undefined }, vm.registers(0), DisSyntax.ATT, 5, undefined)).toMatchObject({ lines: [], note: 'no code mapped at 0x20000' });
    vm.memory.fill(0x90, 0xfffc, 0x10000); // four NOPs end the last page
    vm.snapshots[0] = snapshot(0, 1n, 0xfffcn);
    expect(addresses(codeView({ vm, debugger: undefined }, vm.registers(0), DisSyntax.ATT, 8, undefined))).toEqual([0xfffcn, 0xfffdn, 0xfffen, 0xffffn]);
  });

  it('draws RIP and breakpoint marks, and in a narrow pane the high half of the addresses once, in the title', () => {
    const vm = monitorWithCode();
    const dbg = new FakeDebugger(vm);
    dbg.stopWith({ kind: 'step', vcpu: 0 });
    dbg.software.push(BigInt(AT + 1));
    const view = codeView({ vm, debugger: dbg }, vm.registers(0), DisSyntax.ATT, 3, undefined);
    const narrow = render(createElement(CodePane, { view, rows: 3, width: 38 })).lastFrame()!.split('\n');
    expect(narrow).toEqual([expect.stringMatching(/^ > 00002000  push %rbp */), '*  00002001  mov %rsp,%rbp', '   00002004  mov $1,%eax']);
    const wide = render(createElement(CodePane, { view, rows: 3, width: 80 })).lastFrame()!.split('\n');
    expect(wide[1]).toBe('*  0000000000002001  48 89 e5                 mov %rsp,%rbp');
    const high = { ...view, rip: 0xffffffff80002000n, lines: view.lines.map((l) => ({ ...l, address: l.address + 0xffffffff80000000n })) };
    expect(codeTitle(high, 38, false)).toBe('code AT&T · stopped · high ffffffff');
    expect(codeTitle(high, 80, true)).toBe('code AT&T · vCPU 0 stopped ←→');
    // A function's name says where RIP is better than the high half of its address.
    expect(codeTitle({ ...high, symbol: 'tty_read+36' }, 38, false)).toBe('code AT&T · stopped · tty_read+36');
    expect(codeTitle({ ...high, symbol: 'tty_read+36' }, 80, false)).toBe('code AT&T · vCPU 0 stopped · tty_read+36');
  });
});

describe('the TUI\'s debugger keys', () => {
  const tick = (ms = 60) => new Promise((resolve) => setTimeout(resolve, ms));
  let unmount: (() => void) | undefined;
  afterEach(() => { unmount?.(); unmount = undefined; });

  function mount(gdbAddress?: string) {
    const vm = monitorWithCode();
    const dbg = new FakeDebugger(vm);
    let made = false;
    const debug: TuiDebug = {
      attach: () => { made = true; return dbg; },
      current: () => (made ? dbg : undefined),
      ...(gdbAddress === undefined ? {} : { gdbAddress }),
    };
    const app = render(createElement(App, { vm, onQuit: vi.fn(), debug }));
    unmount = () => app.unmount();
    return { vm, dbg, app };
  }

  it('stops the VM with Ctrl-P, shows the code at RIP and says who holds it; Ctrl-S steps, Ctrl-P continues', async () => {
    const { vm, dbg, app } = mount();
    await tick();
    expect(app.lastFrame()).toContain('VM running');
    app.stdin.write('\x10');
    await tick();
    expect(dbg.calls).toEqual(['interrupt']);
    expect(vm.paused).toBe(0); // the debugger's stop, not the monitor's pause
    let frame = app.lastFrame()!;
    expect(frame).toContain('VM stopped by the debugger: every vCPU stopped');
    expect(frame).toContain('^P continue · ^S step');
    expect(frame).toContain('code AT&T · vCPU 0 stopped'); // the strip shows the code pane once stopped
    expect(frame).toContain(' > 0000000000002000  55                       push %rbp');
    app.stdin.write('\x13');
    await tick();
    frame = app.lastFrame()!;
    expect(dbg.calls).toEqual(['interrupt', 'step 0']);
    expect(frame).toContain('VM stopped by the debugger: stepped vCPU 0');
    expect(frame).toContain(' > 0000000000002001  48 89 e5                 mov %rsp,%rbp');
    expect(frame).toContain('   0000000000002000  55'); // the window stayed where it was
    app.stdin.write('\x10');
    await tick();
    expect(dbg.calls).toEqual(['interrupt', 'step 0', 'continue']);
    expect(app.lastFrame()).toContain('VM running');
  });

  it('leaves a connected gdb\'s stop to gdb, and says where gdb may attach', async () => {
    const { dbg, app } = mount('127.0.0.1:1234');
    await tick();
    app.stdin.write('\x10');
    await tick();
    expect(app.lastFrame()).toContain('VM stopped by the debugger: every vCPU stopped · gdb may attach on 127.0.0.1:1234');
    dbg.client = '127.0.0.1:40000';
    dbg.stopWith({ kind: 'breakpoint', vcpu: 1 });
    await tick();
    expect(app.lastFrame()).toContain('breakpoint on vCPU 1 · gdb 127.0.0.1:40000 holds it');
    expect(app.lastFrame()).toContain('code AT&T · vCPU 1 stopped'); // the panes show the vCPU that stopped
    app.stdin.write('\x13');
    await tick();
    expect(dbg.calls).toEqual(['interrupt']);
    expect(app.lastFrame()).toContain('gdb 127.0.0.1:40000 holds the VM: step or continue it from gdb');
  });

  it('toggles the code pane between AT&T and Intel with Left/Right when focused', async () => {
    const { app } = mount();
    await tick();
    app.stdin.write('\t\t'); // console → registers → code
    await tick();
    expect(app.lastFrame()).toContain('code AT&T');
    app.stdin.write('\x1b[C');
    await tick();
    expect(app.lastFrame()).toContain('code Intel');
    expect(app.lastFrame()).toContain('mov rbp, rsp');
  });
});
