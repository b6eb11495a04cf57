/* Every system call handler has the six-argument signature, as the registers arrive (RDI, RSI,
 * RDX, R10, R8, R9); SYSCALL_DEFINE names them. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include "kernel.h"

typedef s64 (*syscall_fn)(u64, u64, u64, u64, u64, u64);
#define SYSCALL_ARGS u64 a0 __attribute__((unused)), u64 a1 __attribute__((unused)), u64 a2 __attribute__((unused)), \
	u64 a3 __attribute__((unused)), u64 a4 __attribute__((unused)), u64 a5 __attribute__((unused))
#define SYSCALL_DEFINE(name) s64 sys_##name(SYSCALL_ARGS)

#define SYSCALLS(X) \
	X(read) X(write) X(open) X(close) X(stat) X(fstat) X(lstat) X(lseek) X(mmap) X(mprotect) X(munmap) X(brk) \
	X(rt_sigaction) X(rt_sigprocmask) X(rt_sigreturn) X(ioctl) X(pread64) X(readv) X(writev) X(access) \
	X(sched_yield) X(dup) X(dup2) X(nanosleep) X(getpid) X(clone) X(vfork) X(execve) X(exit) X(wait4) X(kill) \
	X(uname) X(fcntl) X(getcwd) X(chdir) X(fchdir) X(mkdir) X(rmdir) X(unlink) X(readlink) X(gettimeofday) \
	X(sysinfo) X(getuid) X(getgid) X(setuid) X(setgid) X(geteuid) X(getegid) X(setpgid) X(getppid) X(getpgrp) \
	X(setsid) X(getpgid) X(getsid) X(arch_prctl) X(reboot) X(gettid) X(time) X(tkill) X(getdents64) \
	X(set_tid_address) X(clock_gettime) X(clock_getres) X(clock_nanosleep) X(exit_group) X(tgkill) X(openat) \
	X(mkdirat) X(newfstatat) X(unlinkat) X(readlinkat) X(faccessat) X(dup3)

#define DECLARE(name) SYSCALL_DEFINE(name);
SYSCALLS(DECLARE)
#undef DECLARE

#endif
