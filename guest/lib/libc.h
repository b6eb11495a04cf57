/*
 * A tiny freestanding C library for static Linux x86-64 programs: system-call wrappers, string
 * and memory functions, printf, malloc. No errno: a wrapper returns what the kernel returned,
 * a negative errno on failure (-ENOENT ...), as the raw system call does. Programs built on it
 * run on ymir-guest and on Linux alike.
 */
#ifndef GUEST_LIB_LIBC_H
#define GUEST_LIB_LIBC_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>

#include "../include/uapi/abi.h"
#include "../include/uapi/errno.h"
#include "../include/uapi/unistd.h"
#include "../include/uapi/ymir.h"
#include "str.h"
#include "format.h"

typedef long ssize_t;
typedef int pid_t;

static inline long syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#define syscall0(n) syscall6(n, 0, 0, 0, 0, 0, 0)
#define syscall1(n, a) syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define syscall2(n, a, b) syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define syscall3(n, a, b, c) syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define syscall4(n, a, b, c, d) syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

extern char **environ;

/* Files */
ssize_t read(int fd, void *buf, size_t n);
ssize_t write(int fd, const void *buf, size_t n);
ssize_t writev(int fd, const struct iovec *iov, int count);
int open(const char *path, int flags, ...);
int openat(int dirfd, const char *path, int flags, unsigned mode);
int close(int fd);
long lseek(int fd, long off, int whence);
int fstat(int fd, struct stat *st);
int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
long getdents64(int fd, void *buf, size_t n);
int ioctl(int fd, unsigned long request, void *arg);
int dup(int fd);
int dup2(int fd, int newfd);
int chdir(const char *path);
long getcwd(char *buf, size_t size);
int mkdir(const char *path, unsigned mode);
int unlink(const char *path);
int tcgetattr(int fd, struct termios *t);
int tcsetattr(int fd, int request, const struct termios *t); /* request: TCSETS, TCSETSW, TCSETSF */

/* Memory */
long brk(void *addr); /* returns the new (or unchanged) break */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off); /* (void *)-errno on failure */
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

/* Processes */
__attribute__((noreturn)) void exit(int status);
pid_t vfork(void) __attribute__((returns_twice));
int execve(const char *path, char *const argv[], char *const envp[]);
pid_t wait4(pid_t pid, int *status, int options, void *rusage);
pid_t waitpid(pid_t pid, int *status, int options);
pid_t getpid(void);
pid_t getppid(void);
unsigned getuid(void);
unsigned geteuid(void);
int kill(pid_t pid, int sig);
int raise(int sig);
int uname(struct utsname *u);
int sysinfo(struct sysinfo *si);
int reboot_poweroff(int status); /* reboot(POWER_OFF); ymir-guest takes the status */
int sched_yield(void);

/* Signals: sigaction sets SA_RESTORER and the restorer itself, as a C library does. */
int sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
void *signal(int sig, void *handler);

/* Time */
int clock_gettime(int clock, struct timespec *ts);
int nanosleep(const struct timespec *req, struct timespec *rem);

/* ymir-guest's calls (uapi/ymir.h); -ENOSYS under another kernel */
long ymir_vmcall(struct ymir_vmcall_regs *regs);
long ymir_map_counters(void);

/* Output: printf writes to fd 1, dprintf to any fd, both unbuffered beyond one call. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap);
int puts(const char *s);
int fputs_fd(int fd, const char *s);

/* Numbers */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int atoi(const char *s);

const char *strerror(int err); /* err is positive: strerror(ENOENT) */

#endif
