/*
 * Each CPU's GDT, TSS and system-call MSRs. The GDT follows Linux's order (layout.h) because
 * SYSCALL and SYSRET derive CS and SS from IA32_STAR by fixed offsets (SDM Vol. 2B SYSCALL,
 * SYSRET). The TSS supplies RSP0 for entries from CPL 3 and IST stacks for #DF, NMI and #MC,
 * which must not run on a stack that may be the cause of the fault.
 */
#include "kernel.h"
#include "asm.h"

extern char syscall_entry[];

struct percpu *cpus[MAX_CPUS];
u32 cpu_count = 1;

_Static_assert(offsetof(struct percpu, kernel_rsp) == PERCPU_KERNEL_RSP, "entry.S uses this offset");
_Static_assert(offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "entry.S uses this offset");
_Static_assert(offsetof(struct trapframe, cs) == TF_CS, "entry.S uses this offset");
_Static_assert(sizeof(struct trapframe) == 176, "entry.S builds it by pushes");
_Static_assert(sizeof(struct tss) == 104, "SDM Vol. 3A figure 8-11");

/* RFLAGS bits SYSCALL clears (IA32_FMASK): TF, IF, DF, IOPL, NT, RF, AC. */
#define SYSCALL_FMASK 0x57700

struct percpu *percpu_alloc(u32 cpu)
{
	struct percpu *pc = kmalloc(sizeof *pc);
	if (!pc)
		panic("no memory for CPU %u", cpu);
	pc->self = pc;
	pc->cpu = cpu;
	for (int i = 0; i < 3; i++) {
		u64 pa = page_alloc(IST_STACK_SIZE / PAGE_SIZE);
		if (!pa)
			panic("no memory for CPU %u's IST stacks", cpu);
		pc->tss.ist[i] = (u64)phys_to_virt(pa) + IST_STACK_SIZE;
	}
	pc->tss.iomap_base = sizeof(struct tss); /* no I/O bitmap: CPL 3 has no port access */
	cpus[cpu] = pc;
	return pc;
}

static void gdt_fill(struct percpu *pc)
{
	u64 *g = pc->gdt;
	g[0] = 0;
	g[GDT_KERNEL_CS32 / 8] = 0x00cf9a000000ffff;
	g[GDT_KERNEL_CS / 8] = 0x00af9a000000ffff; /* L = 1, D = 0 */
	g[GDT_KERNEL_DS / 8] = 0x00cf92000000ffff;
	/* No 32-bit user code segment: user space cannot enter compatibility mode, so the
	 * compatibility-mode SYSCALL target (IA32_CSTAR) is never used. The slot must stay here:
	 * SYSRET takes CS and SS as offsets from its selector. */
	g[GDT_USER_CS32 / 8] = 0;
	g[GDT_USER_DS / 8] = 0x00cff2000000ffff;
	g[GDT_USER_CS / 8] = 0x00affa000000ffff;
	g[7] = 0;
	/* A 16-byte system descriptor: available 64-bit TSS (type 9), present. */
	u64 base = (u64)&pc->tss, limit = sizeof(struct tss) - 1;
	g[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
			 (((base >> 24) & 0xff) << 56);
	g[GDT_TSS / 8 + 1] = base >> 32;
}

/* Load this CPU's GDT (reloading CS with a far return), TSS, IDT, GS base and SYSCALL MSRs. */
void cpu_init_tables(struct percpu *pc)
{
	gdt_fill(pc);
	struct descriptor_pointer gdtr = { sizeof pc->gdt - 1, (u64)pc->gdt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"((u64)GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"(GDT_TSS)
			 : "rax", "memory");
	idt_load();
	wrmsr(MSR_GS_BASE, (u64)pc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	wrmsr(MSR_STAR, ((u64)GDT_USER_CS32 << 48) | ((u64)GDT_KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
}

void set_kernel_stack(u64 top)
{
	struct percpu *pc = this_cpu();
	pc->kernel_rsp = top;
	pc->tss.rsp[0] = top;
}
