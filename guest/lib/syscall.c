/* System-call wrappers: each returns the kernel's answer, negative errno on failure. */
#include "libc.h"

char **environ;
extern int main(int argc, char **argv, char **envp);
extern void __restore_rt(void);

__attribute__((noreturn)) void __libc_start(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	environ = argv + argc + 1;
	exit(main(argc, argv, environ));
}

ssize_t read(int fd, void *buf, size_t n) { return syscall3(__NR_read, fd, buf, n); }
ssize_t write(int fd, const void *buf, size_t n) { return syscall3(__NR_write, fd, buf, n); }
ssize_t writev(int fd, const struct iovec *iov, int count) { return syscall3(__NR_writev, fd, iov, count); }
int openat(int dirfd, const char *path, int flags, unsigned mode) { return (int)syscall4(__NR_openat, dirfd, path, flags, mode); }

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	unsigned mode = flags & O_CREAT ? va_arg(ap, unsigned) : 0;
	va_end(ap);
	return openat(AT_FDCWD, path, flags, mode);
}

int close(int fd) { return (int)syscall1(__NR_close, fd); }
long lseek(int fd, long off, int whence) { return syscall3(__NR_lseek, fd, off, whence); }
int fstat(int fd, struct stat *st) { return (int)syscall2(__NR_fstat, fd, st); }
int stat(const char *path, struct stat *st) { return (int)syscall4(__NR_newfstatat, AT_FDCWD, path, st, 0); }
int lstat(const char *path, struct stat *st) { return (int)syscall4(__NR_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW); }
long getdents64(int fd, void *buf, size_t n) { return syscall3(__NR_getdents64, fd, buf, n); }
int ioctl(int fd, unsigned long request, void *arg) { return (int)syscall3(__NR_ioctl, fd, request, arg); }
int dup(int fd) { return (int)syscall1(__NR_dup, fd); }
int dup2(int fd, int newfd) { return (int)syscall2(__NR_dup2, fd, newfd); }
int chdir(const char *path) { return (int)syscall1(__NR_chdir, path); }
long getcwd(char *buf, size_t size) { return syscall2(__NR_getcwd, buf, size); }
int mkdir(const char *path, unsigned mode) { return (int)syscall2(__NR_mkdir, path, mode); }
int unlink(const char *path) { return (int)syscall1(__NR_unlink, path); }
int tcgetattr(int fd, struct termios *t) { return ioctl(fd, TCGETS, t); }
int tcsetattr(int fd, int request, const struct termios *t) { return ioctl(fd, (unsigned long)request, (void *)t); }

long brk(void *addr) { return syscall1(__NR_brk, addr); }
void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)syscall6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
int munmap(void *addr, size_t len) { return (int)syscall2(__NR_munmap, addr, len); }
int mprotect(void *addr, size_t len, int prot) { return (int)syscall3(__NR_mprotect, addr, len, prot); }

__attribute__((noreturn)) void exit(int status)
{
	for (;;)
		syscall1(__NR_exit_group, status);
}
int execve(const char *path, char *const argv[], char *const envp[]) { return (int)syscall3(__NR_execve, path, argv, envp); }
pid_t wait4(pid_t pid, int *status, int options, void *rusage) { return (pid_t)syscall4(__NR_wait4, pid, status, options, rusage); }
pid_t waitpid(pid_t pid, int *status, int options) { return wait4(pid, status, options, 0); }
pid_t getpid(void) { return (pid_t)syscall0(__NR_getpid); }
pid_t getppid(void) { return (pid_t)syscall0(__NR_getppid); }
unsigned getuid(void) { return (unsigned)syscall0(__NR_getuid); }
unsigned geteuid(void) { return (unsigned)syscall0(__NR_geteuid); }
int kill(pid_t pid, int sig) { return (int)syscall2(__NR_kill, pid, sig); }
int raise(int sig) { return (int)syscall2(__NR_tkill, getpid(), sig); }
int uname(struct utsname *u) { return (int)syscall1(__NR_uname, u); }
int sysinfo(struct sysinfo *si) { return (int)syscall1(__NR_sysinfo, si); }
int sched_yield(void) { return (int)syscall0(__NR_sched_yield); }

int reboot_poweroff(int status)
{
	return (int)syscall4(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, status);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction k;
	if (act) {
		k = *act;
		k.sa_flags |= SA_RESTORER;
		k.sa_restorer = __restore_rt;
	}
	return (int)syscall4(__NR_rt_sigaction, sig, act ? &k : 0, old, sizeof(sigset_t));
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)syscall4(__NR_rt_sigprocmask, how, set, old, sizeof(sigset_t));
}

void *signal(int sig, void *handler)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;
	int r = sigaction(sig, &act, &old);
	return r < 0 ? (void *)(long)r : old.sa_handler;
}

int clock_gettime(int clock, struct timespec *ts) { return (int)syscall2(__NR_clock_gettime, clock, ts); }
int nanosleep(const struct timespec *req, struct timespec *rem) { return (int)syscall2(__NR_nanosleep, req, rem); }

long ymir_vmcall(struct ymir_vmcall_regs *regs) { return syscall1(YMIR_SYS_VMCALL, regs); }
long ymir_map_counters(void) { return syscall0(YMIR_SYS_MAP_COUNTERS); }
