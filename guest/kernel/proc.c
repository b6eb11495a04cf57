/*
 * Processes and the scheduler, after xv6's proc.c: a fixed table, a scheduler loop on the BSP
 * that switches to each runnable process in turn, sleep and wakeup on a channel (interrupts
 * off is the lock: every process runs on the BSP), exit to a zombie that the parent's wait4
 * reaps, and vfork, which shares the parent's address space until the child's execve or exit.
 * A process's address space is an mm with a user count, so fork can later give a child a copy.
 */
#include "kernel.h"
#include "asm.h"

extern char process_first_entry[];

struct proc procs[MAX_PROCS];
bool need_resched;
static int next_pid = 1;

struct proc *current_proc(void) { return this_cpu()->current; }

struct proc *proc_by_pid(int pid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].pid == pid)
			return &procs[i];
	return 0;
}

int procs_alive(void)
{
	int n = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		n += procs[i].state != PROC_UNUSED;
	return n;
}

/* A process slot with a kernel stack whose top holds its trapframe; below the trapframe, a
 * context that makes its first switch-in "return" to process_first_entry, which leaves to user
 * mode through that trapframe. */
static struct proc *proc_alloc(void)
{
	u64 f = irq_save();
	struct proc *p = 0;
	for (int i = 0; i < MAX_PROCS && !p; i++)
		if (procs[i].state == PROC_UNUSED)
			p = &procs[i];
	if (!p) {
		irq_restore(f);
		return 0;
	}
	memset(p, 0, sizeof *p);
	p->state = PROC_EMBRYO;
	p->pid = next_pid++;
	irq_restore(f);
	u64 stack = page_alloc(KSTACK_SIZE / PAGE_SIZE);
	if (!stack) {
		p->state = PROC_UNUSED;
		return 0;
	}
	p->kstack = phys_to_virt(stack);
	p->tf = (struct trapframe *)(p->kstack + KSTACK_SIZE - sizeof *p->tf);
	p->context = (struct context *)((u8 *)p->tf - sizeof *p->context);
	p->context->rip = (u64)process_first_entry;
	p->start_ns = ktime_ns();
	return p;
}

static void proc_free(struct proc *p)
{
	page_free(virt_to_phys(p->kstack), KSTACK_SIZE / PAGE_SIZE);
	memset(p, 0, sizeof *p);
}

/* The BSP's scheduler loop: run what is runnable, round robin; otherwise halt until an
 * interrupt, with the timer armed only for a sleeper's deadline. */
noreturn void scheduler(void)
{
	struct percpu *pc = this_cpu();
	int last = 0;
	for (;;) {
		cli();
		struct proc *p = 0;
		for (int k = 1; k <= MAX_PROCS && !p; k++) {
			struct proc *q = &procs[(last + k) % MAX_PROCS];
			if (q->state == PROC_RUNNABLE)
				p = q, last = (last + k) % MAX_PROCS;
		}
		if (!p) {
			timer_reprogram();
			sti_hlt();
			continue;
		}
		p->state = PROC_RUNNING;
		pc->current = p;
		need_resched = false;
		set_kernel_stack((u64)p->kstack + KSTACK_SIZE);
		mm_switch(p->mm);
		wrmsr(MSR_FS_BASE, p->fs_base);
		wrmsr(MSR_KERNEL_GS_BASE, p->gs_base);
		timer_reprogram();
		swtch(&pc->scheduler, p->context);
		pc->current = 0;
	}
}

/* Back to the scheduler; the caller has interrupts off and has changed its state. */
static void sched(void)
{
	struct proc *p = current_proc();
	swtch(&p->context, this_cpu()->scheduler);
}

void yield(void)
{
	u64 f = irq_save();
	current_proc()->state = PROC_RUNNABLE;
	sched();
	irq_restore(f);
}

/* Sleep until wakeup(chan), the deadline (ns since boot, 0 = none), or, if interruptible, a
 * signal. Called with interrupts off after checking the condition, so no wakeup is lost.
 * Returns -EINTR when a signal is pending; the caller checks its condition again. */
int sleep_on(const void *chan, bool interruptible, u64 wake_at)
{
	struct proc *p = current_proc();
	if (interruptible && signal_pending(p))
		return -EINTR;
	p->chan = chan;
	p->interruptible = interruptible;
	p->wake_at = wake_at;
	p->state = PROC_SLEEPING;
	sched();
	p->chan = 0;
	p->wake_at = 0;
	return interruptible && signal_pending(p) ? -EINTR : 0;
}

void wakeup(const void *chan)
{
	u64 f = irq_save();
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_SLEEPING && procs[i].chan == chan)
			procs[i].state = PROC_RUNNABLE;
	irq_restore(f);
}

void wake_process(struct proc *p)
{
	if (p->state == PROC_SLEEPING && p->interruptible)
		p->state = PROC_RUNNABLE;
}

void timers_expire(u64 now)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_SLEEPING && procs[i].wake_at && procs[i].wake_at <= now)
			procs[i].state = PROC_RUNNABLE;
}

u64 timers_next(void)
{
	u64 next = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == PROC_SLEEPING && procs[i].wake_at && (!next || procs[i].wake_at < next))
			next = procs[i].wake_at;
	return next;
}

/* More than one process wants the CPU: time slices need the tick. */
bool need_time_slice(void)
{
	int n = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		n += procs[i].state == PROC_RUNNABLE || procs[i].state == PROC_RUNNING;
	return n > 1;
}

/* The vfork parent may go on: its child has its own address space now, or is gone. */
void release_vfork_parent(struct proc *p)
{
	if (p->vfork_parent) {
		p->vfork_parent = 0;
		wakeup(p);
	}
}

noreturn void do_exit(int status)
{
	struct proc *p = current_proc();
	if (p->pid == 1)
		panic("Attempted to kill init! exitcode=0x%08x", status);
	fd_close_all(p);
	if (p->cwd)
		inode_put(p->cwd);
	p->cwd = 0;
	if (p->clear_child_tid) {
		u32 zero = 0;
		copy_to_user((void *)p->clear_child_tid, &zero, sizeof zero);
	}
	cli();
	release_vfork_parent(p);
	mm_put(p->mm);
	p->mm = 0;
	struct proc *init = proc_by_pid(1);
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != PROC_UNUSED && procs[i].parent == p) {
			procs[i].parent = init;
			procs[i].ppid = 1;
			if (procs[i].state == PROC_ZOMBIE)
				wakeup(init);
		}
	p->exit_status = status;
	p->state = PROC_ZOMBIE;
	if (p->parent) {
		siginfo_t info = { .si_signo = SIGCHLD, .si_code = 1 /* CLD_EXITED */ };
		info.si_pid = p->pid;
		send_signal(p->parent, SIGCHLD, &info);
		wakeup(p->parent);
	}
	sched();
	panic("a zombie ran");
}

static bool wait_matches(struct proc *self, struct proc *c, int pid)
{
	if (c->parent != self || c->state == PROC_UNUSED || c->state == PROC_EMBRYO)
		return false;
	if (pid > 0)
		return c->pid == pid;
	if (pid == 0)
		return c->pgid == self->pgid;
	if (pid < -1)
		return c->pgid == -pid;
	return true;
}

s64 do_wait4(int pid, u64 ustatus, int options)
{
	struct proc *p = current_proc();
	for (;;) {
		u64 f = irq_save();
		bool children = false;
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *c = &procs[i];
			if (!wait_matches(p, c, pid))
				continue;
			children = true;
			if (c->state != PROC_ZOMBIE)
				continue;
			int status = c->exit_status, cpid = c->pid;
			proc_free(c);
			irq_restore(f);
			if (ustatus && copy_to_user((void *)ustatus, &status, sizeof status))
				return -EFAULT;
			return cpid;
		}
		if (!children) {
			irq_restore(f);
			return -ECHILD;
		}
		if (options & WNOHANG) {
			irq_restore(f);
			return 0;
		}
		int err = sleep_on(p, true, 0);
		irq_restore(f);
		if (err)
			return -ERESTARTSYS;
	}
}

/* vfork (and clone with CLONE_VM | CLONE_VFORK): the child runs in the parent's address space
 * on its own kernel stack, returning 0; the parent sleeps until the child calls execve or
 * exits, then returns the child's pid. */
s64 do_vfork(struct trapframe *tf)
{
	struct proc *p = current_proc(), *c = proc_alloc();
	if (!c)
		return -EAGAIN;
	c->ppid = p->pid, c->pgid = p->pgid, c->sid = p->sid;
	c->uid = p->uid, c->euid = p->euid, c->gid = p->gid, c->egid = p->egid;
	memcpy(c->comm, p->comm, sizeof c->comm);
	c->parent = p;
	c->mm = p->mm;
	c->mm->users++;
	c->fs_base = p->fs_base, c->gs_base = p->gs_base;
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (p->files[fd]) {
			c->files[fd] = p->files[fd];
			file_get(c->files[fd]);
		}
	memcpy(c->cloexec, p->cloexec, sizeof c->cloexec);
	c->cwd = p->cwd;
	inode_get(c->cwd);
	memcpy(c->sigactions, p->sigactions, sizeof c->sigactions);
	c->blocked = p->blocked;
	*c->tf = *tf;
	c->tf->rax = 0;
	c->vfork_parent = p;
	int pid = c->pid;
	u64 f = irq_save();
	c->state = PROC_RUNNABLE;
	while (c->vfork_parent == p)
		sleep_on(c, false, 0);
	irq_restore(f);
	return pid;
}

/* pid 1: the console as fds 0, 1 and 2 (Linux's console_on_rootfs), then exec of init. */
void proc_start_init(void)
{
	struct proc *p = proc_alloc();
	if (!p || p->pid != 1)
		panic("cannot create init");
	p->pgid = p->sid = 1;
	p->cwd = root_inode;
	inode_get(root_inode);
	strlcpy(p->comm, "swapper", sizeof p->comm);
	this_cpu()->current = p; /* opening the console makes pid 1's group its foreground */
	struct inode *console;
	if (fs_lookup(root_inode, "/dev/console", true, &console) == 0) {
		struct file *f = file_open_inode(console, O_RDWR);
		if (f) {
			fd_install(p, f, 0, false);
			file_get(f);
			fd_install(p, f, 1, false);
			file_get(f);
			fd_install(p, f, 2, false);
		}
	} else
		printk("Warning: unable to open an initial console.\n");
	static char *envp[] = { "HOME=/", "TERM=linux", 0 };
	printk("Run %s as init process\n", init_path);
	s64 err = do_execve(init_path, init_argv, envp, false);
	this_cpu()->current = 0;
	if (err) {
		printk("Failed to execute %s (error %ld)\n", init_path, err);
		panic("No working init found.  Try passing init= option to kernel.");
	}
	p->state = PROC_RUNNABLE;
}
