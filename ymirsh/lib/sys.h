/*
 * The Linux x86-64 system calls ymirsh makes, as inline `syscall` instructions (no libc). Numbers
 * and structs come from the kernel's UAPI headers; a call returns the kernel's value, a negative
 * errno on failure.
 */
#ifndef YMIRSH_SYS_H
#define YMIRSH_SYS_H

#include <stddef.h>
#include <stdint.h>

#include <asm/errno.h>
#include <asm/fcntl.h>
#include <asm/ioctls.h>
#include <asm/poll.h>
#include <asm/signal.h>
#include <asm/termbits.h>
#include <asm/unistd.h>
#include <linux/time.h>

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys3(nr, a, b, c) sys6((nr), (long)(a), (long)(b), (long)(c), 0, 0, 0)

static inline long sys_read(int fd, void *buf, size_t n) { return sys3(__NR_read, fd, buf, n); }
static inline long sys_write(int fd, const void *buf, size_t n) { return sys3(__NR_write, fd, buf, n); }
static inline long sys_open(const char *path, int flags) { return sys3(__NR_open, path, flags, 0); }
static inline long sys_close(int fd) { return sys3(__NR_close, fd, 0, 0); }
static inline long sys_ioctl(int fd, unsigned long request, void *arg) { return sys3(__NR_ioctl, fd, request, arg); }
static inline long sys_poll(struct pollfd *fds, unsigned n, int timeout_ms) { return sys3(__NR_poll, fds, n, timeout_ms); }
static inline long sys_getpid(void) { return sys3(__NR_getpid, 0, 0, 0); }
static inline long sys_kill(long pid, int sig) { return sys3(__NR_kill, pid, sig, 0); }
static inline long sys_nanosleep(const struct timespec *t) { return sys3(__NR_nanosleep, t, 0, 0); }
static inline long sys_clock_gettime(int clock, struct timespec *t) { return sys3(__NR_clock_gettime, clock, t, 0); }
static inline long sys_rt_sigaction(int sig, const struct sigaction *act) { return sys6(__NR_rt_sigaction, sig, (long)act, 0, sizeof(sigset_t), 0, 0); }

static inline __attribute__((noreturn)) void sys_exit(int status)
{
	for (;;) sys3(__NR_exit_group, status, 0, 0);
}

#endif
