/*
 * Every vCPU issues MIXED_CALLS_PER_VCPU VMCALLs of several kinds — PROBE, a multi-call of ECHO,
 * VCPU_REGS of a neighbour and EXIT_STATS, an unknown service — with RBP and R8..R15 all set to the
 * call's tag first, so a snapshot taken at the exit holds nine equal registers or is torn.
 */
#include "request.h"

#define MIXED_CALLS_PER_VCPU 4000
#define UNKNOWN_SERVICE 0x77
static u8 requests[16][1024] __attribute__((aligned(8)));
static u8 responses[16][16384] __attribute__((aligned(8)));
static volatile u8 done[16];
static volatile u8 failed;
static u32 vcpus;

/* VMCALL with the nine watched registers holding `tag` (RBP, R8..R15 are callee-saved or clobbered here). */
static s64 tagged_vmcall(u64 service, u64 request, u64 length, u64 response, u64 capacity, u64 tag) {
	register u64 r8 __asm__("r8") = tag, r9 __asm__("r9") = tag, r10 __asm__("r10") = tag, r11 __asm__("r11") = tag;
	register u64 r12 __asm__("r12") = tag, r13 __asm__("r13") = tag, r14 __asm__("r14") = tag, r15 __asm__("r15") = tag;
	u64 rax = service;
	__asm__ volatile("push %%rbp\n mov %[tag], %%rbp\n vmcall\n pop %%rbp"
		: "+a"(rax), "+b"(request), "+c"(length), "+d"(response), "+S"(capacity), /* PROBE answers in RDX and RSI */
		  "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
		: "D"(0ul), [tag] "m"(tag)
		: "memory");
	return (s64)rax;
}

static void work(u32 index) {
	struct request r;
	request_begin(&r, requests[index]);
	u8 echo[8];
	for (int k = 0; k < 8; k++) echo[k] = index;
	struct ymir_vmc_vcpu_args neighbour = { (index + 1) % vcpus, 0 };
	struct ymir_vmc_vcpu_args all = { YMIR_VMC_ALL_VCPUS, 0 };
	request_add(&r, YMIR_VMC_OP_ECHO, echo, sizeof echo);
	request_add(&r, YMIR_VMC_OP_VCPU_REGS, &neighbour, sizeof neighbour);
	request_add(&r, YMIR_VMC_OP_EXIT_STATS, &all, sizeof all);
	u32 length = request_end(&r, 0);
	for (u64 i = 0; i < MIXED_CALLS_PER_VCPU; i++) {
		int kind = i % 3;
		u64 service = kind == 0 ? YMIR_VMC_SERVICE_PROBE : kind == 1 ? YMIR_VMC_SERVICE_CALL : UNKNOWN_SERVICE;
		s64 status = tagged_vmcall(service, (u64)requests[index], length, (u64)responses[index], sizeof responses[index], i * 16 + index);
		if (kind < 2 && status != 0) failed = 1;
	}
	done[index] = 1;
}

static void ap(u32 index) {
	work(index);
	cli();
	for (;;) hlt();
}

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	x2apic_enable();
	vcpus = cpu_count();
	start_aps(vcpus, ap);
	work(0);
	for (u32 v = 1; v < vcpus; v++)
		while (!done[v]) __asm__ volatile("pause");
	bare_exit(failed);
}
