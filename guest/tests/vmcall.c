/*
 * vmcall: the HELLO VMCALL (service 0) at CPL 3, as the seed's ymirsh makes it. Where no VMM
 * answers (QEMU, a stealthy VMM) the CPU raises #UD and the kernel sends SIGILL: without -h
 * the program dies of it (status 132), with -h a handler reports it and steps over the 3-byte
 * instruction. Then the kernel's CPL-0 calls (uapi/ymir.h), which answer -ENODEV there.
 */
#include "libc.h"

static volatile int ud;
static void on_ill(int sig, siginfo_t *info, void *ucv)
{
	struct ucontext *uc = ucv;
	const unsigned char *insn = info->si_addr;
	if (insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xc1) { /* VMCALL */
		ud = 1;
		uc->uc_mcontext.rip += 3;
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "-h")) {
		struct sigaction sa = { .sa_handler = (void *)on_ill, .sa_flags = SA_SIGINFO };
		sigaction(SIGILL, &sa, 0);
	}
	long rax = 0;
	__asm__ volatile("vmcall" : "+a"(rax) : : "memory");
	if (ud)
		printf("vmcall: VMCALL raised #UD (SIGILL): no VMM answers here\n");
	else
		printf("vmcall: HELLO answered %ld\n", rax);
	struct ymir_vmcall_regs r = { .rax = 1 }; /* PROBE */
	long k = ymir_vmcall(&r);
	printf("vmcall: ymir_vmcall(PROBE) = %ld%s%s", k, k ? " " : "", k ? strerror((int)-k) : "");
	if (!k)
		printf(", status %ld, magic 0x%lx", (long)r.rax, (unsigned long)r.rbx);
	long page = ymir_map_counters();
	printf("\nvmcall: ymir_map_counters() = %ld%s%s\n", page, page < 0 ? " " : "", page < 0 ? strerror((int)-page) : "");
	return 0;
}
