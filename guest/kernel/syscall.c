/*
 * The system-call table and dispatch: Linux x86-64 numbers (include/uapi/unistd.h), arguments
 * in RDI, RSI, RDX, R10, R8, R9, the result (or -errno) in RAX. Numbers from 0x1000 are
 * ymir-guest's own (include/uapi/ymir.h). A number with no handler answers -ENOSYS and is
 * logged the first time it is seen.
 */
#include "syscall.h"
#include "asm.h"
#include "../include/uapi/unistd.h"
#include "../include/uapi/ymir.h"

#define RFLAGS_TF 0x100
#define RFLAGS_RF 0x10000

#define ENTRY(name) [__NR_##name] = sys_##name,
static const syscall_fn table[] = { SYSCALLS(ENTRY) };
#undef ENTRY

static u64 logged[(YMIR_SYS_MAP_COUNTERS + 64) / 64];

static void log_unknown(u64 nr)
{
	struct proc *p = current_proc();
	if (nr < sizeof logged * 8) {
		if (logged[nr / 64] & (1ULL << (nr % 64)))
			return;
		logged[nr / 64] |= 1ULL << (nr % 64);
	}
	printk("%s[%d]: unimplemented system call %lu: -ENOSYS\n", p->comm, p->pid, nr);
}

void syscall_dispatch(struct trapframe *tf)
{
	sti();
	u64 nr = tf->error;
	s64 ret;
	if (nr < ARRAY_SIZE(table) && table[nr])
		ret = table[nr](tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	else if (nr == YMIR_SYS_VMCALL)
		ret = sys_ymir_vmcall(tf->rdi);
	else if (nr == YMIR_SYS_MAP_COUNTERS)
		ret = sys_ymir_map_counters();
	else {
		log_unknown(nr);
		ret = -ENOSYS;
	}
	tf->rax = (u64)ret;
}

/* Work before any return to CPL 3: a pending reschedule, then signals. Ends with IF = 0. */
void prepare_exit_to_user(struct trapframe *tf)
{
	for (;;) {
		cli();
		if (need_resched) {
			need_resched = false;
			yield();
			continue;
		}
		if (signal_pending(current_proc()) || (tf->vector == TRAP_SYSCALL && (s64)tf->rax == -ERESTARTSYS)) {
			deliver_signals(tf);
			if (signal_pending(current_proc()))
				continue;
		}
		return;
	}
}

/* SYSRET reloads RIP from RCX and RFLAGS from R11 and cannot return to a non-canonical RIP
 * without faulting at CPL 0 (SDM Vol. 2B SYSRET), so it serves only frames it restores
 * exactly; the rest (signal delivery, rt_sigreturn, execve) leave by IRETQ. */
int syscall_exit_to_user(struct trapframe *tf)
{
	prepare_exit_to_user(tf);
	return tf->rcx == tf->rip && tf->r11 == tf->rflags && tf->cs == GDT_USER_CS && tf->ss == GDT_USER_DS &&
	       tf->rip < TASK_SIZE && !(tf->rflags & (RFLAGS_TF | RFLAGS_RF));
}
