/* systest: the small system calls — identities, clocks, sleeps, arch_prctl, writev, ioctl
 * errors, and -ENOSYS for a number the kernel does not know (which it logs once). */
#include "libc.h"

static int failures;

static void check(bool ok, const char *what)
{
	printf("systest: %s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static unsigned long ns(const struct timespec *t) { return (unsigned long)t->tv_sec * 1000000000UL + (unsigned long)t->tv_nsec; }

int main(void)
{
	check(getpid() > 1 && getppid() == 1, "getpid, getppid (the shell is pid 1)");
	check(getuid() == 0 && geteuid() == 0 && syscall0(__NR_getgid) == 0 && syscall0(__NR_getegid) == 0, "root's uid and gid");
	check(syscall1(__NR_set_tid_address, 0) == getpid(), "set_tid_address returns the tid");

	struct timespec a, b, c, sleep = { 0, 20000000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	check(nanosleep(&sleep, 0) == 0, "nanosleep(20 ms)");
	clock_gettime(CLOCK_MONOTONIC, &b);
	check(ns(&b) - ns(&a) >= 20000000, "the monotonic clock moved at least the 20 ms slept");
	check(clock_gettime(CLOCK_REALTIME, &c) == 0 && ns(&c) >= ns(&b), "CLOCK_REALTIME counts from boot too");
	check(clock_gettime(99, &c) == -EINVAL, "an unknown clock is EINVAL");
	struct timespec bad = { 0, 1000000000 };
	check(nanosleep(&bad, 0) == -EINVAL, "nanosleep rejects tv_nsec >= 1e9");

	static unsigned long tls[4] = { 0x7715 };
	unsigned long fs = 0, v;
	check(syscall2(__NR_arch_prctl, ARCH_SET_FS, tls) == 0 && syscall2(__NR_arch_prctl, ARCH_GET_FS, &fs) == 0 && fs == (unsigned long)tls,
	      "arch_prctl(ARCH_SET_FS, ARCH_GET_FS)");
	__asm__ volatile("movq %%fs:0, %0" : "=r"(v));
	check(v == 0x7715, "%fs:0 reads through the new FS base");
	check(syscall2(__NR_arch_prctl, ARCH_SET_FS, 0xffff800000000000UL) == -EPERM, "a kernel FS base is EPERM");

	struct iovec iov[] = { { "systest: ", 9 }, { "ok   writev ", 12 }, { "joins pieces\n", 13 } };
	check(writev(1, iov, 3) == 34, "writev returns the total");
	int fd = open("/etc/motd", O_RDONLY);
	struct termios t;
	check(ioctl(fd, TCGETS, &t) == -ENOTTY && ioctl(0, TCGETS, &t) == 0 && (t.c_lflag & ICANON), "TCGETS: ENOTTY on a file, cooked mode on the console");
	check(read(99, &v, 1) == -EBADF && read(fd, (void *)0xffff800000000000UL, 8) == -EFAULT, "EBADF, and EFAULT for a kernel address");
	check(syscall0(999) == -ENOSYS && syscall0(999) == -ENOSYS, "an unknown system call is ENOSYS (logged once)");
	struct utsname u;
	check(uname(&u) == 0 && !strcmp(u.sysname, "ymir-guest") && !strcmp(u.machine, "x86_64"), "uname says ymir-guest");
	printf("systest: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
