/* memtest: brk, anonymous mmap, munmap and mprotect, faults included. */
#include "libc.h"

static int failures;
static volatile int faults, fault_code;
static volatile unsigned long fault_addr;
static unsigned long resume_at;

static void check(bool ok, const char *what)
{
	printf("memtest: %s %s\n", ok ? "ok  " : "FAIL", what);
	failures += !ok;
}

static void on_segv(int sig, siginfo_t *info, void *ucv)
{
	struct ucontext *uc = ucv;
	faults++;
	fault_code = info->si_code;
	fault_addr = (unsigned long)info->si_addr;
	uc->uc_mcontext.rip = resume_at;
}

/* Write p[0]; a fault resumes after the store. Returns whether it faulted. */
static bool store_faults(volatile char *p)
{
	int before = faults;
	__asm__ volatile("leaq 1f(%%rip), %0" : "=r"(resume_at));
	*p = 1;
	__asm__ volatile("1:" ::: "memory");
	return faults != before;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = (void *)on_segv, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, 0);

	char *start = (char *)brk(0);
	char *grown = (char *)brk(start + 3 * 4096 + 5);
	check(grown == start + 3 * 4096 + 5, "brk grows the heap");
	memset(start, 0xab, 3 * 4096 + 5);
	check((unsigned char)start[3 * 4096 + 4] == 0xab, "the heap is writable to its end");
	check((char *)brk(start + 4096) == start + 4096 && store_faults(start + 2 * 4096 + 8), "brk shrinks it, and a page past the end faults");
	check(!store_faults(start + 100), "the part kept is still there");

	size_t len = 1 << 20;
	char *m = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check((long)m > 0 && ((unsigned long)m & 4095) == 0, "mmap returns a page-aligned address");
	bool zero = true;
	for (size_t i = 0; i < len; i += 4096)
		zero &= m[i] == 0;
	m[len - 1] = 7;
	check(zero && m[len - 1] == 7, "anonymous memory starts zeroed and is writable");

	check(mprotect(m, 4096, PROT_READ) == 0 && store_faults(m) && fault_code == SEGV_ACCERR && fault_addr == (unsigned long)m,
	      "mprotect(PROT_READ) makes a write fault with SEGV_ACCERR");
	check(mprotect(m, 4096, PROT_READ | PROT_WRITE) == 0 && !store_faults(m), "mprotect back to PROT_WRITE allows it again");
	check(munmap(m + 4096, 4096) == 0 && store_faults(m + 4096) && fault_code == SEGV_MAPERR, "munmap leaves a hole that faults with SEGV_MAPERR");
	check(!store_faults(m + 2 * 4096), "the pages around the hole stay");

	char *fixed = mmap(m + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	check(fixed == m + 4096 && !store_faults(fixed), "MAP_FIXED fills the hole");
	check((long)mmap(0, 4096, PROT_READ, MAP_PRIVATE, 0, 0) == -ENODEV, "file mappings answer ENODEV");
	check(munmap(m, len) == 0, "munmap of the whole range");

	char *big = malloc(100000);
	check(big && (memset(big, 1, 100000), big[99999] == 1), "malloc on brk");
	printf("memtest: %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
