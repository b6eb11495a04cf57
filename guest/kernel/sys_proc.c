/* Process system calls: exit, wait, vfork, execve, identities, uname, arch_prctl, reboot. */
#include "syscall.h"
#include "asm.h"

SYSCALL_DEFINE(exit) { do_exit(((int)a0 & 0xff) << 8); }
SYSCALL_DEFINE(exit_group) { do_exit(((int)a0 & 0xff) << 8); }
SYSCALL_DEFINE(wait4) { return do_wait4((int)a0, a1, (int)a2); }
SYSCALL_DEFINE(vfork) { return do_vfork(current_proc()->tf); }

/* clone covers what posix_spawn and vfork() wrappers ask for: CLONE_VM | CLONE_VFORK with
 * SIGCHLD and no new stack. A full fork comes with copied address spaces (issue 15). */
SYSCALL_DEFINE(clone)
{
	u64 flags = a0 & ~0xffULL;
	if (flags != (CLONE_VM | CLONE_VFORK) || a1)
		return -ENOSYS;
	return do_vfork(current_proc()->tf);
}

SYSCALL_DEFINE(execve) { return do_execve((const char *)a0, (char *const *)a1, (char *const *)a2, true); }

SYSCALL_DEFINE(getpid) { return current_proc()->pid; }
SYSCALL_DEFINE(gettid) { return current_proc()->pid; }
SYSCALL_DEFINE(getppid) { return current_proc()->ppid; }
SYSCALL_DEFINE(getuid) { return current_proc()->uid; }
SYSCALL_DEFINE(geteuid) { return current_proc()->euid; }
SYSCALL_DEFINE(getgid) { return current_proc()->gid; }
SYSCALL_DEFINE(getegid) { return current_proc()->egid; }

SYSCALL_DEFINE(setuid)
{
	struct proc *p = current_proc();
	if (p->euid != 0 && a0 != p->uid)
		return -EPERM;
	p->uid = p->euid = (u32)a0;
	return 0;
}

SYSCALL_DEFINE(setgid)
{
	struct proc *p = current_proc();
	if (p->euid != 0 && a0 != p->gid)
		return -EPERM;
	p->gid = p->egid = (u32)a0;
	return 0;
}

SYSCALL_DEFINE(getpgrp) { return current_proc()->pgid; }

SYSCALL_DEFINE(getpgid)
{
	struct proc *p = a0 ? proc_by_pid((int)a0) : current_proc();
	return p ? p->pgid : -ESRCH;
}

SYSCALL_DEFINE(getsid)
{
	struct proc *p = a0 ? proc_by_pid((int)a0) : current_proc();
	return p ? p->sid : -ESRCH;
}

SYSCALL_DEFINE(setpgid)
{
	struct proc *self = current_proc();
	struct proc *p = a0 ? proc_by_pid((int)a0) : self;
	if ((s64)a1 < 0)
		return -EINVAL;
	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	p->pgid = a1 ? (int)a1 : p->pid;
	return 0;
}

SYSCALL_DEFINE(setsid)
{
	struct proc *p = current_proc();
	if (p->pgid == p->pid)
		return -EPERM;
	p->sid = p->pgid = p->pid;
	return p->sid;
}

SYSCALL_DEFINE(set_tid_address)
{
	struct proc *p = current_proc();
	p->clear_child_tid = a0;
	return p->pid;
}

SYSCALL_DEFINE(sched_yield)
{
	yield();
	return 0;
}

SYSCALL_DEFINE(uname)
{
	struct utsname u;
	memset(&u, 0, sizeof u);
	strlcpy(u.sysname, KERNEL_NAME, sizeof u.sysname);
	strlcpy(u.nodename, "ymir", sizeof u.nodename);
	strlcpy(u.release, KERNEL_RELEASE, sizeof u.release);
	strlcpy(u.version, "#1 SMP", sizeof u.version);
	strlcpy(u.machine, "x86_64", sizeof u.machine);
	strlcpy(u.domainname, "(none)", sizeof u.domainname);
	return copy_to_user((void *)a0, &u, sizeof u) ? -EFAULT : 0;
}

SYSCALL_DEFINE(sysinfo)
{
	struct sysinfo si;
	memset(&si, 0, sizeof si);
	si.uptime = (s64)(ktime_ns() / 1000000000);
	si.totalram = pages_total() * PAGE_SIZE;
	si.freeram = pages_free() * PAGE_SIZE;
	si.procs = (u16)procs_alive();
	si.mem_unit = 1;
	return copy_to_user((void *)a0, &si, sizeof si) ? -EFAULT : 0;
}

SYSCALL_DEFINE(arch_prctl)
{
	struct proc *p = current_proc();
	switch (a0) {
	case ARCH_SET_FS:
		if (a1 >= TASK_SIZE)
			return -EPERM;
		p->fs_base = a1;
		wrmsr(MSR_FS_BASE, a1);
		return 0;
	case ARCH_SET_GS:
		if (a1 >= TASK_SIZE)
			return -EPERM;
		p->gs_base = a1;
		wrmsr(MSR_KERNEL_GS_BASE, a1); /* the user's GS base while the kernel's is loaded */
		return 0;
	case ARCH_GET_FS:
		return copy_to_user((void *)a1, &p->fs_base, 8) ? -EFAULT : 0;
	case ARCH_GET_GS:
		return copy_to_user((void *)a1, &p->gs_base, 8) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

/* reboot(2) with Linux's magic numbers. POWER_OFF's fourth argument, which Linux ignores, is
 * the status for the debug-exit port. Restart and halt both stop this machine. */
SYSCALL_DEFINE(reboot)
{
	if (current_proc()->euid != 0)
		return -EPERM;
	if ((u32)a0 != LINUX_REBOOT_MAGIC1 || (u32)a1 != LINUX_REBOOT_MAGIC2)
		return -EINVAL;
	switch ((u32)a2) {
	case LINUX_REBOOT_CMD_POWER_OFF:
		power_off((int)a3);
	case LINUX_REBOOT_CMD_HALT:
		printk("reboot: System halted\n");
		uart_flush_polled(&com1);
		machine_halt();
	case LINUX_REBOOT_CMD_RESTART:
		printk("reboot: Restarting system\n");
		power_off(0);
	default:
		return -EINVAL;
	}
}
