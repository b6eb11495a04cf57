/**
 * The user-space runtime of guest programs (a tiny libc): system calls through SYSCALL, a heap in
 * the process's own memory from brk, console and data-channel I/O through user buffers, and VMCALL
 * — direct at CPL 3, or through the kernel at CPL 0 for a root process.
 */
import { type Gva, gva } from '../../vmm/hw/address.js';
import { type GuestCpu, Reg } from '../../vmm/hw/guest-cpu.js';
import { Errno, Fd, Ioctl, Signal, SignalDelivery, Sys, VMCALL_BLOCK_BYTES } from '../abi.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Size of the buffer system calls copy through. */
const IO_BUFFER = 64 * 1024;

/** VMCALL raised #UD: no VMM, or one that hides itself. */
export class VmcallUnavailable extends Error {
  override readonly name = 'VmcallUnavailable';
  constructor() {
    super('VMCALL raised #UD (invalid opcode): no hypervisor answers it');
  }
}

export class SyscallError extends Error {
  override readonly name = 'SyscallError';
  constructor(readonly call: string, readonly errno: number) {
    super(`${call} failed: errno ${errno}`);
  }
}

/** The registers of the VMCALL convention. */
export interface VmcallRegisters {
  rax: bigint;
  rbx: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
}

export class UserRuntime {
  private brkEnd: bigint;
  private readonly io: Gva;
  private readonly vmcallBlock: Gva;
  private readonly handled = new Set<number>();

  constructor(readonly cpu: GuestCpu) {
    this.brkEnd = this.syscall(Sys.BRK, 0n);
    this.io = this.malloc(IO_BUFFER);
    this.vmcallBlock = this.malloc(VMCALL_BLOCK_BYTES);
  }

  /** SYSCALL with up to six arguments; returns RAX (negative values are -errno). */
  syscall(nr: number, a0 = 0n, a1 = 0n, a2 = 0n, a3 = 0n): bigint {
    const cpu = this.cpu;
    cpu.set(Reg.RAX, BigInt(nr));
    cpu.set(Reg.RDI, a0);
    cpu.set(Reg.RSI, a1);
    cpu.set(Reg.RDX, a2);
    cpu.set(Reg.R10, a3);
    cpu.syscall();
    return BigInt.asIntN(64, cpu.get(Reg.RAX));
  }

  private check(call: string, result: bigint): bigint {
    if (result < 0n) throw new SyscallError(call, Number(-result));
    return result;
  }

  /** Bump allocation from the program break, 16-byte aligned; the memory is the process's own. */
  malloc(size: number): Gva {
    const start = (this.brkEnd + 15n) & ~15n;
    const end = start + BigInt(size);
    const result = this.syscall(Sys.BRK, end);
    if (result < end) throw new SyscallError('brk', 12);
    this.brkEnd = end;
    return gva(start);
  }

  write(fd: number, bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += IO_BUFFER) {
      const chunk = bytes.subarray(at, at + IO_BUFFER);
      this.cpu.writeBytes(this.io, chunk);
      this.check('write', this.syscall(Sys.WRITE, BigInt(fd), this.io, BigInt(chunk.length)));
    }
  }

  print(text: string): void {
    this.write(Fd.STDOUT, encoder.encode(text));
  }

  /** A line of text on the data channel (COM2). */
  printData(text: string): void {
    this.write(Fd.DATA, encoder.encode(text));
  }

  /** Up to `max` bytes (blocking); empty at end of file. */
  read(fd: number, max = IO_BUFFER): Uint8Array {
    const n = Number(this.check('read', this.syscall(Sys.READ, BigInt(fd), this.io, BigInt(Math.min(max, IO_BUFFER)))));
    const out = new Uint8Array(n);
    this.cpu.readBytes(this.io, out);
    return out;
  }

  /** A line from the console in cooked mode, without its newline; undefined at end of file. */
  readLine(): string | undefined {
    const bytes = this.read(Fd.STDIN);
    if (bytes.length === 0) return undefined;
    return decoder.decode(bytes).replace(/\n$/, '');
  }

  setRaw(raw: boolean): void {
    this.check('ioctl', this.syscall(Sys.IOCTL, BigInt(Fd.STDIN), BigInt(Ioctl.TTY_SET_RAW), raw ? 1n : 0n));
  }

  /** Bytes of console input waiting. */
  available(): number {
    return Number(this.check('ioctl', this.syscall(Sys.IOCTL, BigInt(Fd.STDIN), BigInt(Ioctl.FIONREAD))));
  }

  /** The whole file at `path`, or undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined {
    const name = encoder.encode(`${path}\0`);
    this.cpu.writeBytes(this.io, name);
    const fd = this.syscall(Sys.OPEN, this.io);
    if (fd < 0n) return undefined;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const chunk = this.read(Number(fd));
      if (chunk.length === 0) break;
      chunks.push(chunk);
    }
    this.syscall(Sys.CLOSE, fd);
    return Uint8Array.from(chunks.flatMap((c) => [...c]));
  }

  sleepMs(ms: number): void {
    this.syscall(Sys.NANOSLEEP, BigInt(Math.round(ms * 1e6)));
  }

  /** Monotonic nanoseconds (the TSC runs at 1 GHz). */
  nowNs(): bigint {
    return this.cpu.rdtsc();
  }

  getuid(): number {
    return Number(this.syscall(Sys.GETUID));
  }

  exit(status: number): never {
    this.syscall(Sys.EXIT, BigInt(status));
    throw new Error('exit returned');
  }

  /** Ask the kernel to deliver `signal` to this process as a SignalDelivery instead of killing it. */
  catchSignal(signal: number): void {
    this.check('rt_sigaction', this.syscall(Sys.RT_SIGACTION, BigInt(signal), 1n));
    this.handled.add(signal);
  }

  /** The VMM's exit counters, mapped read-only into this process (MAP_SHARED through the kernel). */
  mapCounters(): Gva {
    const result = this.syscall(Sys.YMIR_MAP_COUNTERS);
    if (result === -BigInt(Errno.ENODEV)) throw new VmcallUnavailable();
    return gva(this.check('ymir_map_counters', result));
  }

  /** VMCALL at the process's own CPL 3. Throws VmcallUnavailable when it raises #UD. */
  vmcall(regs: VmcallRegisters): VmcallRegisters {
    const cpu = this.cpu;
    cpu.set(Reg.RAX, regs.rax);
    cpu.set(Reg.RBX, regs.rbx);
    cpu.set(Reg.RCX, regs.rcx);
    cpu.set(Reg.RDX, regs.rdx);
    cpu.set(Reg.RSI, regs.rsi);
    cpu.set(Reg.RDI, regs.rdi);
    try {
      cpu.vmcall();
    } catch (error) {
      if (error instanceof SignalDelivery && error.signal === Signal.SIGILL) throw new VmcallUnavailable();
      throw error;
    }
    return { rax: cpu.get(Reg.RAX), rbx: cpu.get(Reg.RBX), rcx: cpu.get(Reg.RCX), rdx: cpu.get(Reg.RDX), rsi: cpu.get(Reg.RSI), rdi: cpu.get(Reg.RDI) };
  }

  /** VMCALL executed by the kernel at CPL 0 for this (root) process. */
  vmcallPrivileged(regs: VmcallRegisters): VmcallRegisters {
    const block = this.vmcallBlock;
    const order = [regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi];
    order.forEach((value, i) => this.cpu.write64(gva(block + BigInt(i * 8)), value));
    const result = this.syscall(Sys.YMIR_VMCALL, block);
    if (result === -BigInt(Errno.ENODEV)) throw new VmcallUnavailable(); // the kernel's VMCALL raised #UD
    this.check('ymir_vmcall', result);
    const read = (i: number): bigint => this.cpu.read64(gva(block + BigInt(i * 8)));
    return { rax: read(0), rbx: read(1), rcx: read(2), rdx: regs.rdx, rsi: regs.rsi, rdi: regs.rdi };
  }
}
