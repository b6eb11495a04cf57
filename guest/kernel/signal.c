/*
 * Signals with Linux x86-64's frame (arch/x86/kernel/signal_64.c): a handler runs on the user
 * stack below the red zone with an rt_sigframe (return address = sa_restorer, a ucontext with
 * the interrupted registers and mask, a siginfo); rt_sigreturn puts the registers back. An
 * interrupted system call that answered -ERESTARTSYS runs again unless a handler without
 * SA_RESTART ran, then it answers -EINTR. No FPU state is saved (fpstate = 0): the kernel does
 * not enable SSE yet.
 */
#include "kernel.h"
#include "asm.h"
#include "syscall.h"

#define RFLAGS_TF 0x100
#define RFLAGS_DF 0x400
#define RFLAGS_RF 0x10000
/* The flags a handler may change through its ucontext (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5
#define UNBLOCKABLE (SIGMASK(SIGKILL) | SIGMASK(SIGSTOP))

static bool default_ignored(int sig)
{
	/* Without job control the stop signals do nothing. */
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH || sig == SIGSTOP || sig == SIGTSTP ||
	       sig == SIGTTIN || sig == SIGTTOU;
}

/* Would the signal be dropped on arrival? init (pid 1) gets only signals it handles. */
static bool ignored(struct proc *p, int sig)
{
	void *h = p->sigactions[sig - 1].handler;
	if (sig == SIGKILL)
		return p->pid == 1;
	return h == SIG_IGN || (h == SIG_DFL && (default_ignored(sig) || p->pid == 1));
}

bool signal_pending(struct proc *p) { return p->pending & ~p->blocked; }

void send_signal(struct proc *p, int sig, const siginfo_t *info)
{
	if (sig < 1 || sig > NSIG || ignored(p, sig))
		return;
	u64 f = irq_save();
	p->pending |= SIGMASK(sig);
	p->siginfo[sig - 1] = *info;
	p->siginfo[sig - 1].si_signo = sig;
	if (!(p->blocked & SIGMASK(sig)) || sig == SIGKILL)
		wake_process(p);
	irq_restore(f);
}

int signal_pgrp(int pgrp, int sig)
{
	siginfo_t info = { .si_code = SI_KERNEL };
	int n = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].state != PROC_ZOMBIE && procs[i].pgid == pgrp) {
			send_signal(&procs[i], sig, &info);
			n++;
		}
	return n;
}

/* A fault's signal: it cannot be blocked or ignored away (Linux's force_sig_fault), and when
 * nothing handles it the process dies with a line in the log, as Linux's show_unhandled_signals. */
void force_signal(int sig, int code, u64 addr, struct trapframe *tf)
{
	struct proc *p = current_proc();
	struct k_sigaction *ka = &p->sigactions[sig - 1];
	if (ka->handler == SIG_IGN || (p->blocked & SIGMASK(sig))) {
		ka->handler = SIG_DFL;
		p->blocked &= ~SIGMASK(sig);
	}
	p->fault_trapno = tf->vector;
	p->fault_error = tf->error;
	if (ka->handler == SIG_DFL) {
		if (sig == SIGSEGV && tf->vector == 14)
			printk("%s[%d]: segfault at %lx ip %016lx sp %016lx error %lx\n", p->comm, p->pid, addr, tf->rip, tf->rsp, tf->error);
		else
			printk("traps: %s[%d] trap %s ip:%lx sp:%lx error:%lx\n", p->comm, p->pid,
			       sig == SIGILL ? "invalid opcode" : sig == SIGFPE ? "divide error" : sig == SIGSEGV ? "general protection" : "trap",
			       tf->rip, tf->rsp, tf->error);
	}
	siginfo_t info = { .si_signo = sig, .si_code = code };
	info.si_addr = (void *)addr;
	p->pending |= SIGMASK(sig);
	p->siginfo[sig - 1] = info;
}

static bool is_syscall_frame(struct trapframe *tf) { return tf->vector == TRAP_SYSCALL && (s64)tf->error >= 0; }

static void restart_syscall(struct trapframe *tf)
{
	tf->rax = tf->error;
	tf->rip -= 2; /* SYSCALL is 0F 05 */
}

static bool canonical(u64 a) { return (u64)((s64)(a << 16) >> 16) == a; }

static bool setup_frame(struct proc *p, int sig, struct k_sigaction *ka, const siginfo_t *info, struct trapframe *tf)
{
	if (!(ka->flags & SA_RESTORER))
		return false; /* x86-64 Linux has no default restorer either */
	u64 sp = tf->rsp - 128; /* the red zone below RSP belongs to the interrupted code */
	u64 addr = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8;
	struct rt_sigframe fr;
	memset(&fr, 0, sizeof fr);
	fr.pretcode = ka->restorer;
	fr.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	fr.uc.uc_stack.ss_flags = SS_DISABLE;
	struct sigcontext *mc = &fr.uc.uc_mcontext;
	*mc = (struct sigcontext){
		.r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11, .r12 = tf->r12, .r13 = tf->r13,
		.r14 = tf->r14, .r15 = tf->r15, .rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
		.rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp, .rip = tf->rip, .eflags = tf->rflags,
		.cs = (u16)tf->cs, .ss = (u16)tf->ss, .err = p->fault_error, .trapno = p->fault_trapno,
		.oldmask = p->blocked, .cr2 = p->fault_cr2,
	};
	fr.uc.uc_sigmask = p->blocked;
	fr.info = *info;
	if (copy_to_user((void *)addr, &fr, sizeof fr))
		return false;
	tf->rip = (u64)ka->handler;
	tf->rsp = addr;
	tf->rdi = (u64)sig;
	tf->rsi = addr + offsetof(struct rt_sigframe, info);
	tf->rdx = addr + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(u64)(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
	tf->cs = GDT_USER_CS;
	tf->ss = GDT_USER_DS;
	return true;
}

/* Act on the lowest pending unblocked signal: ignore it, die of it, or run its handler. Called
 * on the way back to user mode with interrupts off. */
void deliver_signals(struct trapframe *tf)
{
	struct proc *p = current_proc();
	u64 sigs;
	while ((sigs = p->pending & ~p->blocked)) {
		int sig = __builtin_ctzll(sigs) + 1;
		p->pending &= ~SIGMASK(sig);
		siginfo_t info = p->siginfo[sig - 1];
		struct k_sigaction *ka = &p->sigactions[sig - 1];
		if (ka->handler == SIG_IGN || (ka->handler == SIG_DFL && default_ignored(sig)))
			continue;
		if (ka->handler == SIG_DFL)
			do_exit(sig); /* the wait status of a death by signal: the number, no core */
		if (is_syscall_frame(tf) && (s64)tf->rax == -ERESTARTSYS) {
			if (ka->flags & SA_RESTART)
				restart_syscall(tf);
			else
				tf->rax = (u64)-EINTR;
		}
		if (!setup_frame(p, sig, ka, &info, tf)) {
			printk("%s[%d]: cannot deliver signal %d (bad stack or no SA_RESTORER)\n", p->comm, p->pid, sig);
			do_exit(SIGSEGV);
		}
		p->blocked |= ka->mask | (ka->flags & SA_NODEFER ? 0 : SIGMASK(sig));
		p->blocked &= ~UNBLOCKABLE;
		if (ka->flags & SA_RESETHAND)
			ka->handler = SIG_DFL, ka->flags = 0;
		tf->error = (u64)-1; /* the handler's frame is not a system call to restart */
		return;
	}
	if (is_syscall_frame(tf) && (s64)tf->rax == -ERESTARTSYS) {
		restart_syscall(tf);
		tf->error = (u64)-1;
	}
}

void signals_exec_reset(struct proc *p)
{
	for (int i = 0; i < NSIG; i++)
		if (p->sigactions[i].handler != SIG_IGN)
			p->sigactions[i] = (struct k_sigaction){ 0 };
}

SYSCALL_DEFINE(rt_sigaction)
{
	u64 sig = a0, uact = a1, uoact = a2, size = a3;
	struct proc *p = current_proc();
	if (size != sizeof(sigset_t) || sig < 1 || sig > NSIG || (uact && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	struct k_sigaction *ka = &p->sigactions[sig - 1];
	struct sigaction old = { ka->handler, ka->flags, (void (*)(void))ka->restorer, ka->mask };
	if (uact) {
		struct sigaction act;
		if (copy_from_user(&act, (const void *)uact, sizeof act))
			return -EFAULT;
		*ka = (struct k_sigaction){ act.sa_handler, act.sa_flags, (u64)act.sa_restorer, act.sa_mask & ~UNBLOCKABLE };
		if (ignored(p, (int)sig))
			p->pending &= ~SIGMASK(sig); /* POSIX: setting SIG_IGN discards a pending signal */
	}
	if (uoact && copy_to_user((void *)uoact, &old, sizeof old))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigprocmask)
{
	u64 how = a0, uset = a1, uoset = a2, size = a3;
	struct proc *p = current_proc();
	if (size != sizeof(sigset_t))
		return -EINVAL;
	sigset_t old = p->blocked, set;
	if (uset) {
		if (copy_from_user(&set, (const void *)uset, sizeof set))
			return -EFAULT;
		if (how == SIG_BLOCK)
			p->blocked |= set;
		else if (how == SIG_UNBLOCK)
			p->blocked &= ~set;
		else if (how == SIG_SETMASK)
			p->blocked = set;
		else
			return -EINVAL;
		p->blocked &= ~UNBLOCKABLE;
	}
	if (uoset && copy_to_user((void *)uoset, &old, sizeof old))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE(rt_sigreturn)
{
	struct proc *p = current_proc();
	struct trapframe *tf = p->tf;
	struct rt_sigframe fr;
	if (copy_from_user(&fr, (const void *)(tf->rsp - 8), sizeof fr) || !canonical(fr.uc.uc_mcontext.rip) ||
	    !canonical(fr.uc.uc_mcontext.rsp)) {
		printk("%s[%d]: bad frame in rt_sigreturn\n", p->comm, p->pid);
		do_exit(SIGSEGV);
	}
	const struct sigcontext *mc = &fr.uc.uc_mcontext;
	tf->r8 = mc->r8, tf->r9 = mc->r9, tf->r10 = mc->r10, tf->r11 = mc->r11, tf->r12 = mc->r12;
	tf->r13 = mc->r13, tf->r14 = mc->r14, tf->r15 = mc->r15, tf->rdi = mc->rdi, tf->rsi = mc->rsi;
	tf->rbp = mc->rbp, tf->rbx = mc->rbx, tf->rdx = mc->rdx, tf->rcx = mc->rcx;
	tf->rsp = mc->rsp, tf->rip = mc->rip;
	tf->rflags = (tf->rflags & ~(u64)FIX_EFLAGS) | (mc->eflags & FIX_EFLAGS);
	tf->cs = GDT_USER_CS;
	tf->ss = GDT_USER_DS;
	tf->error = (u64)-1;
	p->blocked = fr.uc.uc_sigmask & ~UNBLOCKABLE;
	return (s64)mc->rax;
}

static int kill_one(struct proc *p, int sig, int code)
{
	if (sig) {
		struct proc *self = current_proc();
		siginfo_t info = { .si_signo = sig, .si_code = code };
		info.si_pid = self->pid;
		info.si_uid = self->uid;
		send_signal(p, sig, &info);
	}
	return 0;
}

SYSCALL_DEFINE(kill)
{
	int pid = (int)a0, sig = (int)a1, found = 0;
	struct proc *self = current_proc();
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *q = &procs[i];
		if (q->state == PROC_UNUSED || q->state == PROC_EMBRYO || q->state == PROC_ZOMBIE)
			continue;
		bool match = pid > 0 ? q->pid == pid : pid == 0 ? q->pgid == self->pgid : pid == -1 ? q->pid != 1 && q != self : q->pgid == -pid;
		if (match)
			found += !kill_one(q, sig, SI_USER);
	}
	return found ? 0 : -ESRCH;
}

static s64 tgkill(u64 tgid, u64 tid, u64 sig)
{
	struct proc *p = proc_by_pid((int)tid);
	if ((int)sig < 0 || sig > NSIG)
		return -EINVAL;
	if (!p || p->state == PROC_ZOMBIE || (tgid != (u64)-1 && (int)tgid != p->pid))
		return -ESRCH;
	return kill_one(p, (int)sig, SI_TKILL);
}

SYSCALL_DEFINE(tgkill) { return tgkill(a0, a1, a2); }
SYSCALL_DEFINE(tkill) { return tgkill((u64)-1, a0, a1); }
