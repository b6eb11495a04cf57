/* Per-CPU state, reached through GS (IA32_GS_BASE holds the kernel's while in the kernel;
 * SWAPGS exchanges it with the user's in IA32_KERNEL_GS_BASE on every entry from CPL 3). */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include "types.h"
#include "layout.h"

#define MAX_CPUS 64

/* The 64-bit TSS (SDM Vol. 3A 8.7): RSP0 for entries from CPL 3, IST stacks. */
struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} packed; /* 104 bytes */

struct proc;
struct context;

struct percpu {
	struct percpu *self;     /* 0: so C reads its own address with one GS load */
	u64 kernel_rsp;          /* 8: top of the current process's kernel stack (also TSS.RSP0) */
	u64 user_rsp;            /* 16: the SYSCALL entry's scratch slot for the user RSP */
	struct proc *current;    /* the process running on this CPU, or none */
	struct context *scheduler; /* where sched() switches back to */
	u32 cpu;                 /* index, 0 = BSP */
	u32 apic_id;
	u64 gdt[GDT_ENTRIES];
	struct tss tss;
	volatile u32 online;
};

extern struct percpu *cpus[MAX_CPUS];
extern u32 cpu_count;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#endif
