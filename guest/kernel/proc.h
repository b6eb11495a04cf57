/* Processes: the trap frame every kernel entry builds, the saved kernel context, struct proc. */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "types.h"
#include "../include/uapi/abi.h"

/* Built by entry.S on the kernel stack; the layout is the push order there. */
struct trapframe {
	u64 r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
	u64 vector; /* exception or IRQ vector; TRAP_SYSCALL for the SYSCALL entry */
	u64 error;  /* the error code, or for SYSCALL the system-call number */
	u64 rip, cs, rflags, rsp, ss;
}; /* 176 bytes */

/* What swtch saves: the callee-saved registers and the return address. */
struct context {
	u64 r15, r14, r13, r12, rbx, rbp, rip;
};

enum proc_state { PROC_UNUSED, PROC_EMBRYO, PROC_RUNNABLE, PROC_RUNNING, PROC_SLEEPING, PROC_ZOMBIE };

#define MAX_PROCS 64
#define MAX_FDS 64

struct mm;
struct file;
struct inode;

struct k_sigaction {
	void *handler;
	u64 flags;
	u64 restorer;
	sigset_t mask;
};

struct proc {
	enum proc_state state;
	int pid, ppid, pgid, sid;
	u32 uid, euid, gid, egid;
	char comm[16];           /* the executable's name, as Linux's task->comm */
	struct proc *parent;

	u8 *kstack;              /* KSTACK_SIZE bytes; the trapframe sits at its top */
	struct trapframe *tf;
	struct context *context;
	struct mm *mm;           /* shared with the parent between vfork and execve or exit */
	struct proc *vfork_parent; /* the parent waiting for this child to execve or exit */
	u64 fs_base, gs_base;

	struct file *files[MAX_FDS];
	u32 cloexec[(MAX_FDS + 31) / 32];
	struct inode *cwd;

	const void *chan;        /* what a sleeping process waits for */
	bool interruptible;      /* a signal ends the sleep */
	u64 wake_at;             /* a timed sleep's deadline in ns since boot, 0 for none */

	struct k_sigaction sigactions[NSIG];
	sigset_t blocked, pending;
	siginfo_t siginfo[NSIG]; /* the information of each pending signal */

	u64 fault_trapno, fault_error, fault_cr2; /* for the sigcontext of a fault's signal */

	int exit_status;         /* wait4's status word */
	u64 clear_child_tid;
	u64 start_ns;
};

extern struct proc procs[MAX_PROCS];

#define SIGMASK(sig) (1ULL << ((sig) - 1))

#endif
