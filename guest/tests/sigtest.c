/*
 * sigtest: signal delivery with Linux's rt_sigframe. A handler gets the siginfo and a ucontext
 * whose registers it can change; rt_sigreturn resumes from them. Prints one line per check and
 * exits 0 only when all pass.
 */
#include "libc.h"

static int failures;
static volatile int usr1_count;
static volatile siginfo_t usr1_info;

static void check(bool ok, const char *what)
{
	printf("sigtest: %s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	usr1_count++;
	usr1_info = *info;
}

/* ud2 is 0F 0B: the handler sees si_addr at it and resumes two bytes on. */
static volatile unsigned long ill_addr, ill_code;
static void on_ill(int sig, siginfo_t *info, void *ucv)
{
	struct ucontext *uc = ucv;
	ill_addr = (unsigned long)info->si_addr;
	ill_code = (unsigned long)info->si_code;
	if (uc->uc_mcontext.rip == ill_addr)
		uc->uc_mcontext.rip += 2;
}

/* A fault on an unmapped page: resume at a chosen place by rewriting RIP. */
static volatile unsigned long segv_addr, segv_cr2, segv_trapno;
static volatile int segv_code;
static unsigned long resume_at;
static void on_segv(int sig, siginfo_t *info, void *ucv)
{
	struct ucontext *uc = ucv;
	segv_addr = (unsigned long)info->si_addr;
	segv_code = info->si_code;
	segv_cr2 = uc->uc_mcontext.cr2;
	segv_trapno = uc->uc_mcontext.trapno;
	uc->uc_mcontext.rip = resume_at;
}

static unsigned long read_bad(volatile unsigned long *p)
{
	__asm__ volatile("leaq 1f(%%rip), %0" : "=r"(resume_at));
	unsigned long v = *p;
	__asm__ volatile("1:");
	return v;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = (void *)on_usr1, .sa_flags = SA_SIGINFO };
	check(sigaction(SIGUSR1, &sa, 0) == 0, "sigaction(SIGUSR1)");
	raise(SIGUSR1);
	check(usr1_count == 1 && usr1_info.si_signo == SIGUSR1 && usr1_info.si_code == SI_TKILL && usr1_info.si_pid == getpid(),
	      "a raised signal runs the handler with its siginfo");

	sigset_t block = 1ULL << (SIGUSR1 - 1), old;
	sigprocmask(SIG_BLOCK, &block, &old);
	raise(SIGUSR1);
	check(usr1_count == 1, "a blocked signal waits");
	sigprocmask(SIG_SETMASK, &old, 0);
	check(usr1_count == 2, "unblocking delivers it");

	struct sigaction ill = { .sa_handler = (void *)on_ill, .sa_flags = SA_SIGINFO };
	sigaction(SIGILL, &ill, 0);
	unsigned long ud2_at;
	__asm__ volatile("leaq 1f(%%rip), %0\n1: ud2" : "=r"(ud2_at));
	check(ill_addr == ud2_at && ill_code == ILL_ILLOPN, "ud2 gives SIGILL at its address, ILL_ILLOPN, and resumes after it");

	struct sigaction segv = { .sa_handler = (void *)on_segv, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &segv, 0);
	read_bad((volatile unsigned long *)0x1000);
	check(segv_addr == 0x1000 && segv_cr2 == 0x1000 && segv_trapno == 14 && segv_code == SEGV_MAPERR,
	      "a read of an unmapped page gives SIGSEGV, SEGV_MAPERR, si_addr = cr2, trapno 14");

	/* rt_sigreturn restores every register, including the ones SYSRET would clobber. */
	unsigned long r12 = 0x1212121212121212, r15 = 0x1515151515151515, got12, got15;
	__asm__ volatile("movq %2, %%r12\n movq %3, %%r15\n"
			 "movl $200, %%eax\n" /* tkill(getpid(), SIGUSR1) */
			 "movq %4, %%rdi\n movl $10, %%esi\n syscall\n"
			 "movq %%r12, %0\n movq %%r15, %1"
			 : "=r"(got12), "=r"(got15)
			 : "r"(r12), "r"(r15), "r"((long)getpid())
			 : "rax", "rdi", "rsi", "rcx", "r11", "r12", "r15", "memory");
	check(got12 == r12 && got15 == r15 && usr1_count == 3, "registers survive a handler run on a system call's return");

	printf("sigtest: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
