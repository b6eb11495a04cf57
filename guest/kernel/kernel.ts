/**
 * ymir-guest: a small x86-64 kernel that does what a real one does at boot, only through the
 * instruction interface: CPUID probing, long-mode control registers, its page tables, the 16550
 * driver, interrupt handlers, SMP bring-up, then /init — a shell that starts programs as CPL-3
 * processes in their own address spaces.
 */
import { gva } from '../../vmm/hw/address.js';
import { type GuestCpu, type InterruptFrame, type InterruptHandler, Reg, Vector } from '../../vmm/hw/guest-cpu.js';
import { Errno, Fd, Ioctl, ProcessEnded, Signal, SignalDelivery, Sys, USER_COUNTERS_PAGE, VMCALL_BLOCK_BYTES } from '../abi.js';
import { UserRuntime } from '../user/runtime.js';
import type { Program } from '../user/program.js';
import {
  BOOT_PARAMS, BOOT_PARAMS_MAGIC, CPU_ONLINE_MASK, KERNEL_END, KERNEL_PML4, PAGE, USER_HEAP, USER_STACK_PAGES, USER_STACK_TOP, USER_TEXT, kva, setPagingOn,
} from './layout.js';
import { COM1_VECTOR, COM2_VECTOR, MSR_X2APIC_EOI, MSR_X2APIC_ICR, MSR_X2APIC_ID, TIMER_VECTOR, setTimerMasked } from './lapic.js';
import { PageAllocator } from './page-alloc.js';
import { AddressSpace, buildKernelTables } from './paging.js';
import { InitShell } from './shell.js';
import { Tty } from './tty.js';
import { Uart } from './uart.js';

const CR0_PE = 1n << 0n, CR0_WP = 1n << 16n, CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n, CR4_PGE = 1n << 7n;
const EFER_SCE = 1n << 0n, EFER_LME = 1n << 8n, EFER_NXE = 1n << 11n;
const MSR_EFER = 0xc0000080;
/** How long the BSP waits for an AP to call in (Linux waits 10 s). */
const AP_CALLIN_TIMEOUT_NS = 10_000_000_000n;
const COM1 = 0x3f8;
const COM2 = 0x2f8;
const DEBUG_EXIT = 0xf4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A kernel-mode fault the kernel expected (an exception-table fixup, as Linux's). */
class KernelFixup extends Error {
  override readonly name = 'KernelFixup';
}

export class KernelPanic extends Error {
  override readonly name = 'KernelPanic';
}

interface Process {
  readonly pid: number;
  readonly uid: number;
  readonly space: AddressSpace;
  brk: bigint;
  readonly handledSignals: Set<number>;
  readonly files: Map<number, { data: Uint8Array; offset: number }>;
  countersMapped: boolean;
}

export class Kernel {
  readonly com1: Uart;
  readonly tty: Tty;
  readonly com2: Uart;
  readonly files = new Map<string, Uint8Array>([['/etc/motd', encoder.encode('Welcome to ymir-guest. Type `help`.\n')]]);
  readonly vcpus: number;
  readonly memoryBytes: number;
  private pages!: PageAllocator;
  private bootNs = 0n;
  private ticks = 0;
  private nextPid = 1;
  private current: Process | undefined;
  /** Faults the kernel expects and turns into errors (Linux's exception tables). */
  private expectUd = false;
  private inUserAccess = false;

  constructor(readonly cpu: GuestCpu, readonly programs: ReadonlyMap<string, Program>) {
    this.bootNs = cpu.rdtsc();
    if (cpu.read32(gva(BOOT_PARAMS)) !== BOOT_PARAMS_MAGIC) throw new KernelPanic('no boot parameters at 0x1000');
    this.vcpus = cpu.read32(gva(BOOT_PARAMS + 4));
    this.memoryBytes = Number(cpu.read64(gva(BOOT_PARAMS + 8)));
    this.com1 = new Uart(cpu, COM1);
    this.tty = new Tty(cpu, this.com1);
    this.com2 = new Uart(cpu, COM2);
    this.tty.onInterrupt = () => {
      if (this.current && !this.tty.raw) this.kill(Signal.SIGINT);
    };
  }

  /** Seconds since boot, as printk's timestamp shows them. */
  uptimeNs(): bigint {
    return this.cpu.rdtsc() - this.bootNs;
  }

  printk(message: string): void {
    const ns = this.uptimeNs();
    const seconds = (ns / 1_000_000_000n).toString().padStart(5);
    const micros = ((ns / 1000n) % 1_000_000n).toString().padStart(6, '0');
    this.tty.print(`[${seconds}.${micros}] ${message}\n`);
  }

  boot(): never {
    const cpu = this.cpu;
    const serial = this.com1.init();
    const com2 = this.com2.init();
    this.printk('Linux version 6.12.0-ymir (tsc@ymir-dbg) #1 SMP PREEMPT');
    this.printk('Command line: console=ttyS0,115200 init=/init');
    const vendor = this.vendor();
    const leaf1 = cpu.cpuid(1);
    this.printk(`CPU: vendor ${vendor}, family ${(leaf1.eax >>> 8) & 0xf} model ${((leaf1.eax >>> 12) & 0xf0) | ((leaf1.eax >>> 4) & 0xf)} stepping ${leaf1.eax & 0xf}`);
    if ((leaf1.ecx & (1 << 31)) !== 0) this.printk(`Hypervisor detected: ${this.hypervisorName()}`);
    this.printk('BIOS-provided physical RAM map:');
    this.printk(`BIOS-e820: [mem 0x0000000000000000-0x${(this.memoryBytes - 1).toString(16).padStart(16, '0')}] usable`);
    this.enterLongMode();
    this.pages = new PageAllocator(this.memoryBytes);
    this.printk(`Memory: ${(this.pages.totalPages * PAGE) / 1024}K/${this.memoryBytes / 1024}K available (${KERNEL_END / 1024}K kernel reserved)`);
    this.printk('NX (Execute Disable) protection: active');
    this.printk(`x86/mm: direct map of all RAM at 0xffff888000000000 with 2M pages, PML4 at 0x${KERNEL_PML4.toString(16)}`);
    cpu.lidt(this.idt());
    cpu.setSyscallEntry(() => this.syscall());
    this.printk('IRQ: timer on vector 0x20, ttyS0 IRQ 4 (vector 0x24), ttyS1 IRQ 3 (vector 0x23)');
    cpu.sti();
    this.bringUpAps();
    this.printk('Serial: 8250/16550 driver, 2 ports, IRQ sharing disabled');
    this.printk(`00:01: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a ${serial}`);
    this.printk(`00:02: ttyS1 at I/O 0x2f8 (irq = 3, base_baud = 115200) is a ${com2}`);
    this.printk('Freeing unused kernel image (initmem) memory: 1024K');
    this.printk('Run /init as init process');
    new InitShell(this).run();
    return this.powerOff(0);
  }

  private vendor(): string {
    const { ebx, ecx, edx } = this.cpu.cpuid(0);
    return decoder.decode(new Uint32Array([ebx, edx, ecx]));
  }

  private hypervisorName(): string {
    const { ebx, ecx, edx } = this.cpu.cpuid(0x40000000);
    return decoder.decode(new Uint32Array([ebx, ecx, edx])).replace(/\0+$/, '');
  }

  /** Page tables with paging off, then CR4.PAE, EFER.LME, CR0.PG: long mode, as startup_64 does. */
  private enterLongMode(): void {
    const cpu = this.cpu;
    buildKernelTables(cpu, this.memoryBytes);
    this.setupControlRegisters();
    setPagingOn();
  }

  private setupControlRegisters(): void {
    const cpu = this.cpu;
    cpu.writeCr(4, cpu.readCr(4) | CR4_PAE | CR4_PGE);
    cpu.writeCr(3, BigInt(KERNEL_PML4));
    cpu.wrmsr(MSR_EFER, cpu.rdmsr(MSR_EFER) | EFER_LME | EFER_NXE | EFER_SCE);
    cpu.writeCr(0, cpu.readCr(0) | CR0_PE | CR0_WP | CR0_PG);
  }

  private bringUpAps(): void {
    this.printk('smp: Bringing up secondary CPUs ...');
    const online = kva(CPU_ONLINE_MASK);
    this.cpu.write32(online, 1);
    let up = 1;
    for (let ap = 1; ap < this.vcpus; ap++) {
      this.printk(`smpboot: Booting Node 0 Processor ${ap} APIC 0x${ap.toString(16)}`);
      this.cpu.wrmsr(MSR_X2APIC_ICR, (BigInt(ap) << 32n) | 0x4600n);
      // As Linux's do_boot_cpu: wait for the AP to call in, and give up on it after a while.
      const deadline = this.cpu.rdtsc() + AP_CALLIN_TIMEOUT_NS;
      while ((this.cpu.read32(online) & (1 << ap)) === 0 && this.cpu.rdtsc() < deadline) this.cpu.pause();
      if ((this.cpu.read32(online) & (1 << ap)) !== 0) up++;
      else this.printk(`smpboot: do_boot_cpu failed(-1) to wakeup CPU#${ap}`);
    }
    this.printk(`smp: Brought up 1 node, ${up} CPU${up === 1 ? '' : 's'}`);
  }

  /** An AP: the same control registers and page tables, the timer, then idle in HLT. */
  startAp(): never {
    const cpu = this.cpu;
    this.setupControlRegisters();
    setPagingOn();
    cpu.lidt(new Map<number, InterruptHandler>([[TIMER_VECTOR, () => cpu.wrmsr(MSR_X2APIC_EOI, 0n)]]));
    setTimerMasked(cpu, true); // nothing is ever scheduled here: an idle AP needs no tick
    const online = kva(CPU_ONLINE_MASK);
    cpu.write32(online, cpu.read32(online) | (1 << Number(cpu.rdmsr(MSR_X2APIC_ID))));
    cpu.sti();
    for (;;) cpu.hlt();
  }

  private idt(): Map<number, InterruptHandler> {
    const cpu = this.cpu;
    const eoi = (): void => cpu.wrmsr(MSR_X2APIC_EOI, 0n);
    return new Map<number, InterruptHandler>([
      [TIMER_VECTOR, () => { this.ticks++; eoi(); }],
      [COM1_VECTOR, () => { eoi(); this.tty.receiveInterrupt(); }],
      [COM2_VECTOR, () => eoi()],
      [Vector.UD, (frame) => this.fault(frame, Signal.SIGILL, 'invalid opcode')],
      [Vector.GP, (frame) => this.fault(frame, Signal.SIGSEGV, 'general protection fault')],
      [Vector.PF, (frame) => this.fault(frame, Signal.SIGSEGV, `page fault at 0x${(frame.faultAddress ?? 0n).toString(16)} error ${frame.errorCode ?? 0}`)],
      [Vector.DF, (frame) => this.panic(`double fault at rip 0x${frame.rip.toString(16)}`)],
    ]);
  }

  /** An exception: a signal for user code; a fixup or a panic in the kernel. */
  private fault(frame: InterruptFrame, signal: number, what: string): void {
    if (frame.cpl === 3) {
      if (this.current?.handledSignals.has(signal)) throw new SignalDelivery(signal);
      this.kill(signal);
    }
    if ((frame.vector === Vector.UD && this.expectUd) || (frame.vector !== Vector.UD && this.inUserAccess)) throw new KernelFixup(what);
    this.panic(`${what} in kernel mode at rip 0x${frame.rip.toString(16)}`);
  }

  private kill(signal: number): never {
    throw new ProcessEnded(128 + signal, signal);
  }

  panic(message: string): never {
    this.tty.print(`Kernel panic - not syncing: ${message}\n`);
    this.cpu.cli();
    for (;;) this.cpu.hlt();
  }

  powerOff(status: number): never {
    this.printk(`reboot: Power down (status ${status})`);
    this.cpu.out8(DEBUG_EXIT, status & 0xff);
    return this.panic('the debug-exit port did not stop the machine');
  }

  ticksSinceBoot(): number {
    return this.ticks;
  }

  /** Run a program as a process at CPL 3 in a new address space; returns its exit status. */
  exec(program: Program, argv: readonly string[], uid = 0): number {
    const cpu = this.cpu;
    const space = new AddressSpace(cpu, this.pages);
    const process: Process = { pid: this.nextPid++, uid, space, brk: USER_HEAP, handledSignals: new Set(), files: new Map(), countersMapped: false };
    try {
      space.mapUserPage(USER_TEXT, { readOnly: true, executable: true });
      for (let i = 1; i <= USER_STACK_PAGES; i++) space.mapUserPage(USER_STACK_TOP - BigInt(i * PAGE));
      cpu.writeCr(3, BigInt(space.pml4));
      cpu.set(Reg.RSP, USER_STACK_TOP - 8n);
      this.current = process;
      this.tty.flush();
      return cpu.enterUser(() => program.main(new UserRuntime(cpu), argv));
    } catch (error) {
      if (!(error instanceof ProcessEnded)) throw error;
      const message = error.signal === undefined ? undefined : signalMessage(error.signal);
      if (message) this.tty.print(`${message}\n`);
      return error.status;
    } finally {
      this.current = undefined;
      this.tty.raw = false;
      if (process.countersMapped) this.vmcallAtCpl0([3n, 0n]); // the page goes back to the allocator
      cpu.writeCr(3, BigInt(KERNEL_PML4));
      space.destroy();
    }
  }

  // --- system calls --------------------------------------------------------------------------

  private syscall(): void {
    const cpu = this.cpu;
    const nr = Number(cpu.get(Reg.RAX));
    const args = [cpu.get(Reg.RDI), cpu.get(Reg.RSI), cpu.get(Reg.RDX), cpu.get(Reg.R10)] as const;
    let result: bigint;
    try {
      result = this.dispatch(nr, args);
    } catch (error) {
      if (error instanceof SyscallFailure) result = -BigInt(error.errno);
      else throw error;
    }
    cpu.set(Reg.RAX, BigInt.asUintN(64, result));
  }

  private dispatch(nr: number, [a0, a1, a2]: readonly [bigint, bigint, bigint, bigint]): bigint {
    const process = this.current;
    if (!process) throw new KernelPanic('system call without a process');
    switch (nr) {
      case Sys.READ: return this.sysRead(process, Number(a0), a1, Number(a2));
      case Sys.WRITE: return this.sysWrite(Number(a0), a1, Number(a2));
      case Sys.OPEN: return this.sysOpen(process, a0);
      case Sys.CLOSE: return process.files.delete(Number(a0)) ? 0n : fail(Errno.EBADF);
      case Sys.BRK: return this.sysBrk(process, a0);
      case Sys.RT_SIGACTION:
        if (a1 === 0n) process.handledSignals.delete(Number(a0));
        else process.handledSignals.add(Number(a0));
        return 0n;
      case Sys.IOCTL: return this.sysIoctl(Number(a0), Number(a1), a2);
      case Sys.NANOSLEEP: return this.sysSleep(a0);
      case Sys.GETPID: return BigInt(process.pid);
      case Sys.GETUID: return BigInt(process.uid);
      case Sys.CLOCK_GETTIME: return this.uptimeNs();
      case Sys.EXIT: throw new ProcessEnded(Number(a0 & 0xffn), undefined);
      case Sys.YMIR_VMCALL: return this.sysVmcall(process, a0);
      case Sys.YMIR_MAP_COUNTERS: return this.sysMapCounters(process);
      default: return fail(Errno.ENOSYS);
    }
  }

  /** Copy from user memory, checking the range is in the user half (access_ok). */
  private copyFromUser(address: bigint, length: number): Uint8Array {
    if (length < 0 || address + BigInt(length) > USER_STACK_TOP) fail(Errno.EFAULT);
    const bytes = new Uint8Array(length);
    this.userAccess(() => this.cpu.readBytes(gva(address), bytes));
    return bytes;
  }

  private copyToUser(address: bigint, bytes: Uint8Array): void {
    if (address + BigInt(bytes.length) > USER_STACK_TOP) fail(Errno.EFAULT);
    this.userAccess(() => this.cpu.writeBytes(gva(address), bytes));
  }

  /** A kernel access to user memory: a fault there is EFAULT for the caller, not a panic. */
  private userAccess(body: () => void): void {
    this.inUserAccess = true;
    try {
      body();
    } catch (error) {
      if (error instanceof KernelFixup) fail(Errno.EFAULT);
      throw error;
    } finally {
      this.inUserAccess = false;
    }
  }

  private sysRead(process: Process, fd: number, buffer: bigint, length: number): bigint {
    let bytes: Uint8Array;
    if (fd === Fd.STDIN) bytes = this.tty.read(length);
    else {
      const file = process.files.get(fd);
      if (!file) return fail(Errno.EBADF);
      bytes = file.data.subarray(file.offset, file.offset + length);
      file.offset += bytes.length;
    }
    this.copyToUser(buffer, bytes);
    return BigInt(bytes.length);
  }

  private sysWrite(fd: number, buffer: bigint, length: number): bigint {
    const bytes = this.copyFromUser(buffer, length);
    if (fd === Fd.STDOUT || fd === Fd.STDERR) this.tty.write(bytes);
    else if (fd === Fd.DATA) this.com2.write(bytes);
    else return fail(Errno.EBADF);
    return BigInt(length);
  }

  private sysOpen(process: Process, pathAddress: bigint): bigint {
    const raw = this.copyFromUser(pathAddress, 256);
    const end = raw.indexOf(0);
    const path = decoder.decode(raw.subarray(0, end < 0 ? raw.length : end));
    const data = this.files.get(path);
    if (!data) return fail(Errno.ENOENT);
    const fd = Math.max(Fd.DATA, ...process.files.keys()) + 1;
    process.files.set(fd, { data, offset: 0 });
    return BigInt(fd);
  }

  /** brk: grow the heap by mapping zeroed user pages; brk(0) reports the current break. */
  private sysBrk(process: Process, wanted: bigint): bigint {
    if (wanted === 0n || wanted < process.brk) return process.brk;
    if (wanted > USER_HEAP + (256n << 20n)) return process.brk;
    const mapped = (process.brk + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1);
    for (let page = mapped; page < wanted; page += BigInt(PAGE)) process.space.mapUserPage(page);
    process.brk = wanted;
    return wanted;
  }

  private sysIoctl(fd: number, request: number, argument: bigint): bigint {
    if (fd !== Fd.STDIN) return fail(Errno.ENOTTY);
    if (request === Ioctl.TTY_SET_RAW) {
      this.tty.raw = argument !== 0n;
      return 0n;
    }
    if (request === Ioctl.FIONREAD) {
      this.cpu.cli();
      this.tty.receiveInterrupt();
      this.cpu.sti();
      return BigInt(this.tty.available);
    }
    return fail(Errno.EINVAL);
  }

  private sysSleep(ns: bigint): bigint {
    const until = this.cpu.rdtsc() + ns;
    while (this.cpu.rdtsc() < until) this.cpu.hlt();
    return 0n;
  }

  /**
   * YMIR_MAP_COUNTERS: give the process a read-only page that the VMM keeps its exit counters in
   * (MAP_SHARED, issued here at CPL 0 with the page's physical address).
   */
  private sysMapCounters(process: Process): bigint {
    if (process.uid !== 0) return fail(Errno.EPERM);
    if (process.countersMapped) return USER_COUNTERS_PAGE;
    const frame = process.space.mapUserPage(USER_COUNTERS_PAGE, { readOnly: true });
    const status = this.vmcallAtCpl0([3n, BigInt(frame), 0n, 0n, 0n, 0n]);
    if (status === undefined) return fail(Errno.ENODEV);
    if (status[0] !== 0n) return fail(Errno.EINVAL);
    process.countersMapped = true;
    return USER_COUNTERS_PAGE;
  }

  /** VMCALL at CPL 0 with RAX..RDI; RAX, RBX, RCX after it, or undefined when it raised #UD. */
  private vmcallAtCpl0(registers: readonly bigint[]): [bigint, bigint, bigint] | undefined {
    const cpu = this.cpu;
    [Reg.RAX, Reg.RBX, Reg.RCX, Reg.RDX, Reg.RSI, Reg.RDI].forEach((reg, i) => cpu.set(reg, registers[i] ?? 0n));
    this.expectUd = true;
    try {
      cpu.vmcall();
    } catch (error) {
      if (error instanceof KernelFixup) return undefined;
      throw error;
    } finally {
      this.expectUd = false;
    }
    return [cpu.get(Reg.RAX), cpu.get(Reg.RBX), cpu.get(Reg.RCX)];
  }

  /** YMIR_VMCALL: VMCALL at CPL 0 on behalf of a root process (a guest driver's job). */
  private sysVmcall(process: Process, block: bigint): bigint {
    if (process.uid !== 0) return fail(Errno.EPERM);
    const bytes = this.copyFromUser(block, VMCALL_BLOCK_BYTES);
    const view = new DataView(bytes.buffer);
    const result = this.vmcallAtCpl0([0, 1, 2, 3, 4, 5].map((i) => view.getBigUint64(i * 8, true)));
    if (result === undefined) return fail(Errno.ENODEV);
    result.forEach((value, i) => view.setBigUint64(i * 8, value, true));
    this.copyToUser(block, bytes.subarray(0, 24));
    return 0n;
  }
}

class SyscallFailure extends Error {
  override readonly name = 'SyscallFailure';
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

function fail(errno: number): never {
  throw new SyscallFailure(errno);
}

/** What the shell prints for a process a signal killed (nothing for Ctrl-C: the tty echoed ^C). */
function signalMessage(signal: number): string | undefined {
  switch (signal) {
    case Signal.SIGILL: return 'Illegal instruction';
    case Signal.SIGSEGV: return 'Segmentation fault';
    case Signal.SIGINT: return undefined;
    default: return `Killed by signal ${signal}`;
  }
}
