/*
 * Exceptions through the guest's own IDT, one by one: each handler reports the vector, error
 * code, CR2 and the RIP the CPU saved, and resumes after the faulting instruction (whose address
 * and length come from labels around it). The host test compares them with the instructions.
 */
#include "bare.h"

static volatile u64 seen_vector, seen_error, seen_rip, seen_cr2;
static volatile u64 resume_at;

static void record(struct frame *f) {
	u64 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	seen_vector = f->vector;
	seen_error = f->error;
	seen_rip = f->rip;
	seen_cr2 = cr2;
	f->rip = resume_at;
}

#define TRY(name, code)                                                           \
	do {                                                                          \
		extern char name##_start[], name##_end[];                                 \
		resume_at = (u64)name##_end;                                              \
		seen_vector = ~0ul;                                                       \
		__asm__ volatile(".globl " #name "_start, " #name "_end\n" #name "_start:\n" code "\n" #name "_end:\n" ::: "memory", "rax", "rcx", "rdx"); \
		report(#name, (u64)name##_start, (u64)name##_end);                        \
	} while (0)

static void report(const char *name, u64 start, u64 end) {
	puts(name); puts(": vector "); put_dec(seen_vector); puts(" error "); put_hex(seen_error);
	puts(" cr2 "); put_hex(seen_cr2); puts(" rip-start "); put_hex(seen_rip - start); puts(" end-start "); put_hex(end - start); putc('\n');
}

extern u64 pd[];

void bare_main(u32 magic, u64 info) {
	(void)magic; (void)info;
	idt_init();
	for (int v = 0; v < 32; v++) set_handler(v, record);
	TRY(divide_error, "xor %%ecx, %%ecx; mov $1, %%eax; xor %%edx, %%edx; div %%ecx");
	TRY(invalid_opcode, "ud2");
	TRY(breakpoint, "int3");
	TRY(non_canonical, "movabs $0x0000800000000000, %%rax; mov (%%rax), %%rax");
	TRY(not_present, "movabs $0x0000000123456789, %%rax; mov (%%rax), %%rax");
	/* The last 2 MiB of the first GiB become read-only; CR0.WP makes the kernel's own write fault. */
	pd[511] &= ~2ul;
	__asm__ volatile("invlpg (%0)" :: "r"(0x3fe00000ul) : "memory");
	TRY(write_protected, "mov $0x3fe00010, %%eax; movl $1, (%%rax)");
	pd[511] |= 2ul;
	__asm__ volatile("invlpg (%0)" :: "r"(0x3fe00000ul) : "memory");
	set_handler(0x30, record);
	TRY(software_interrupt, "int $0x30");
	/* #PF whose handler's gate is not present: #NP during delivery becomes #DF (SDM Table 6-5). */
	set_handler(8, record);
	idt_present(14, 0);
	TRY(double_fault, "movabs $0x0000000123456789, %%rax; mov (%%rax), %%rax");
	bare_exit(42);
}
