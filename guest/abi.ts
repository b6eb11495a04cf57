/**
 * The guest's own system-call ABI (Linux x86-64 numbers and convention: RAX number, arguments in
 * RDI, RSI, RDX, R10, R8, R9, result in RAX as a value or a negative errno), shared by the kernel
 * and the user runtime, plus the unwinding the kernel uses to end or signal a user process.
 */
export const Sys = {
  READ: 0,
  WRITE: 1,
  OPEN: 2,
  CLOSE: 3,
  BRK: 12,
  RT_SIGACTION: 13,
  IOCTL: 16,
  NANOSLEEP: 35,
  GETPID: 39,
  EXIT: 60,
  GETUID: 102,
  CLOCK_GETTIME: 228,
  /** ymir-guest's own: a root process asks the kernel to execute VMCALL at CPL 0 for it. */
  YMIR_VMCALL: 0x1000,
  /** ymir-guest's own: map the VMM's shared exit-counter page (MAP_SHARED) read-only into the process. */
  YMIR_MAP_COUNTERS: 0x1001,
} as const;

export const Errno = { EPERM: 1, ENOENT: 2, EBADF: 9, ENOMEM: 12, EFAULT: 14, ENODEV: 19, EINVAL: 22, ENOTTY: 25, ENOSYS: 38 } as const;

export const Signal = { SIGINT: 2, SIGILL: 4, SIGSEGV: 11 } as const;

/** ioctl requests on the console. */
export const Ioctl = {
  /** Set raw (1) or cooked (0) input. */
  TTY_SET_RAW: 0x5401,
  /** Bytes waiting to be read (Linux's FIONREAD). */
  FIONREAD: 0x541b,
} as const;

/** Where YMIR_MAP_COUNTERS maps the counter page in a process. */
export const USER_COUNTERS_PAGE = 0x500000n;

/** File descriptors every process starts with. */
export const Fd = { STDIN: 0, STDOUT: 1, STDERR: 2, DATA: 3 } as const;

/** YMIR_VMCALL argument block in user memory: RAX, RBX, RCX, RDX, RSI, RDI in; RAX, RBX, RCX out. */
export const VMCALL_BLOCK_BYTES = 48;

/** Thrown by the kernel to end the current process (exit or fatal signal). */
export class ProcessEnded extends Error {
  override readonly name = 'ProcessEnded';
  constructor(readonly status: number, readonly signal: number | undefined) {
    super(signal === undefined ? `exit ${status}` : `killed by signal ${signal}`);
  }
}

/**
 * Thrown by the kernel into user code when a signal the process handles arrives during an
 * instruction (SIGILL from a VMCALL that raised #UD, say). The user runtime turns it into a call of
 * the process's handler.
 */
export class SignalDelivery extends Error {
  override readonly name = 'SignalDelivery';
  constructor(readonly signal: number) {
    super(`signal ${signal}`);
  }
}
