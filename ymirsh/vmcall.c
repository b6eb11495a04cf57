#include <ymir_vmc.h>

#include "vmcall.h"
#include "lib/rt.h"
#include "lib/sys.h"

static void (*ud_handler)(void);

#ifndef YMIRSH_VMCALL_PIPE

void vmcall_direct(struct ymir_vmcall_regs *r)
{
	__asm__ volatile("vmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx), "+S"(r->rsi), "+D"(r->rdi)
			 :
			 : "memory");
}

long vmcall_kernel(struct ymir_vmcall_regs *regs)
{
	return sys3(YMIR_SYS_VMCALL, regs, 0, 0);
}

long vmcall_map_counters(const volatile uint8_t **page)
{
	long address = sys3(YMIR_SYS_MAP_COUNTERS, 0, 0, 0);

	if (address >= 0) *page = (const volatile uint8_t *)address;
	return address < 0 ? address : 0;
}

#else
/*
 * The test double of a native test build: every VMCALL and kernel call is a frame on fd 3 (kind,
 * the six registers, the request bytes of a CALL) and an answer on fd 4 (the call's return value,
 * the six registers, then bytes for the response buffer or the counter page), which the vitest
 * suite answers with the TypeScript VMM services. A return value of 1 for a direct VMCALL means
 * "#UD": the double raises SIGILL, as the CPU would.
 */
enum { KIND_DIRECT, KIND_KERNEL, KIND_MAP_COUNTERS };

static void send_bytes(const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		long got = sys_write(3, (const char *)buf + done, n - done);
		if (got <= 0) sys_exit(70); /* the test went away */
		done += (size_t)got;
	}
}

static void receive_bytes(void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		long got = sys_read(4, (char *)buf + done, n - done);
		if (got <= 0) sys_exit(70);
		done += (size_t)got;
	}
}

static long exchange(uint32_t kind, struct ymir_vmcall_regs *regs, uint8_t *reply, uint32_t reply_room)
{
	int64_t ret;
	uint32_t n;

	send_bytes(&kind, sizeof(kind));
	send_bytes(regs, sizeof(*regs));
	if (kind != KIND_MAP_COUNTERS && regs->rax == YMIR_VMC_SERVICE_CALL && regs->rcx <= YMIR_VMC_MAX_MESSAGE_SIZE)
		send_bytes((const void *)regs->rbx, regs->rcx);
	receive_bytes(&ret, sizeof(ret));
	receive_bytes(regs, sizeof(*regs));
	receive_bytes(&n, sizeof(n));
	if (n > reply_room) sys_exit(71); /* more than the buffer the call named: a broken test */
	receive_bytes(reply, n);
	return ret;
}

void vmcall_direct(struct ymir_vmcall_regs *r)
{
	uint64_t response = r->rdx, capacity = r->rsi;
	int call = r->rax == YMIR_VMC_SERVICE_CALL;

	if (exchange(KIND_DIRECT, r, (uint8_t *)response, call ? (uint32_t)capacity : 0) == 1) sys_kill(sys_getpid(), SIGILL);
}

long vmcall_kernel(struct ymir_vmcall_regs *r)
{
	uint64_t response = r->rdx, capacity = r->rsi;
	int call = r->rax == YMIR_VMC_SERVICE_CALL;

	return exchange(KIND_KERNEL, r, (uint8_t *)response, call ? (uint32_t)capacity : 0);
}

long vmcall_map_counters(const volatile uint8_t **page)
{
	static uint8_t copy[YMIR_VMC_PAGE_SIZE];
	struct ymir_vmcall_regs regs = { 0 };
	long ret = exchange(KIND_MAP_COUNTERS, &regs, copy, sizeof(copy));

	*page = copy;
	return ret;
}
#endif

#define STRING(x) #x
#define NUMBER(x) STRING(x)

/* SA_RESTORER's trampoline: where a signal handler returns to, it asks the kernel to restore the context. */
void ymirsh_sigreturn(void);
__asm__(".text\n"
	".globl ymirsh_sigreturn\n"
	"ymirsh_sigreturn:\n\t"
	"mov $" NUMBER(__NR_rt_sigreturn) ", %eax\n\t"
	"syscall\n");

static void on_sigill(int sig)
{
	(void)sig;
	ud_handler();
}

void vmcall_on_ud(void (*on_ud)(void))
{
	struct sigaction action = { 0 };

	ud_handler = on_ud;
	action.sa_handler = on_sigill;
	action.sa_flags = SA_RESTORER;
	action.sa_restorer = ymirsh_sigreturn;
	sys_rt_sigaction(SIGILL, &action);
}
